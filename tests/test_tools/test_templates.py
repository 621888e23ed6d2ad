"""The fine-tuning templates are contracts: copied and filled exactly as their
comments say (converter first, then the marked lines), with relative (Lite0)
and absolute (D0) paths, they train; a wrong image folder is one line."""
from __future__ import annotations
import os
import os.path as osp
import re
import shutil

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from ..conftest import D0_CONFIG, REPO
from ..process import tool_output

TEMPLATES = {
    'lite0': 'efficientdet_lite0_finetune_custom-coco.py',
    'd0': 'efficientdet_d0_finetune_custom-coco.py',
}
PHOTOS = ['raccoon-1', 'raccoon-10', 'raccoon-100', 'raccoon-101', 'raccoon-102']
ONE_ITERATION = [
    'train_cfg.max_epochs=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False'
]


def _user_folder(raccoon_root, root):
    """A user's repository checkout: photos and labelImg xml under data/."""
    for sub, ext in (('my_photos', 'jpg'), ('my_labels', 'xml')):
        os.makedirs(root / 'data' / sub)
        source = osp.join(raccoon_root, 'images' if ext == 'jpg' else 'annotations')
        for name in PHOTOS:
            shutil.copy(osp.join(source, f'{name}.{ext}'), root / 'data' / sub)
    shutil.copytree(osp.join(REPO, 'configs'), root / 'configs')


def _fill(template: str, values: dict) -> str:
    """Replace the marked lines' values, as a user edits them."""
    for key, value in values.items():
        template, count = re.subn(rf'^{key} = .*$', f'{key} = {value!r}', template, flags=re.M)
        assert count == 1, key
    return template


def _run(args):
    """A successful tool run, in this process (in the user's folder: the
    test changes into it); its output."""
    return tool_output(args[0], list(args[1:]))


@pytest.mark.parametrize('name, absolute', [('lite0', False), ('d0', True)])
def test_template_filled_as_its_comments_say_trains(raccoon_root, tmp_path, name, absolute,
                                                    monkeypatch):
    root = tmp_path / 'repo'
    _user_folder(raccoon_root, root)
    monkeypatch.chdir(root)  # the user runs the tools from their checkout
    where = (lambda p: str(root / p)) if absolute else (lambda p: p)
    _run([
        osp.join(REPO, 'tools', 'dataset_converters', 'labelled_to_coco.py'), '--images',
        where('data/my_photos'), '--xml',
        where('data/my_labels'), '--out',
        where('data/my_dataset'), '--val-fraction', '0.4'
    ])
    values = dict(
        data_root=where('data/my_dataset') + '/',
        image_dir=where('data/my_photos') + '/',
        classes=('raccoon', ))
    if name == 'd0':  # a COCO-class checkpoint of D0 (random weights here)
        cfg = Config.fromfile(D0_CONFIG)
        cfg.model.backbone.init_cfg = None
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), root / 'coco_d0.pth')
        values['load_from'] = where('coco_d0.pth')
    folder = root / 'configs' / 'efficientdet' / 'custom'
    text = _fill((folder / TEMPLATES[name]).read_text(), values)
    (folder / 'my_config.py').write_text(text)
    log = _run([
        osp.join(REPO, 'tools', 'train.py'), 'configs/efficientdet/custom/my_config.py',
        '--work-dir', 'work', '--cfg-options'
    ] + ONE_ITERATION)
    assert 'dropped' not in log and 'Error' not in log
    assert osp.isfile(root / 'work' / 'epoch_1.pth')
    if name == 'd0':  # only the class layer started afresh
        assert 'size mismatch for bbox_head.cls_pred.pointwise_conv.conv.weight' in log
        assert 'missing keys' not in log


def test_a_template_with_the_image_folder_under_data_root_is_one_line(raccoon_root, tmp_path,
                                                                      monkeypatch):
    """The old trap: an image_dir given relative to data_root (mmengine would
    join it under data_root) is named before anything is built (``tools/
    train.py`` and ``tools/test.py`` call this check first)."""
    from mmdet_efficientdet.datasets import DataPathError, check_data_paths
    from mmdet_efficientdet.datasets.labelled_to_coco import convert_labelled_folder
    root = tmp_path / 'repo'
    _user_folder(raccoon_root, root)
    monkeypatch.chdir(root)
    convert_labelled_folder('data/my_dataset', 'data/my_photos', ann_dir='data/my_labels')
    folder = root / 'configs' / 'efficientdet' / 'custom'
    text = _fill((folder / TEMPLATES['lite0']).read_text(),
                 dict(image_dir='photos/', classes=('raccoon', )))
    (folder / 'my_config.py').write_text(text)
    with pytest.raises(DataPathError) as err:
        check_data_paths(Config.fromfile(str(folder / 'my_config.py')))
    assert str(err.value) == ("train_dataloader.dataset: image folder 'photos/' not found "
                              "(data_root '' + data_prefix.img 'photos/': a relative "
                              "data_prefix.img is read under data_root); change data_prefix.img "
                              "(image_dir in the templates) or data_root")
