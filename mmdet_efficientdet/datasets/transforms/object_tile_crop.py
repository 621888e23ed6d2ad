"""Tiled training: a tile of the network's size cut from a large image."""
from __future__ import annotations
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ObjectTileCrop(BaseTransform):
    """Cut one ``tile``-sized window from an image at its own resolution.

    With probability ``object_prob`` the window holds a randomly chosen box's
    centre (a tile with objects); otherwise it is anywhere in the image (often
    background, which teaches the detector what is not an object). A box cut
    by the window's edge is kept, clipped, when at least ``min_visible`` of
    its area is inside, and dropped otherwise (half a car is not a car). An
    image smaller than the tile along a side is kept whole along it (a later
    ``Pad`` fills the tile). No copy of the dataset is written: each epoch
    draws new windows.

    Required keys: ``img``, ``gt_bboxes``, ``gt_bboxes_labels``
    (``gt_ignore_flags`` when present). Modified: ``img``, ``img_shape``,
    the three box keys.

    Args:
        tile (int | tuple[int, int]): Window ``(H, W)`` (an int is square).
        object_prob (float): Share of windows placed on an object.
        min_visible (float): Visible share of a cut box's area to keep it.
    """

    def __init__(self, tile, object_prob: float = 0.8, min_visible: float = 0.5) -> None:
        self.tile: Tuple[int, int] = (int(tile), int(tile)) if np.isscalar(tile) else \
            tuple(int(t) for t in tile)
        if not 0 <= object_prob <= 1 or not 0 < min_visible <= 1:
            raise ValueError(f'object_prob={object_prob} must be in [0, 1] and '
                             f'min_visible={min_visible} in (0, 1]')
        self.object_prob = object_prob
        self.min_visible = min_visible

    def _window(self, height: int, width: int, boxes: np.ndarray) -> Tuple[int, int]:
        """Top-left ``(y0, x0)`` of the window."""
        th, tw = min(self.tile[0], height), min(self.tile[1], width)
        if len(boxes) and np.random.rand() < self.object_prob:
            box = boxes[np.random.randint(len(boxes))]
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            x_low, x_high = max(0, int(np.ceil(cx - tw)) + 1), min(width - tw, int(cx))
            y_low, y_high = max(0, int(np.ceil(cy - th)) + 1), min(height - th, int(cy))
            if x_low <= x_high and y_low <= y_high:
                return np.random.randint(y_low, y_high + 1), np.random.randint(x_low, x_high + 1)
        return np.random.randint(0, height - th + 1), np.random.randint(0, width - tw + 1)

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        height, width = img.shape[:2]
        boxes = results['gt_bboxes']
        corners = boxes.numpy() if hasattr(boxes, 'numpy') else np.asarray(boxes)
        y0, x0 = self._window(height, width, corners.reshape(-1, 4))
        th, tw = min(self.tile[0], height), min(self.tile[1], width)
        results['img'] = img[y0:y0 + th, x0:x0 + tw]
        results['img_shape'] = results['img'].shape[:2]
        if len(corners):
            shifted = corners.reshape(-1, 4) - np.array([x0, y0, x0, y0], dtype=np.float32)
            clipped = shifted.copy()
            clipped[:, 0::2] = clipped[:, 0::2].clip(0, tw)
            clipped[:, 1::2] = clipped[:, 1::2].clip(0, th)
            area = (shifted[:, 2] - shifted[:, 0]) * (shifted[:, 3] - shifted[:, 1])
            inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
            keep = inside >= self.min_visible * np.maximum(area, 1e-6)
            results['gt_bboxes'] = type(boxes)(clipped[keep]) if hasattr(boxes, 'numpy') \
                else clipped[keep]
            results['gt_bboxes_labels'] = results['gt_bboxes_labels'][keep]
            if 'gt_ignore_flags' in results:
                results['gt_ignore_flags'] = results['gt_ignore_flags'][keep]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(tile={self.tile}, object_prob={self.object_prob}, '
                f'min_visible={self.min_visible})')
