"""A config's data paths are checked as mmengine joins them, before anything
is built: relative (under data_root, or as typed with data_root=''),
absolute, missing."""
import os

import pytest
from mmengine.config import Config

from mmdet_efficientdet.datasets import AnnotationFileError, DataPathError, check_data_paths


def _cfg(data_root, ann_file, img, wrap=False):
    dataset = dict(data_root=data_root, ann_file=ann_file, data_prefix=dict(img=img))
    if wrap:
        dataset = dict(type='RepeatDataset', times=2, dataset=dataset)
    return Config(dict(train_dataloader=dict(dataset=dataset)))


def test_relative_absolute_and_as_typed_paths_pass(shapes_root, monkeypatch):
    check_data_paths(_cfg(shapes_root, 'annotations/instances_train.json', 'train/'))
    check_data_paths(
        _cfg('/elsewhere', f'{shapes_root}/annotations/instances_train.json',
             f'{shapes_root}/train/'))
    monkeypatch.chdir(os.path.dirname(shapes_root))
    name = os.path.basename(shapes_root)
    check_data_paths(
        _cfg('', f'{name}/annotations/instances_train.json', f'{name}/train/', wrap=True))


def test_each_wrong_path_is_named_with_the_key(shapes_root, tmp_path):
    with pytest.raises(DataPathError) as err:
        check_data_paths(_cfg(shapes_root, 'annotations/nope.json', 'train/'))
    assert str(err.value).startswith(f"train_dataloader.dataset: annotation file "
                                     f"'{shapes_root}/annotations/nope.json' not found")
    with pytest.raises(DataPathError, match=r"image folder '.*/photos/' not found \(data_root"):
        check_data_paths(_cfg(shapes_root, 'annotations/instances_train.json', 'photos/'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DataPathError) as err:  # a folder holding none of the json's images
        check_data_paths(
            _cfg(
                shapes_root, 'annotations/instances_train.json', str(tmp_path / 'empty'),
                wrap=True))
    assert str(err.value).startswith('train_dataloader.dataset.dataset: none of the 8 image(s)')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    with pytest.raises(AnnotationFileError, match='is not valid COCO json'):
        check_data_paths(_cfg('', str(bad), str(tmp_path)))
