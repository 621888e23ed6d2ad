"""Sliced inference: small objects in large images, inside ``predict``.

A 52 px car in a 1920x1080 frame is 14 px once the frame is resized to 512.
With ``model.test_cfg.slice`` set, the detector instead cuts each image (at
the resolution the test pipeline gives it, e.g. unresized) into overlapping
tiles of the network's size, runs the tiles of one image as one batch (and,
with ``full_image``, the whole image resized to one tile, for the large
objects), maps every box back to the image and merges the views
(:mod:`.detection_merge`). Because it lives in ``predict``, mmdet's
``tools/test.py`` (COCO metric on the full images), ``DetInferencer``, the
demo and the deployed files (:class:`~mmdet_efficientdet.deployment.
DeployedEfficientDet`, whose file takes one tile) all slice alike::

    model = dict(test_cfg=dict(slice=dict(
        tile=512, overlap=0.2, merge='greedy_nmm', merge_threshold=0.5,
        match_metric='ios', full_image=True)))
    test_pipeline = sliced_test_pipeline(test_pipeline)  # keep the resolution

With one tile covering the whole image (and no full-image pass), the result
equals plain inference.
"""
from __future__ import annotations
from dataclasses import dataclass
from typing import Callable, List, Mapping, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from .detection_merge import MATCH_METRICS, MERGE_METHODS, merge_detections

#: A raw forward: ``(N, 3, H, W)`` images -> ``(class maps, box maps)``.
RawForward = Callable[[Tensor], Tuple[Sequence[Tensor], Sequence[Tensor]]]


@dataclass(frozen=True)
class SliceSettings:
    """``model.test_cfg.slice``.

    Attributes:
        tile (tuple[int, int]): Tile ``(H, W)`` in input pixels (an int is
            square): the network's size (a deployed file's export size).
        overlap (float): Share of a tile its neighbour overlaps, in [0, 1).
        merge (str): ``'greedy_nmm'`` (SAHI's merging) or ``'nms'``.
        merge_threshold (float): Overlap at which two views' boxes are one.
        match_metric (str): ``'ios'`` or ``'iou'`` (greedy merging).
        full_image (bool): Also run the whole image resized to one tile.
    """
    tile: Tuple[int, int]
    overlap: float = 0.2
    merge: str = 'greedy_nmm'
    merge_threshold: float = 0.5
    match_metric: str = 'ios'
    full_image: bool = True

    @classmethod
    def from_cfg(cls, cfg: Mapping) -> 'SliceSettings':
        """Check and read ``model.test_cfg.slice``.

        Raises:
            ValueError: naming the key and the problem.
        """
        cfg = dict(cfg)
        where = 'model.test_cfg.slice'
        unknown = sorted(set(cfg) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f'{where}: unknown key(s) {unknown}; expected '
                             f'{sorted(cls.__dataclass_fields__)}')
        if 'tile' not in cfg:
            raise ValueError(f'{where}.tile is missing: the tile side (the network\'s size)')
        tile = cfg['tile']
        tile = (int(tile), int(tile)) if isinstance(tile, (int, float)) else tuple(map(int, tile))
        if len(tile) != 2 or min(tile) < 1:
            raise ValueError(f'{where}.tile={cfg["tile"]!r}: a side or (H, W) of positive ints')
        settings = cls(tile=tile, **{k: v for k, v in cfg.items() if k != 'tile'})
        if not 0 <= settings.overlap < 1:
            raise ValueError(f'{where}.overlap={settings.overlap!r} must be in [0, 1)')
        if settings.merge not in MERGE_METHODS:
            raise ValueError(f'{where}.merge={settings.merge!r}: choose from {MERGE_METHODS}')
        if settings.match_metric not in MATCH_METRICS:
            raise ValueError(f'{where}.match_metric={settings.match_metric!r}: choose from '
                             f'{MATCH_METRICS}')
        return settings


def tile_starts(length: int, tile: int, overlap: float) -> List[int]:
    """Starts of the tiles that cover ``[0, length)``: a step of ``tile * (1 -
    overlap)``, the last tile ending at the edge (one tile when it fits).

    Example:
        >>> tile_starts(1080, 512, 0.2), tile_starts(300, 512, 0.2)
        ([0, 410, 568], [0])
    """
    if length <= tile:
        return [0]
    step = max(1, int(round(tile * (1 - overlap))))
    return sorted(set(range(0, length - tile, step)) | {length - tile})


def tile_grid(height: int, width: int, tile: Tuple[int, int],
              overlap: float) -> List[Tuple[int, int, int, int]]:
    """Tiles ``(x0, y0, x1, y1)`` covering a ``height`` x ``width`` image
    (clipped to it where the image is smaller than a tile).

    Example:
        >>> tile_grid(1080, 1920, (512, 512), 0.2)[:2], len(tile_grid(1080, 1920, (512, 512), 0.2))
        ([(0, 0, 512, 512), (410, 0, 922, 512)], 15)
    """
    return [(x, y, min(x + tile[1], width), min(y + tile[0], height))
            for y in tile_starts(height, tile[0], overlap)
            for x in tile_starts(width, tile[1], overlap)]


def _views(image: Tensor, settings: SliceSettings) -> Tuple[Tensor, List[dict], List[Tuple]]:
    """The tiles of one ``(3, h, w)`` image (and the resized whole image):
    ``(V, 3, tile_h, tile_w)`` zero-padded, each view's meta for the head,
    and each view's ``(x0, y0)`` offset in the image."""
    th, tw = settings.tile
    height, width = image.shape[-2:]
    views, metas, offsets = [], [], []
    for x0, y0, x1, y1 in tile_grid(height, width, settings.tile, settings.overlap):
        views.append(F.pad(image[:, y0:y1, x0:x1], (0, tw - (x1 - x0), 0, th - (y1 - y0))))
        metas.append(dict(img_shape=(y1 - y0, x1 - x0), scale_factor=(1.0, 1.0)))
        offsets.append((x0, y0))
    if settings.full_image and len(views) > 1:
        scale = min(th / height, tw / width)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        small = F.interpolate(image[None], size=size, mode='bilinear', align_corners=False)[0]
        views.append(F.pad(small, (0, tw - size[1], 0, th - size[0])))
        metas.append(dict(img_shape=size, scale_factor=(size[1] / width, size[0] / height)))
        offsets.append((0, 0))
    return torch.stack(views), metas, offsets


def predict_one_image(raw_forward: RawForward, head, image: Tensor,
                      settings: SliceSettings) -> InstanceData:
    """Detections of one ``(3, h, w)`` image in its own pixels: every view
    through ``raw_forward`` as one batch, the head's post-processing per
    view, boxes moved back by the view's offset, the views merged."""
    views, metas, offsets = _views(image, settings)
    cls_scores, bbox_preds = raw_forward(views)
    found = head.predict_by_feat(
        list(cls_scores), list(bbox_preds), batch_img_metas=metas, rescale=True)
    shift = torch.cat([
        r.bboxes.new_tensor([x0, y0, x0, y0]).expand(len(r.bboxes), 4)
        for r, (x0, y0) in zip(found, offsets)
    ])
    bboxes = torch.cat([r.bboxes for r in found]) + shift
    scores = torch.cat([r.scores for r in found])
    labels = torch.cat([r.labels for r in found])
    max_num = int(head.test_cfg.get('max_per_img', -1)) if head.test_cfg else -1
    bboxes, scores, labels = merge_detections(bboxes, scores, labels, settings.merge,
                                              settings.merge_threshold, settings.match_metric,
                                              max_num)
    return InstanceData(bboxes=bboxes, scores=scores, labels=labels)


def sliced_predict(raw_forward: RawForward,
                   head,
                   batch_inputs: Tensor,
                   batch_metas: Sequence[dict],
                   settings: Union[SliceSettings, Mapping],
                   rescale: bool = True) -> List[InstanceData]:
    """Sliced detections of a batch (one image after another; the views of
    one image are one batch).

    Args:
        raw_forward: The network without post-processing (the PyTorch
            detector's ``_forward`` or a deployed file).
        head: The detector's head (anchors, decoding, per-view NMS).
        batch_inputs: ``(N, 3, H, W)`` preprocessed (normalised, padded) images.
        batch_metas: Each image's meta: ``img_shape`` (its valid size in
            ``batch_inputs``) and ``scale_factor`` (of the test pipeline).
        settings: :class:`SliceSettings` or ``model.test_cfg.slice``.
        rescale: Boxes in the original image (divided by ``scale_factor``).

    Returns:
        list[InstanceData]: ``bboxes`` ``(K, 4)``, ``scores``, ``labels`` per image.
    """
    if not isinstance(settings, SliceSettings):
        settings = SliceSettings.from_cfg(settings)
    results = []
    for image, meta in zip(batch_inputs, batch_metas):
        height, width = meta['img_shape'][:2]
        found = predict_one_image(raw_forward, head, image[:, :height, :width], settings)
        if rescale and meta.get('scale_factor') is not None:
            scale_w, scale_h = meta['scale_factor'][:2]
            found.bboxes = found.bboxes / found.bboxes.new_tensor([scale_w, scale_h] * 2)
        results.append(found)
    return results
