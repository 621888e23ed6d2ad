"""Dataset fit: box statistics against the config's anchors, a search that
finds a better setting when there is one, and advice when none helps."""
import json
import os
import os.path as osp
import shlex

import numpy as np
from mmengine.config import Config, DictAction

from mmdet_efficientdet.datasets.anchor_fit import data_aspects, finer_level_options, fit_anchors
from mmdet_efficientdet.utils.config_loader import load_config
from ..conftest import CONFIG_DIR, REPO
from ..process import tool_error, tool_output


def test_shapes_with_oversized_anchors_get_a_better_scale(make_tiny_config):
    """Shapes are 16-48 px at 128 input; anchors of 8x the stride (64 px at
    P3) leave most of them below IoU 0.5. The search finds a smaller
    octave_base_scale that covers them."""
    cfg = Config.fromfile(make_tiny_config())
    cfg.model.bbox_head.anchor_generator.octave_base_scale = 8.0
    report = fit_anchors(cfg)
    assert report.image_size == 128 and report.num_images == 8
    assert report.num_boxes == sum(report.level_counts.values())
    assert 16 <= report.side_percentiles[50] <= 48
    assert report.current.coverage < 0.5
    assert report.best.coverage >= report.current.coverage + 0.3
    assert report.best.octave_base_scale <= 4.0
    assert 'octave_base_scale=' in report.best.cfg_options()
    assert 'apply: --cfg-options' in report.summary()


def test_well_fitting_anchors_are_kept(make_tiny_config):
    """D0's anchors leave ~21% of the shapes below IoU 0.5; with the setting
    the search recommends applied, a second run keeps it."""
    cfg = Config.fromfile(make_tiny_config())  # D0: scale 4, automl aspects
    first = fit_anchors(cfg)
    assert first.current.coverage < 0.9 and first.best.coverage == 1.0
    gen = cfg.model.bbox_head.anchor_generator
    gen.octave_base_scale = first.best.octave_base_scale
    gen.aspect_ratios = first.best.aspect_ratios
    second = fit_anchors(cfg)
    assert second.current.coverage == 1.0
    assert second.best == second.current
    assert 'keep the config' in second.summary()
    assert 'apply:' not in second.summary()


def test_tiny_boxes_point_at_the_input_size(make_tiny_config):
    """At a 32-px input the shapes shrink to 4-12 px: under half the smallest
    anchor searched (1.5 * 8 px); the advice is a larger input or min_level."""
    cfg = Config.fromfile(make_tiny_config())
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'Resize':
            t['scale'] = (32, 32)
    report = fit_anchors(cfg)
    assert report.too_small > 0.1
    assert any('larger input' in a and 'min_level 2' in a for a in report.advice)
    # every box is under D0's smallest anchor (4 x 8 px): P2 with the options that set it
    assert (report.smallest_anchor, report.below_anchor) == (32.0, 1.0)
    assert '100.0% of boxes are smaller than the smallest anchor (32 px)' in report.summary()
    options = [a for a in report.advice if a.startswith('  P2: --cfg-options ')]
    assert options == ['  P2: --cfg-options ' + finer_level_options(cfg.model)]


def test_the_p2_options_build_the_p2_config():
    """The --cfg-options dataset_fit prints turn D0 into the d0-p2 config's model."""
    d0 = load_config(osp.join(CONFIG_DIR, 'efficientdet_d0_8xb16-300e_coco.py'))
    p2 = load_config(osp.join(CONFIG_DIR, 'efficientdet_d0-p2_8xb16-300e_coco.py'))
    parsed = {}
    for item in shlex.split(finer_level_options(d0.model)):
        key, _, value = item.partition('=')
        parsed[key] = DictAction._parse_iterable(value)
    d0.merge_from_dict(parsed)
    assert d0.model.to_dict() == p2.model.to_dict()


def test_data_aspects_follow_the_boxes():
    pairs = data_aspects(np.array([0.25] * 10 + [1.0] * 10 + [4.0] * 10))
    assert pairs == [(0.5, 2.0), (1.0, 1.0), (2.0, 0.5)]


def test_tool_on_real_photos(raccoon_root, tmp_path, monkeypatch, capsys):
    """The raccoon fine-tuning config as committed, run from a folder laid out
    as its comments say (data/raccoon, data/raccoon_coco from the converter):
    big boxes, every box covered."""
    from mmdet_efficientdet.datasets import convert_labelled_folder
    (tmp_path / 'data').mkdir()
    os.symlink(raccoon_root, tmp_path / 'data' / 'raccoon')
    data = osp.join(raccoon_root, 'data')
    convert_labelled_folder(
        str(tmp_path / 'data' / 'raccoon_coco'),
        str(tmp_path / 'data' / 'raccoon' / 'images'),
        ann_dir=osp.join(raccoon_root, 'annotations'),
        train_list=osp.join(data, 'train_labels.csv'),
        val_list=osp.join(data, 'test_labels.csv'))
    config = osp.join(REPO, 'configs', 'efficientdet', 'custom',
                      'efficientdet_lite0_finetune_raccoon.py')
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'dataset_fit.py')
    monkeypatch.chdir(tmp_path)  # the config's data paths are relative
    out = tool_output(tool, [config, '--out-dir', str(tmp_path / 'fit')])
    assert '173 boxes in 160 images at input 320' in out
    report = json.load(open(tmp_path / 'fit' / 'fit.json'))
    assert report['current']['coverage'] == 1.0
    assert osp.getsize(tmp_path / 'fit' / 'fit.png') > 10000
    assert '--overwrite' in tool_error(tool, [config, '--out-dir', str(tmp_path / 'fit')], capsys)
