"""COCO dataset that never drops or misreads annotations silently."""
from __future__ import annotations
import copy
import json
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log
from PIL import Image, UnidentifiedImageError

from ..errors import UserError

#: How many offending items one warning lists by name.
MAX_LISTED = 5
#: ``size_mismatch`` policies.
SIZE_POLICIES = ('drop', 'raise', 'ignore_orientation', 'off')
#: ``unknown_category`` policies.
CATEGORY_POLICIES = ('drop', 'raise')
#: ``undecodable`` policies.
DECODE_POLICIES = ('drop', 'raise', 'off')
#: EXIF orientations that transpose the image (90/270 degree rotations).
_TRANSPOSING = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


class AnnotationFileError(UserError, ValueError):
    """An annotation file is malformed, or holds what its policy refuses."""


def _listing(items: Sequence[str]) -> str:
    listed = '; '.join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return listed + (f'; and {more} more' if more > 0 else '')


def _with_ignored_orientation(pipeline: Sequence) -> List:
    """Copy of ``pipeline`` whose ``LoadImageFromFile`` keeps stored pixels."""
    result = []
    for transform in pipeline:
        if isinstance(transform, dict) and transform.get('type') == 'LoadImageFromFile':
            transform = copy.deepcopy(transform)
            color = transform.get('color_type', 'color')
            if 'ignore_orientation' not in color:
                transform['color_type'] = f'{color}_ignore_orientation'
        result.append(transform)
    return result


def _decodes_with_orientation(pipeline: Sequence) -> bool:
    """Whether the pipeline's image loader applies EXIF orientation."""
    for transform in pipeline:
        if isinstance(transform, dict) and transform.get('type') == 'LoadImageFromFile':
            return 'ignore_orientation' not in transform.get('color_type', 'color')
    return True


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """:class:`CocoDataset` that reports what mmdet's drops or misreads silently.

    Checked when the annotation file is loaded; each kind of problem gives one
    warning naming the file and listing the first items (image file, image
    id, annotation id) with the total count:

    * **degenerate boxes** (zero/negative width or height, or outside the
      image): dropped, as mmdet does, with the warning;
    * **unknown categories**: annotations whose ``category_id`` is not in the
      json's ``categories`` (a mislabelled annotation; mmdet drops it without a
      word). ``unknown_category='drop'`` drops them with the warning,
      ``'raise'`` stops with the list. Categories that *are* in the json but
      not in ``metainfo['classes']`` are a deliberate subset and stay silent;
    * **image size mismatches**: images whose decoded size (as the pipeline's
      ``LoadImageFromFile`` decodes them, EXIF orientation applied unless
      its ``color_type`` ignores it) differs from the json's
      ``width``/``height``: an EXIF-rotated photo whose boxes were drawn on
      the stored pixels, or a wrong json. ``size_mismatch`` says what to do:
      ``'drop'`` (default) drops those images with the warning; ``'raise'``
      stops with the list; ``'ignore_orientation'`` loads every image in its
      stored orientation (the pipeline's ``LoadImageFromFile`` gets
      ``color_type='color_ignore_orientation'``), which matches the json for
      EXIF-rotated images, and drops the images that still differ; ``'off'``
      skips the check (no image headers are read at start-up).

    * **undecodable images**: files that are missing or that OpenCV cannot
      decode (a truncated JPEG: PIL reads its header, but ``LoadImageFromFile``
      would stop training mid-epoch with mmcv's ``failed to load image``).
      Every image is decoded once at start-up (at 1/8 scale: ~1 ms per
      photo); ``undecodable='drop'`` (default) drops them with the warning,
      ``'raise'`` stops with the list, ``'off'`` skips the check.

    A dropped validation image is still in the json the COCO metric reads, so
    its boxes count as missed: fix the json, or use ``'raise'`` for val sets.
    An annotation file that is not valid COCO json is an error naming it.

    Args:
        unknown_category (str): ``'drop'`` or ``'raise'``. Defaults to
            ``'drop'``.
        size_mismatch (str): ``'drop'``, ``'raise'``,
            ``'ignore_orientation'`` or ``'off'``. Defaults to ``'drop'``.
        undecodable (str): ``'drop'``, ``'raise'`` or ``'off'``. Defaults
            to ``'drop'``.
        pipeline (list): Transforms, as :class:`CocoDataset`.
        **kwargs: Other :class:`CocoDataset` arguments.
    """

    def __init__(self,
                 *args,
                 unknown_category: str = 'drop',
                 size_mismatch: str = 'drop',
                 undecodable: str = 'drop',
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        if unknown_category not in CATEGORY_POLICIES:
            raise ValueError(f'CheckedCocoDataset: unknown_category='
                             f'{unknown_category!r}; expected one of '
                             f'{CATEGORY_POLICIES}')
        if size_mismatch not in SIZE_POLICIES:
            raise ValueError(f'CheckedCocoDataset: size_mismatch='
                             f'{size_mismatch!r}; expected one of '
                             f'{SIZE_POLICIES}')
        if undecodable not in DECODE_POLICIES:
            raise ValueError(f'CheckedCocoDataset: undecodable='
                             f'{undecodable!r}; expected one of '
                             f'{DECODE_POLICIES}')
        self.undecodable = undecodable
        self.unknown_category = unknown_category
        self.size_mismatch = size_mismatch
        pipeline = list(pipeline)
        if size_mismatch == 'ignore_orientation':
            pipeline = _with_ignored_orientation(pipeline)
        self._applies_orientation = _decodes_with_orientation(pipeline)
        super().__init__(*args, pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the json as :class:`CocoDataset`, then act on what was found."""
        self._dropped: List[str] = []
        self._unknown: List[str] = []
        self._mismatched: List[str] = []
        self._undecodable: List[str] = []
        self._json_names: List[str] = []
        try:
            data_list = super().load_data_list()
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError,
                AttributeError) as err:
            raise AnnotationFileError(f'annotation file {self.ann_file!r} is not valid COCO '
                                      f'json: {type(err).__name__}: {err}') from None
        self._check_class_names()
        self._json_images = len(data_list)
        if self._dropped:
            self._warn(
                f'dropped {len(self._dropped)} degenerate box(es) with '
                f'zero/negative width or height or outside the image', self._dropped)
        self._drop_or_raise(self._unknown, 'unknown_category',
                            'annotation(s) whose category_id is not in the file\'s '
                            'categories')
        if self._drop_or_raise(
                self._mismatched, 'size_mismatch',
                'image(s) whose decoded size differs from the json\'s '
                'width/height (EXIF rotation or a wrong json; their boxes '
                'would be misplaced)'):
            data_list = [d for d in data_list if not d.get('size_mismatch')]
        if self._drop_or_raise(
                self._undecodable, 'undecodable',
                'image(s) that are missing or cannot be decoded (truncated '
                'or not an image)'):
            data_list = [d for d in data_list if not d.get('undecodable')]
        return data_list

    def _check_class_names(self) -> None:
        """Every class of ``metainfo['classes']`` must be a category name of
        the json (exactly, case included): a missing one would silently get
        no boxes and break the COCO metric after a whole evaluation."""
        classes = self.metainfo.get('classes', ())
        if len(self.cat_ids) >= len(classes) or not self._json_names:
            return
        missing = [c for c in classes if c not in self._json_names]
        raise AnnotationFileError(
            f"{self.ann_file}: class(es) {', '.join(map(repr, missing))} of the config's "
            f"metainfo classes are not category names of this json (names must match "
            f"exactly, case included); its categories: "
            f"{', '.join(map(repr, self._json_names))}; change `classes` in the config")

    def filter_data(self) -> List[dict]:
        """Filter as mmdet does; a dataset left with no image is an error
        naming the folder searched, the counts and the keys to change (mmdet
        would fail later with ``need at least one array to concatenate``)."""
        data_list = super().filter_data()
        if not data_list:
            raise AnnotationFileError(self._empty_message())
        return data_list

    def _empty_message(self) -> str:
        folder = self.data_prefix.get('img', self.data_root)
        listed = getattr(self, '_json_images', 0)
        lost = len(self._undecodable) + len(self._mismatched)
        parts = [f'{self.ann_file}: no image left to use: the json lists {listed} image(s)']
        if self._undecodable:
            parts.append(f'{len(self._undecodable)} are missing or cannot be decoded in the '
                         f'image folder {folder!r} (data_root {self.data_root!r} + '
                         f'data_prefix.img; change data_root or data_prefix.img - image_dir '
                         f'in the templates)')
        if self._mismatched:
            parts.append(f'{len(self._mismatched)} differ in size from the json '
                         f'(size_mismatch)')
        if listed > lost:
            parts.append(f'{listed - lost} without boxes were filtered out '
                         f'(filter_cfg.filter_empty_gt=True; set it False to train on '
                         f'background images)')
        return '; '.join(parts)

    def _drop_or_raise(self, items: Sequence[str], option: str, what: str) -> bool:
        """Act on ``items`` by the policy ``self.<option>``: raise on
        ``'raise'``, else warn that they are dropped. Returns whether any."""
        if not items:
            return False
        policy = getattr(self, option)
        what = f'{len(items)} {what}'
        if policy == 'raise':
            raise AnnotationFileError(f'{self.ann_file}: {what} ({option}=\'raise\'): '
                                      f'{_listing(items)}')
        self._warn(f'dropped {what} ({option}={policy!r})', items)
        return True

    def _warn(self, what: str, items: Sequence[str]) -> None:
        print_log(
            f'{self.ann_file}: {what}: {_listing(items)}', logger='current', level=logging.WARNING)

    def _decoded_size(self, path: str) -> Optional[Tuple[int, int, int]]:
        """``(width, height, exif_orientation)`` as the loader decodes
        ``path``, or None when the header cannot be read (the loader then
        names the file)."""
        try:
            with Image.open(path) as img:
                width, height = img.size
                orientation = int(img.getexif().get(_EXIF_ORIENTATION, 1))
        except (OSError, UnidentifiedImageError, ValueError):
            return None
        if self._applies_orientation and orientation in _TRANSPOSING:
            width, height = height, width
        return width, height, orientation

    @staticmethod
    def _decodes(path: str) -> bool:
        """Whether OpenCV (``LoadImageFromFile``'s decoder) can decode
        ``path``; at 1/8 scale, which still reads the whole JPEG stream."""
        try:
            data = np.fromfile(path, dtype=np.uint8)
        except OSError:
            return False
        return data.size > 0 and cv2.imdecode(data, cv2.IMREAD_REDUCED_COLOR_8) is not None

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Parse as :class:`CocoDataset`, recording what it would skip."""
        img_info = raw_data_info['raw_img_info']
        if not self._json_names:
            self._json_names = [cat['name'] for cat in self.coco.cats.values()]
        where = f'{img_info["file_name"]} (image {img_info["img_id"]})'
        known: Dict = self.coco.cats
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False):
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
            if inter_w * inter_h == 0 or ann['area'] <= 0 or w < 1 or h < 1:
                self._dropped.append(f'{where} annotation {ann.get("id")} '
                                     f'bbox {ann["bbox"]}')
            elif ann['category_id'] not in known:
                self._unknown.append(f'{where} annotation {ann.get("id")} '
                                     f'category_id {ann["category_id"]}')
        data_info = super().parse_data_info(raw_data_info)
        if self.undecodable != 'off' and not self._decodes(data_info['img_path']):
            self._undecodable.append(where)
            data_info['undecodable'] = True
            return data_info
        if self.size_mismatch != 'off':
            decoded = self._decoded_size(data_info['img_path'])
            if decoded and decoded[:2] != (img_info['width'], img_info['height']):
                self._mismatched.append(f'{where}: json {img_info["width"]}x{img_info["height"]}, '
                                        f'decoded {decoded[0]}x{decoded[1]} (EXIF orientation '
                                        f'{decoded[2]})')
                data_info['size_mismatch'] = True
        return data_info
