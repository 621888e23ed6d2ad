"""Progressive learning: image size and regularisation grow stage by stage."""
import pytest
from mmcv.cnn.bricks import DropPath
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmdet_efficientdet.engine import ProgressiveLearningHook, interpolate
from mmdet_efficientdet.utils.config_loader import load_config

PROGRESSIVE = """
model = dict(
    backbone=dict(arch='v2_b0', init_cfg=None),  # tests never download
    neck=dict(in_channels=[48, 112, 192]))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=(image_size, image_size),
         ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(image_size, image_size),
         allow_negative_crop=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(image_size, image_size)),
    dict(type='PackDetInputs')
]
train_dataloader.update(num_workers={workers}, persistent_workers={persistent})
train_dataloader['dataset']['pipeline'] = train_pipeline
custom_hooks = [dict(
    type='ProgressiveLearningHook', num_stages=3, image_size=(64, 128),
    drop_path_rate=(0.0, 0.2),
    pipeline_params={{'RandomResize.ratio_range': ((0.9, 1.1), (0.5, 1.5))}})]
"""


class _Recorder(Hook):
    """Records what each training iteration really used."""

    priority = 'LOWEST'

    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        dataset = runner.train_loop.dataloader.dataset
        resize = [t for t in dataset.pipeline.transforms if type(t).__name__ == 'RandomResize'][0]
        blocks = [b for stage in runner.model.backbone.stages for b in stage]
        rates = [
            b.drop_path.drop_prob if isinstance(b.drop_path, DropPath) else 0.0 for b in blocks
        ]
        self.seen.append(
            dict(
                epoch=runner.epoch,
                shapes={tuple(img.shape[-2:])
                        for img in data_batch['inputs']},
                ratio_range=tuple(resize.ratio_range),
                last_rate=rates[-1],
                num_blocks=len(blocks)))


@pytest.mark.parametrize('workers, persistent', [(0, False), (1, True)])
def test_sizes_and_magnitudes_per_stage(make_tiny_config, tmp_path, workers, persistent):
    config = make_tiny_config(
        max_epochs=3, extra=PROGRESSIVE.format(workers=workers, persistent=persistent))
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()

    by_epoch = {}
    for item in recorder.seen:
        by_epoch.setdefault(item['epoch'], []).append(item)
    assert sorted(by_epoch) == [0, 1, 2]
    assert all(len(items) == 4 for items in by_epoch.values())  # 8 images / 2
    n = recorder.seen[0]['num_blocks']
    expected = {  # stage i of 3: fraction i / 2
        0: ((64, 64), (0.9, 1.1), 0.0),
        1: ((96, 96), (0.7, 1.3), 0.1 * (n - 1) / n),
        2: ((128, 128), (0.5, 1.5), 0.2 * (n - 1) / n),
    }
    for epoch, (shape, ratio_range, rate) in expected.items():
        for item in by_epoch[epoch]:
            assert item['shapes'] == {shape}  # the pipeline pads to S_i
            assert item['ratio_range'] == pytest.approx(ratio_range)
            assert item['last_rate'] == pytest.approx(rate)
    hook = [h for h in runner.hooks if isinstance(h, ProgressiveLearningHook)][0]
    assert hook.current_stage == 2
    assert runner.message_hub.get_info('progressive_stage') == 2


def test_stage_schedule_is_the_papers_linear_rule():
    hook = ProgressiveLearningHook(
        num_stages=4,
        image_size=(128, 300),
        drop_path_rate=(0.1, 0.3),
        pipeline_params={'RandAugment.magnitude': (5, 15)},
        size_divisor=1)
    settings = [hook.stage_settings(i) for i in range(4)]
    # EfficientNetV2-S (paper Table 6): size 128 -> 300, RandAugment 5 -> 15
    assert [s.image_size for s in settings] == [128, 185, 243, 300]
    assert [s.pipeline_params['RandAugment.magnitude'] for s in settings] == [5, 8, 12, 15]
    assert [s.drop_path_rate
            for s in settings] == pytest.approx([0.1, 0.1 + 0.2 / 3, 0.1 + 0.4 / 3, 0.3])
    # 10 epochs in 4 stages: 3 + 2 + 3 + 2, never past the last stage
    assert [hook.stage_of_epoch(e, 10) for e in range(10)] == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert interpolate((0.5, 1.5), (0.1, 2.0), 0.5) == pytest.approx((0.3, 1.75))


def test_sizes_round_to_the_divisor():
    hook = ProgressiveLearningHook(num_stages=3, image_size=(256, 512), size_divisor=128)
    assert [hook.stage_settings(i).image_size for i in range(3)] == [256, 384, 512]


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_stages=1, image_size=(64, 128)), 'num_stages'),
    (dict(num_stages=2), 'at least one'),
    (dict(num_stages=2, image_size=(64, )), 'pair'),
    (dict(num_stages=2, drop_path_rate=(0.0, 1.0)), r'\[0, 1\)'),
    (dict(num_stages=2, pipeline_params={'ratio_range': (1, 2)}), 'TransformType.argument'),
    (dict(num_stages=2, pipeline_params={'A.b': ((1, 2), 3)}), 'interpolate'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ProgressiveLearningHook(**kwargs)


def test_transform_missing_from_pipeline_is_named(make_tiny_config, tmp_path):
    config = make_tiny_config(
        max_epochs=2,
        extra="""
custom_hooks = [dict(type='ProgressiveLearningHook', num_stages=2,
                     pipeline_params={'MixUp.ratio_range': ((1, 1), (0.5, 1.5))})]
""")
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match="no MixUp in the training pipeline"):
        runner.train()
