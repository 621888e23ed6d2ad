"""Training parity with effdet's DetBenchTrain: the D0 config users train
(TF 'SAME' padding) against tf_efficientdet_d0, same weights, same batch."""
import pytest

from ...conftest import CONFIG_DIR, requires_refenv

D0 = f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py'


@requires_refenv
def test_d0_trains_like_effdet():
    from reference.effdet_ref import train_parity
    r = train_parity(D0, 'tf_efficientdet_d0', image_size=256)
    assert r['anchors'] < 1e-3  # px, float32 anchors on both sides
    # every anchor: positive/negative/ignored and class, box targets
    assert r['target_mismatch'] == 0
    assert r['positives'] == r['ref_positives'] > 0
    assert r['box_target'] < 1e-5
    assert r['cls_loss'] < 1e-5 and r['box_loss'] < 1e-5
    assert r['grad'] < 1e-4, r['grad_key']
    # one SGD step with the config's optimizer (decay on kernels only,
    # clipping at 10) against automl's rule on effdet's parameters
    assert r['step'] < 1e-5, r['step_key']
    assert r['update'] < 1e-4, r['update_key']


@requires_refenv
def test_lite0_trains_like_effdet_at_320():
    """Lite0's 320 input is not a multiple of 128: P7 has 3x3 cells and
    automl's anchor stride 320 / 3; targets, losses and the step still
    equal effdet's."""
    from reference.effdet_ref import train_parity
    r = train_parity(
        f'{CONFIG_DIR}/efficientdet_lite0_8xb16-300e_coco.py',
        'tf_efficientdet_lite0',
        image_size=320)
    assert r['anchors'] < 1e-3
    assert r['target_mismatch'] == 0
    assert r['positives'] == r['ref_positives'] > 0
    assert r['cls_loss'] < 1e-5 and r['box_loss'] < 1e-5
    assert r['grad'] < 1e-4, r['grad_key']
    assert r['update'] < 1e-4, r['update_key']


@requires_refenv
@pytest.mark.parametrize(
    'option, key',
    [
        # mmdet's default: every anchor tied at a box's best IoU is positive
        (dict(model=dict(train_cfg=dict(assigner=dict(gt_max_assign_all=True)))), 'target_mismatch'
         ),
        # mmdet's anchor ratios instead of automl's (w, h) pairs
        (dict(
            model=dict(
                bbox_head=dict(
                    anchor_generator=dict(
                        _delete_=True,
                        type='AnchorGenerator',
                        octave_base_scale=4,
                        scales_per_octave=3,
                        ratios=[0.5, 1.0, 2.0],
                        center_offset=0.5,
                        strides=[8, 16, 32, 64, 128])))), 'anchors'),
        # weight decay on biases and BN too
        (dict(optim_wrapper=dict(paramwise_cfg=dict(bias_decay_mult=1.0, norm_decay_mult=1.0))),
         'update'),
    ])
def test_the_check_sees_each_automl_difference(option, key):
    """Each automl choice, undone, breaks parity: the check has teeth."""
    from reference.effdet_ref import train_parity
    r = train_parity(D0, 'tf_efficientdet_d0', image_size=256, cfg_options=option)
    limit = {'target_mismatch': 0, 'anchors': 1e-3, 'update': 1e-4}[key]
    assert r[key] > limit
