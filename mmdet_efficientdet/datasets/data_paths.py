"""Check a config's data paths before anything is built or written.

mmengine joins a relative ``ann_file`` and ``data_prefix.img`` under
``data_root``; a path typed relative to the repository then points nowhere
and mmdet fails late (after the model is built and the work dir written)
with ``need at least one array to concatenate``. :func:`check_data_paths`
resolves the paths as mmengine will and names the first one that is wrong.
"""
from __future__ import annotations
import json
import os.path as osp
from typing import Iterator, List, Tuple

from ..errors import UserError
from .checked_coco import AnnotationFileError

#: The dataloaders a run reads, by config key.
DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: Annotation files larger than this are not read twice for the image check.
MAX_CHECKED_JSON_BYTES = 64 * 2**20


class DataPathError(UserError, FileNotFoundError):
    """A config's annotation file or image folder is not where it points."""


def _datasets(cfg) -> Iterator[Tuple[str, dict]]:
    """``(config key, dataset dict)`` of every dataloader's dataset, through
    ``RepeatDataset``-style wrappers (``dataset=``) and ``ConcatDataset``."""
    for key in DATALOADER_KEYS:
        loader = cfg.get(key)
        if not loader or not loader.get('dataset'):
            continue
        stack = [(f'{key}.dataset', loader['dataset'])]
        while stack:
            where, dataset = stack.pop()
            if 'datasets' in dataset:
                stack += [(f'{where}.datasets.{i}', d) for i, d in enumerate(dataset['datasets'])]
            elif 'dataset' in dataset:
                stack.append((f'{where}.dataset', dataset['dataset']))
            elif dataset.get('ann_file'):
                yield where, dataset


def _under_root(data_root: str, path: str) -> str:
    return osp.join(data_root, path) if data_root and not osp.isabs(path) else path


def check_data_paths(cfg) -> None:
    """Check every dataloader's annotation file and image folder exist and
    that the folder holds at least one image the json names.

    Args:
        cfg (Config): A run's config (after ``--cfg-options``).

    Raises:
        DataPathError: naming the config key, the path as resolved (the
            current directory for a relative one), how it was joined, and the
            key to change.
    """
    for where, dataset in _datasets(cfg):
        root = dataset.get('data_root') or ''
        ann_file = _under_root(root, dataset['ann_file'])
        if not osp.isfile(ann_file):
            raise DataPathError(f'{where}: annotation file {ann_file!r} not found (data_root '
                                f'{root!r} + ann_file {dataset["ann_file"]!r}, from '
                                f'{osp.abspath(".")}); change data_root or ann_file')
        names = _json_image_names(ann_file)
        prefix = (dataset.get('data_prefix') or {}).get('img', '')
        folder = _under_root(root, prefix)
        if folder and not osp.isdir(folder):
            raise DataPathError(
                f'{where}: image folder {folder!r} not found (data_root {root!r} + '
                f'data_prefix.img {prefix!r}: a relative data_prefix.img is read under '
                f'data_root); change data_prefix.img (image_dir in the templates) or data_root')
        _check_images_present(where, ann_file, folder, prefix, names)


def _json_image_names(ann_file: str) -> List[str]:
    """The ``file_name`` of every image of a COCO json (empty for a file too
    large to read twice: the dataset checks every image when it loads).

    Raises:
        AnnotationFileError: the file is not valid COCO json.
    """
    if osp.getsize(ann_file) > MAX_CHECKED_JSON_BYTES:
        return []
    try:
        with open(ann_file) as f:
            images = json.load(f)['images']
        return [img['file_name'] for img in images]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise AnnotationFileError(f'annotation file {ann_file!r} is not valid COCO json: '
                                  f'{type(err).__name__}: {err}') from None


def _check_images_present(where: str, ann_file: str, folder: str, prefix: str,
                          names: List[str]) -> None:
    """Refuse an image folder that holds none of the json's images."""
    if names and not any(osp.isfile(osp.join(folder, name)) for name in names):
        raise DataPathError(f'{where}: none of the {len(names)} image(s) of {ann_file} are in '
                            f'{folder!r} (first: {names[0]!r}); change data_prefix.img '
                            f'({prefix!r}, image_dir in the templates) or data_root')
