"""Shared fixtures: registries, a generated dataset, tiny trainable configs."""
from __future__ import annotations
import os
import os.path as osp
import textwrap
from typing import Callable

import pytest
import torch
from mmdet.utils import register_all_modules

import mmdet_efficientdet  # noqa: F401  (registers modules)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO, 'configs', 'efficientdet')
D0_CONFIG = osp.join(CONFIG_DIR, 'efficientdet_d0_8xb16-300e_coco.py')

register_all_modules()

#: Cores the suite is sized for (CI has 2).
SUITE_CORES = 2
#: torch threads of each test process: ``make test`` runs the suite in
#: pytest-xdist workers, which share the cores (2 workers: 1 thread each; a
#: serial run: 2).
SUITE_THREADS = max(1, SUITE_CORES // int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1')))
torch.set_num_threads(SUITE_THREADS)
# the tools processes tests start take the same count (torch reads it)
os.environ['OMP_NUM_THREADS'] = str(SUITE_THREADS)


@pytest.fixture(autouse=True)
def _torch_threads():
    """Each test starts with the suite's :data:`SUITE_THREADS` torch
    threads (a library call under test may set its own ``threads``; tools
    run in-process must not inherit it)."""
    torch.set_num_threads(SUITE_THREADS)
    yield


#: Tests that run rwightman's effdet/timm need the dev-only ``.refenv``.
requires_refenv = pytest.mark.skipif(
    not osp.isdir(osp.join(REPO, '.refenv', 'effdet')),
    reason='reference environment .refenv/ missing: run `make refenv` '
    '(`make test` builds it)')

#: Real photos for tests (../shared beside the repository; never copied in).
RACCOON_ROOT = osp.join(osp.dirname(REPO), 'shared', 'data', 'raccoon')
AERIAL_ROOT = osp.join(osp.dirname(REPO), 'shared', 'data', 'aerial_cars')


@pytest.fixture(scope='session')
def raccoon_root() -> str:
    """The raccoon photos (200 real photos, VOC xml, MIT); skips when absent."""
    if not osp.isdir(osp.join(RACCOON_ROOT, 'annotations')):
        pytest.skip(f'real photos not found at {RACCOON_ROOT} (../shared/data/'
                    f'raccoon beside the repository)')
    return RACCOON_ROOT


@pytest.fixture(scope='session')
def aerial_root() -> str:
    """The aerial photos (122 real photos, YOLO txt labels, CC-BY / CC-BY-SA);
    skips when absent."""
    if not osp.isdir(osp.join(AERIAL_ROOT, 'labels')):
        pytest.skip(f'aerial photos not found at {AERIAL_ROOT} (../shared/data/aerial_cars '
                    f'beside the repository)')
    return AERIAL_ROOT


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory) -> str:
    """A small generated COCO-format dataset (3 classes, 128x128 images)."""
    from mmdet_efficientdet.datasets import make_shapes_dataset
    root = str(tmp_path_factory.mktemp('shapes'))
    make_shapes_dataset(
        root, num_train=8, num_val=4, image_size=128, min_size=16, max_size=48, seed=1)
    return root


TINY_CONFIG = '''
_base_ = {base!r}
image_size = 128
data_root = {data_root!r}
classes = {classes!r}
metainfo = dict(classes=classes)
model = dict(
    backbone=dict(drop_path_rate=0.0, init_cfg=None),  # tests never download
    bbox_head=dict(num_classes=len(classes)))
# deterministic pipeline: no random resize/crop/flip
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='Pad', size=(image_size, image_size)),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='Pad', size=(image_size, image_size)),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/instances_val.json',
                 data_prefix=dict(img='val/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = []
train_cfg = dict(max_epochs={max_epochs}, val_interval={max_epochs})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=-1, save_best=None),
    visualization=dict(draw=False))
randomness = dict(seed=0, deterministic=False)
env_cfg = dict(mp_cfg=dict(mp_start_method='fork'))
'''


@pytest.fixture
def make_tiny_config(tmp_path, shapes_root) -> Callable[..., str]:
    """Write a tiny D0 child config for the shapes data; returns its path."""

    def _make(max_epochs: int = 1,
              extra: str = '',
              classes=('circle', 'square', 'triangle'),
              name='tiny.py',
              data_root: str = None) -> str:
        text = TINY_CONFIG.format(
            base=D0_CONFIG,
            data_root=(data_root or shapes_root).rstrip('/') + '/',
            classes=tuple(classes),
            max_epochs=max_epochs)
        path = tmp_path / name
        path.write_text(text + textwrap.dedent(extra))
        return str(path)

    return _make


@pytest.fixture(scope='session')
def trained(tmp_path_factory, shapes_root):
    """A tiny D0 trained one epoch on the shapes data: (config, checkpoint)."""
    from mmengine.runner import Runner

    from mmdet_efficientdet.utils.config_loader import load_config
    work = tmp_path_factory.mktemp('trained')
    config = work / 'tiny.py'
    config.write_text(
        TINY_CONFIG.format(
            base=D0_CONFIG,
            data_root=shapes_root + '/',
            classes=('circle', 'square', 'triangle'),
            max_epochs=1))
    cfg = load_config(str(config))
    cfg.work_dir = str(work)
    Runner.from_cfg(cfg).train()
    return str(config), str(work / 'epoch_1.pth')


#: Lines a tiny D0 config (tests/conftest.py) needs to become a supernet:
#: Lite0 parent, a few elastic stages, BiFPN repeats and head depths 2 or 3.
SUPERNET_EXTRA = '''
search_space = dict(
    stages=[
        dict(kernel=[3], expand=[1], depth=[1]),
        dict(kernel=[3], expand=[6], depth=[1, 2]),
        dict(kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
        dict(kernel=[3], expand=[6], depth=[3]),
        dict(kernel=[3, 5], expand=[3, 6], depth=[3]),
        dict(kernel=[5], expand=[6], depth=[2, 4]),
        dict(kernel=[3], expand=[4, 6], depth=[1]),
    ],
    neck_repeats=[2, 3],
    head_depth=[2, 3],
    image_size=[96, 128])
model = dict(
    type='EfficientDetSupernet',
    search_space=search_space,
    num_random=1,
    backbone=dict(arch='lite0', drop_path_rate=0.0, init_cfg=None),  # tests never download
    neck=dict(out_channels=16),
    bbox_head=dict(in_channels=16, feat_channels=16, num_classes=len(classes)))
'''


@pytest.fixture
def supernet_config(make_tiny_config) -> str:
    """Path of the tiny supernet config (1 epoch on 8 shapes images)."""
    return make_tiny_config(extra=SUPERNET_EXTRA, name='supernet.py')
