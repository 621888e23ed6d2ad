"""effdet checkpoints -> our EfficientDet: exact parity, tool, bad input."""
import pickle

import pytest
import torch

from mmdet_efficientdet.converters import (COCO80_INDEX_IN_90, CheckpointMismatchError,
                                           convert_effdet, load_untrusted_state_dict)
from reference import effdet_ref as parity
from reference.effdet_ref import create_reference_model
from ..conftest import requires_refenv


@requires_refenv
@pytest.mark.parametrize(
    'name',
    ['tf_efficientdet_d0', 'tf_efficientdet_d1', 'efficientdet_d0', 'tf_efficientdet_lite0'])
def test_outputs_match_effdet(name):
    r = parity.compare(name, seed=3)
    assert r['cls'] <= 1e-4 and r['box'] <= 1e-4
    assert r['num_det'] == 100
    assert r['det_box'] <= 1e-2 and r['det_score'] <= 1e-4
    assert r['label_mismatch'] == 0
    assert r['tie_flips'] <= 2  # at most one near-tied pair kept the other way
    assert r['unused'] == 0
    # every conv bias before a BN was folded (TF ports only)
    assert (r['folded'] > 0) == name.startswith('tf_')


def test_matching_detections_catches_differences():
    boxes = torch.tensor([[0., 0., 10., 10.], [5., 5., 20., 20.]])
    scores, labels = torch.tensor([0.9, 0.8]), torch.tensor([1, 2])
    assert parity.match_detections(boxes, scores, labels, boxes.flip(0), scores.flip(0),
                                   labels.flip(0)) == (0, 0, 0, 0)
    moved = boxes + torch.tensor([0., 0., 0., 0.5])
    assert parity.match_detections(boxes, scores, labels, moved, scores,
                                   labels)[0] == pytest.approx(0.5)
    # a wrong label or a box moved by 3 px is an error on both sides
    assert parity.match_detections(boxes, scores, labels, boxes, scores,
                                   torch.tensor([1, 3]))[2:] == (2, 0)
    shifted = boxes + 30.0
    assert parity.match_detections(boxes, scores, labels, shifted, scores, labels)[2:] == (4, 0)
    # NMS kept the other box of a near-tied overlapping pair: a tie flip
    other = torch.tensor([[3., 0., 13., 10.], [5., 5., 20., 20.]])
    assert parity.match_detections(boxes, scores, labels, other, scores + 1e-6,
                                   labels)[2:] == (0, 2)


@pytest.fixture(scope='module')
def tf_d0():
    return parity.randomize_(create_reference_model('tf_efficientdet_d0'), 7)


@requires_refenv
def test_tool_converts_to_80_coco_classes(tf_d0, tmp_path):
    import importlib.util

    from mmengine.runner import load_checkpoint
    src, dst = tmp_path / 'tf_d0.pth', tmp_path / 'out' / 'ours.pth'
    torch.save(tf_d0.state_dict(), src)
    spec = importlib.util.spec_from_file_location(
        'effdet_to_mmdet', f'{parity.REPO}/tools/model_converters/effdet_to_mmdet.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(src),
                      str(dst), '--config',
                      parity.ported_config('tf_efficientdet_d0')]) == 0
    ours = parity.build_ours('tf_efficientdet_d0', num_classes=80)
    load_checkpoint(ours, str(dst), strict=True)
    x = torch.randn(1, 3, 512, 512)  # effdet's resampling is fixed to 512
    with torch.no_grad():
        ref_cls, _ = tf_d0(x)
        our_cls, _ = ours.eval()._forward(x)
    for a, b in zip(our_cls, ref_cls):
        n, _, h, w = b.shape
        b = b.reshape(n, 9, 90, h, w)[:, :, COCO80_INDEX_IN_90]
        torch.testing.assert_close(a, b.reshape(n, 9 * 80, h, w), rtol=0, atol=1e-4)
    assert len(COCO80_INDEX_IN_90) == 80 and COCO80_INDEX_IN_90[11] == 12


@requires_refenv
def test_wrong_architecture_names_keys_and_shapes(tf_d0):
    # D0 weights for a D1 model: B1 has more blocks than B0
    ours_d1 = parity.build_ours('tf_efficientdet_d1')
    with pytest.raises(CheckpointMismatchError) as err:
        convert_effdet(tf_d0.state_dict(), ours_d1)
    assert 'target key(s) without a source' in str(err.value)
    assert 'backbone.stages.0.1.depthwise_conv.conv.weight' in str(err.value)
    # a BiFPN of another width
    state = dict(tf_d0.state_dict())
    key = 'fpn.cell.0.fnode.0.after_combine.conv.conv_pw.weight'
    state[key] = torch.zeros(88, 64, 1, 1)
    ours = parity.build_ours('tf_efficientdet_d0')
    with pytest.raises(CheckpointMismatchError) as err:
        convert_effdet(state, ours)
    assert ('neck.stages.0.nodes.0.conv.pointwise_conv.conv.weight: expected '
            '(64, 64, 1, 1), found (88, 64, 1, 1)') in str(err.value)


@requires_refenv
def test_unused_keys_are_reported(tf_d0):
    ours = parity.build_ours('tf_efficientdet_d0')
    state = dict(tf_d0.state_dict())
    state['extra.weight'] = torch.zeros(3)
    _, report = convert_effdet(state, ours)
    assert report.unused == ['extra.weight']
    assert 'extra.weight' in report.summary()


def test_untrusted_file_is_loaded_weights_only(tmp_path):

    class Payload:

        def __reduce__(self):
            return (print, ('pwned', ))

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_untrusted_state_dict(str(path))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_untrusted_state_dict(str(tmp_path / 'nope.pth'))
    torch.save({'step': 3}, tmp_path / 'no_tensors.pth')
    with pytest.raises(CheckpointMismatchError, match='state dict of tensors'):
        load_untrusted_state_dict(str(tmp_path / 'no_tensors.pth'))


def test_not_an_effdet_state_dict_is_refused():
    ours = parity.build_ours('tf_efficientdet_d0')
    with pytest.raises(CheckpointMismatchError, match='not an effdet'):
        convert_effdet(ours.state_dict(), ours)
