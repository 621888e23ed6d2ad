"""COCO dataset that says which degenerate boxes it drops."""
from __future__ import annotations

import logging
from typing import List, Union

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

MAX_LISTED = 5


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """:class:`CocoDataset` that warns about the boxes it drops.

    mmdet silently drops annotations whose box has zero or negative width or
    height (or lies outside the image). This dataset drops the same boxes and
    logs one warning with their count and the first few (file, annotation id,
    box). Images left without boxes still train (as negatives) unless
    ``filter_cfg.filter_empty_gt`` removes them.
    """

    def load_data_list(self) -> List[dict]:
        self._dropped: List[str] = []
        data_list = super().load_data_list()
        if self._dropped:
            listed = '; '.join(self._dropped[:MAX_LISTED])
            more = len(self._dropped) - MAX_LISTED
            print_log(
                f'{self.ann_file}: dropped {len(self._dropped)} degenerate '
                f'box(es) with zero/negative width or height or outside the '
                f'image: {listed}' + (f'; and {more} more' if more > 0 else ''),
                logger='current', level=logging.WARNING)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        img_info = raw_data_info['raw_img_info']
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False):
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
            if inter_w * inter_h == 0 or ann['area'] <= 0 or w < 1 or h < 1:
                self._dropped.append(f'{img_info["file_name"]} annotation '
                                     f'{ann.get("id")} bbox {ann["bbox"]}')
        return super().parse_data_info(raw_data_info)
