"""Merging detections that several views of one image found (tiles that
overlap, a full-image pass): the one place this is done.

Two methods, class by class:

- ``'nms'``: keep the best box and drop the ones that overlap it (mmcv's
  ``batched_nms``, IoU);
- ``'greedy_nmm'``: SAHI's greedy non-maximum *merging*: the best box absorbs
  the boxes that overlap it (their union becomes its box, its score stays the
  best), so an object cut by a tile border comes back whole. Overlap is
  ``'ios'`` (intersection over the smaller box: a half-object box inside a
  whole-object box scores 1) or ``'iou'``.
"""
from __future__ import annotations
from typing import Tuple

import torch
from mmcv.ops import batched_nms
from torch import Tensor

#: ``merge`` choices.
MERGE_METHODS = ('nms', 'greedy_nmm')
#: ``match_metric`` choices of ``'greedy_nmm'``.
MATCH_METRICS = ('ios', 'iou')


def pairwise_overlap(one: Tensor, others: Tensor, metric: str = 'iou') -> Tensor:
    """Overlap of box ``one`` ``(4,)`` with each of ``others`` ``(N, 4)``
    (``x1, y1, x2, y2``): IoU, or IoS (intersection over the smaller area).

    Example:
        >>> a = torch.tensor([0., 0., 10., 10.])
        >>> b = torch.tensor([[0., 0., 5., 10.], [20., 20., 30., 30.]])
        >>> pairwise_overlap(a, b, 'iou').tolist(), pairwise_overlap(a, b, 'ios').tolist()
        ([0.5, 0.0], [1.0, 0.0])
    """
    x1 = torch.maximum(one[0], others[:, 0])
    y1 = torch.maximum(one[1], others[:, 1])
    x2 = torch.minimum(one[2], others[:, 2])
    y2 = torch.minimum(one[3], others[:, 3])
    inter = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    area_one = (one[2] - one[0]) * (one[3] - one[1])
    area_others = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    if metric == 'ios':
        base = torch.minimum(area_one.expand_as(area_others), area_others)
    elif metric == 'iou':
        base = area_one + area_others - inter
    else:
        raise ValueError(f'match_metric={metric!r}: choose from {MATCH_METRICS}')
    return inter / base.clamp(min=1e-9)


def _greedy_nmm(bboxes: Tensor, scores: Tensor, labels: Tensor, threshold: float,
                metric: str) -> Tuple[Tensor, Tensor, Tensor]:
    """Greedy merging of one image's boxes, class by class (module doc)."""
    kept_boxes, kept_scores, kept_labels = [], [], []
    for label in labels.unique(sorted=True):
        index = (labels == label).nonzero(as_tuple=True)[0]
        order = index[scores[index].argsort(descending=True, stable=True)]
        boxes = bboxes[order]
        alive = torch.ones(len(order), dtype=torch.bool)
        for i in range(len(order)):
            if not alive[i]:
                continue
            rest = alive.clone()
            rest[:i + 1] = False
            box = boxes[i].clone()
            if rest.any():
                matched = rest.nonzero(as_tuple=True)[0]
                matched = matched[pairwise_overlap(boxes[i], boxes[matched], metric) >= threshold]
                if len(matched):
                    group = torch.cat([boxes[i:i + 1], boxes[matched]])
                    box = torch.cat([group[:, :2].min(0).values, group[:, 2:].max(0).values])
                    alive[matched] = False
            kept_boxes.append(box)
            kept_scores.append(scores[order[i]])
            kept_labels.append(label)
    if not kept_boxes:
        return bboxes[:0], scores[:0], labels[:0]
    return torch.stack(kept_boxes), torch.stack(kept_scores), torch.stack(kept_labels)


def merge_detections(bboxes: Tensor,
                     scores: Tensor,
                     labels: Tensor,
                     method: str = 'greedy_nmm',
                     threshold: float = 0.5,
                     metric: str = 'ios',
                     max_num: int = -1) -> Tuple[Tensor, Tensor, Tensor]:
    """Merge one image's detections from several views.

    Args:
        bboxes: ``(N, 4)`` boxes ``x1, y1, x2, y2`` in image pixels.
        scores: ``(N,)``.
        labels: ``(N,)`` class indices (boxes of different classes never merge).
        method: ``'nms'`` (IoU) or ``'greedy_nmm'``.
        threshold: Overlap at which two boxes are one object.
        metric: ``'ios'`` or ``'iou'`` for ``'greedy_nmm'`` (NMS uses IoU).
        max_num: Keep at most this many, best first (``-1``: all).

    Returns:
        tuple: ``(bboxes, scores, labels)``, best score first.

    Example:
        >>> halves = torch.tensor([[0., 0., 12., 10.], [8., 0., 20., 10.]])
        >>> b, s, l = merge_detections(halves, torch.tensor([.9, .8]), torch.tensor([0, 0]),
        ...                            'greedy_nmm', 0.3, 'ios')
        >>> b.tolist(), s.tolist()
        ([[0.0, 0.0, 20.0, 10.0]], [0.8999999761581421])
    """
    if method not in MERGE_METHODS:
        raise ValueError(f'merge={method!r}: choose from {MERGE_METHODS}')
    if not len(bboxes):
        return bboxes, scores, labels
    if method == 'nms':
        dets, keep = batched_nms(bboxes, scores, labels, dict(type='nms', iou_threshold=threshold))
        bboxes, scores, labels = dets[:, :4], dets[:, 4], labels[keep]
    else:
        bboxes, scores, labels = _greedy_nmm(bboxes, scores, labels, threshold, metric)
    order = scores.argsort(descending=True, stable=True)
    if max_num > 0:
        order = order[:max_num]
    return bboxes[order], scores[order], labels[order]
