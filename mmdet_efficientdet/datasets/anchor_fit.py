"""How well a config's anchors fit a dataset's boxes, and a better fit.

EfficientDet assigns an anchor to a box when their IoU reaches the positive
threshold (0.5); a box whose best anchor stays below it gets only the one
anchor forced to it (``gt_max_assign_all=False``) and learns slowly. Small
objects below the smallest anchor's reach, or elongated ones, are the usual
reason fine-tuning gives near-zero AP. :func:`fit_anchors` measures, at the
config's input size (images resized as the test pipeline does):

- box side (``sqrt(w * h)``) and aspect (``w / h``) distributions,
- the pyramid level of each box's best anchor,
- the share of boxes whose best anchor IoU is below the positive threshold,
  and the positives per box,

then searches ``octave_base_scale`` and the aspect pairs for the highest
coverage and says when no anchor setting helps (boxes below the finest
level's reach: the input size or ``min_level`` is the real problem).
"""
from __future__ import annotations
import copy
import io
import math
import random
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from mmdet.registry import DATASETS, TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import register_all_modules

from ..config_utils import backbone_out_indices
from ..errors import UserError
from ..fileio import atomic_write
from ..models.backbones.efficientnet import efficientnet_feature_channels
from ..models.task_modules.tf_anchor_generator import TF_ASPECT_RATIOS
from ..scaling import EFFICIENTDET_P2_SCALES
from ..utils.plotting import pyplot

#: Candidate ``octave_base_scale`` values of the search.
SCALE_GRID = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)


@dataclass
class AnchorSetting:
    """One anchor setting and how it covers the boxes.

    Attributes:
        octave_base_scale (float): automl ``anchor_scale``.
        aspect_ratios (list): ``(w, h)`` multiplier pairs.
        coverage (float): Share of boxes whose best anchor IoU reaches the
            positive threshold.
        positives_per_box (float): Mean anchors at or above the threshold per
            box (at least the forced one).
        mean_best_iou (float): Mean best-anchor IoU.
    """
    octave_base_scale: float
    aspect_ratios: List[Tuple[float, float]]
    coverage: float = 0.0
    positives_per_box: float = 0.0
    mean_best_iou: float = 0.0

    def cfg_options(self) -> str:
        """The ``--cfg-options`` that apply this setting."""
        pairs = ','.join(f'({w:g},{h:g})' for w, h in self.aspect_ratios)
        return (f'model.bbox_head.anchor_generator.octave_base_scale='
                f'{self.octave_base_scale:g} '
                f'model.bbox_head.anchor_generator.aspect_ratios="[{pairs}]"')


@dataclass
class FitReport:
    """Everything :func:`fit_anchors` measured (also what ``--json`` holds).

    Attributes:
        image_size (int): Network input the boxes were scaled to.
        num_images (int): Images measured.
        num_boxes (int): Boxes measured.
        side_percentiles (dict): Percentile (5, 25, 50, 75, 95) -> box side
            ``sqrt(w h)`` in input pixels.
        aspect_percentiles (dict): Percentile -> ``w / h``.
        level_counts (dict): ``'P3'``… -> boxes whose best anchor is there.
        pos_iou_thr (float): The assigner's positive threshold.
        current (AnchorSetting): The config's anchors.
        best (AnchorSetting): The best setting found.
        searched (list[AnchorSetting]): Every setting tried.
        too_small (float): Share of boxes under half the smallest anchor's
            side at the finest level (no anchor setting reaches them).
        below_anchor (float): Share of boxes smaller than the config's
            smallest anchor (``octave_base_scale`` x the finest stride) at
            the input size.
        smallest_anchor (float): That anchor's side in input pixels.
        advice (list[str]): What to change, in words.
        sides (list[float]) / aspects (list[float]): Per box, for plots.
    """
    image_size: int
    num_images: int
    num_boxes: int
    side_percentiles: Dict[int, float]
    aspect_percentiles: Dict[int, float]
    level_counts: Dict[str, int]
    pos_iou_thr: float
    current: AnchorSetting
    best: AnchorSetting
    searched: List[AnchorSetting] = field(default_factory=list)
    too_small: float = 0.0
    below_anchor: float = 0.0
    smallest_anchor: float = 0.0
    advice: List[str] = field(default_factory=list)
    sides: List[float] = field(default_factory=list, repr=False)
    aspects: List[float] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """Human-readable report."""
        pct = lambda d, f: ', '.join(f'p{k} {v:{f}}' for k, v in d.items())  # noqa: E731,E501
        lines = [
            f'{self.num_boxes} boxes in {self.num_images} images at input '
            f'{self.image_size}',
            f'box side sqrt(wh) px: {pct(self.side_percentiles, ".1f")}',
            f'aspect w/h: {pct(self.aspect_percentiles, ".2f")}',
            'best-anchor level: ' + ', '.join(f'{k} {v}' for k, v in self.level_counts.items()),
            f'{self.below_anchor:.1%} of boxes are smaller than the smallest anchor '
            f'({self.smallest_anchor:g} px)',
        ]
        settings = [('current', self.current)]
        if self.best != self.current:
            settings.append(('best', self.best))
        for name, s in settings:
            lines.append(f'{name}: octave_base_scale {s.octave_base_scale:g}, aspects '
                         f'{[(round(w, 2), round(h, 2)) for w, h in s.aspect_ratios]}: '
                         f'{1 - s.coverage:.1%} of boxes below IoU '
                         f'{self.pos_iou_thr:g} (one forced anchor only), '
                         f'{s.positives_per_box:.1f} positives per box, mean best IoU '
                         f'{s.mean_best_iou:.3f}')
        lines += self.advice
        if self.best is not self.current and self.best != self.current:
            lines.append(f'apply: --cfg-options {self.best.cfg_options()}')
        return '\n'.join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict (per-box lists included)."""
        return asdict(self)


def _scaled_boxes(dataset, image_size: int, max_images: int, seed: int) -> List[np.ndarray]:
    """Each image's boxes ``(n, 4)`` xyxy after a keep-ratio resize that fits
    the image into ``image_size`` (the test pipeline's ``Resize``)."""
    indices = list(range(len(dataset)))
    if len(indices) > max_images:
        indices = sorted(random.Random(seed).sample(indices, max_images))
    out = []
    for index in indices:
        info = dataset.get_data_info(index)
        boxes = np.array([i['bbox'] for i in info['instances'] if not i.get('ignore_flag', 0)],
                         dtype=np.float32).reshape(-1, 4)
        scale = min(image_size / info['width'], image_size / info['height'])
        out.append(boxes * scale)
    return out


def _generator(anchor_cfg: dict, scale: float, aspects: Sequence[Tuple[float, float]]):
    cfg = copy.deepcopy(dict(anchor_cfg))
    cfg.pop('_delete_', None)
    cfg['octave_base_scale'] = scale
    if cfg.get('type') == 'TFAnchorGenerator':
        cfg['aspect_ratios'] = [tuple(a) for a in aspects]
    else:  # mmdet's AnchorGenerator takes h / w ratios
        cfg['ratios'] = [h / w for w, h in aspects]
    return TASK_UTILS.build(cfg)


def _evaluate(per_image: List[np.ndarray], anchors: torch.Tensor, level_of: torch.Tensor,
              thr: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per box: best IoU, best anchor's level index, anchors >= thr."""
    best, levels, positives = [], [], []
    for boxes in per_image:
        if not len(boxes):
            continue
        iou = bbox_overlaps(torch.from_numpy(boxes), anchors)
        value, index = iou.max(1)
        best.append(value.numpy())
        levels.append(level_of[index].numpy())
        positives.append(np.maximum((iou >= thr).sum(1).numpy(), 1))
    if not best:
        return (np.zeros(0), ) * 3
    return (np.concatenate(best), np.concatenate(levels), np.concatenate(positives))


def _measure(per_image, anchor_cfg, scale, aspects, sizes, thr):
    gen = _generator(anchor_cfg, scale, aspects)
    priors = gen.grid_priors(sizes, device='cpu')
    level_of = torch.cat([torch.full((len(p), ), i) for i, p in enumerate(priors)])
    best, levels, positives = _evaluate(per_image, torch.cat(priors), level_of, thr)
    setting = AnchorSetting(
        float(scale), [tuple(map(float, a)) for a in aspects],
        float((best >= thr).mean()) if len(best) else 0.0,
        float(positives.mean()) if len(best) else 0.0,
        float(best.mean()) if len(best) else 0.0)
    return setting, levels


def data_aspects(aspects: np.ndarray) -> List[Tuple[float, float]]:
    """Three ``(w, h)`` pairs at the 15th, 50th and 85th percentile of the
    boxes' ``w / h`` (as ``(sqrt(a), 1 / sqrt(a))``, area-preserving).

    Example:
        >>> data_aspects(np.array([1.0, 1.0, 1.0]))
        [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0)]
    """
    pairs = []
    for q in (15, 50, 85):
        a = float(np.percentile(aspects, q))
        pairs.append((round(math.sqrt(a), 2), round(1 / math.sqrt(a), 2)))
    return pairs


def _dataset_boxes(cfg, split: str, max_images: int, seed: int) -> Tuple[int, List[np.ndarray]]:
    """The test input size of ``cfg`` and the boxes of a seeded sample of its
    ``split`` images, scaled as the pipeline scales them (one array each).

    Raises:
        UserError: ``max_images`` < 1, or a test pipeline without Resize.
    """

    register_all_modules()
    if max_images < 1:
        raise UserError(f'--max-images {max_images} must be >= 1')
    resize = [t for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'Resize']
    if not resize:
        raise UserError('the config\'s test pipeline has no Resize: cannot '
                        'tell the input size')
    image_size = int(max(resize[0]['scale']))
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    dataset_cfg.pipeline = []
    dataset_cfg.test_mode = True  # keep every image, also without boxes
    dataset = DATASETS.build(dataset_cfg)
    return image_size, _scaled_boxes(dataset, image_size, max_images, seed)


def _config_aspects(anchor_cfg: dict) -> List[Tuple[float, float]]:
    """The anchor generator's aspect ratios as ``(w, h)`` factors."""
    if anchor_cfg.get('type') == 'TFAnchorGenerator':
        return [tuple(a) for a in anchor_cfg.get('aspect_ratios', TF_ASPECT_RATIOS)]
    # mmdet's ratios are h / w
    return [(1 / math.sqrt(r), math.sqrt(r)) for r in anchor_cfg.get('ratios', (0.5, 1.0, 2.0))]


def finer_level_options(model_cfg, min_level: int = 2) -> str:
    """The ``--cfg-options`` that give a config's model pyramid levels from
    ``P{min_level}`` (P2: stride 4) up to its highest: the backbone stages
    that feed the BiFPN, its levels and inputs, and the head's levels and
    anchor strides (the same model the ``*-p2`` configs build).

    Example:
        >>> from mmengine.config import ConfigDict
        >>> m = ConfigDict(backbone=dict(arch='b0'),
        ...                bbox_head=dict(anchor_generator=dict(strides=[8, 16, 32, 64, 128])))
        >>> print(finer_level_options(m).replace(' model', chr(10) + 'model'))
        model.backbone.out_indices="(1,2,3,4)"
        model.neck.min_level=2
        model.neck.num_outs=6
        model.neck.in_channels="[24,40,112,320]"
        model.bbox_head.num_levels=6
        model.bbox_head.anchor_generator.strides="[4,8,16,32,64,128]"
    """
    top = int(round(math.log2(model_cfg.bbox_head.anchor_generator.strides[-1])))
    indices = backbone_out_indices(min_level)
    channels = efficientnet_feature_channels(model_cfg.backbone.arch, indices)
    strides = [2**level for level in range(min_level, top + 1)]

    def text(values):
        return ','.join(str(v) for v in values)

    return (f'model.backbone.out_indices="({text(indices)})" model.neck.min_level={min_level} '
            f'model.neck.num_outs={len(strides)} model.neck.in_channels="[{text(channels)}]" '
            f'model.bbox_head.num_levels={len(strides)} '
            f'model.bbox_head.anchor_generator.strides="[{text(strides)}]"')


def _small_box_advice(cfg, below: float, smallest: float, min_level: int,
                      image_size: int) -> List[str]:
    """P2 (with its config or ``--cfg-options``) and a larger input, when a
    tenth of the boxes or more are smaller than the smallest anchor."""
    if below < 0.1 or min_level <= 2:
        return []
    advice = [
        f'{below:.0%} of boxes are smaller than the smallest anchor ({smallest:g} px at '
        f'P{min_level}, input {image_size}): add a stride-4 P2 level'
    ]
    level = cfg.get('level')
    if isinstance(level, str) and f'{level}-p2' in EFFICIENTDET_P2_SCALES:
        advice.append(f'  P2: inherit configs/efficientdet/efficientdet_{level}-p2_8xb16-300e_'
                      f'coco.py (level {level!r} with min_level=2), or')
    advice.append(f'  P2: --cfg-options {finer_level_options(cfg.model, 2)}')
    advice.append(f'  or train and test at a larger input (image_size {image_size * 2}: '
                  f'4x the compute)')
    return advice


def _advice(too_small: float, smallest: float, min_level: int, image_size: int, keep: bool,
            top: AnchorSetting) -> List[str]:
    """What the report tells the user to change (or keep)."""
    advice = []
    if too_small > 0.1:
        advice.append(f'{too_small:.0%} of boxes are under half the smallest anchor '
                      f'({smallest:g} px at P{min_level}): no anchor setting reaches '
                      f'them; train at a larger input (image_size, e.g. '
                      f'{image_size * 2}) or add a finer level (min_level '
                      f'{min_level - 1})')
    if keep:
        advice.append(f'keep the config\'s anchors: no setting searched '
                      f'covers 2 points more boxes (best searched: '
                      f'{top.coverage:.1%} at octave_base_scale '
                      f'{top.octave_base_scale:g})')
    return advice


def fit_anchors(cfg,
                split: str = 'train',
                max_images: int = 2000,
                seed: int = 0,
                scales: Sequence[float] = SCALE_GRID) -> FitReport:
    """Measure and search the anchor fit of ``cfg``'s dataset.

    Args:
        cfg (Config): A detector config (its ``{split}_dataloader`` dataset,
            ``bbox_head.anchor_generator``, ``train_cfg.assigner`` and the
            input size of its test pipeline's ``Resize``).
        split (str): ``'train'`` or ``'val'``.
        max_images (int): Measure at most this many images (seeded sample).
        seed (int): Sample seed.
        scales (Sequence[float]): ``octave_base_scale`` values to try.

    Returns:
        FitReport
    """
    image_size, per_image = _dataset_boxes(cfg, split, max_images, seed)
    boxes = np.concatenate(per_image) if per_image else np.zeros((0, 4))
    if not len(boxes):
        raise UserError(f'the {split} set of the config has no boxes')
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    sides = np.sqrt(np.maximum(width * height, 0))
    aspects = width / np.maximum(height, 1e-6)

    anchor_cfg = cfg.model.bbox_head.anchor_generator
    thr = float(cfg.model.train_cfg.assigner.get('pos_iou_thr', 0.5))
    strides = [s if isinstance(s, (int, float)) else s[0] for s in anchor_cfg['strides']]
    sizes = [(-(-image_size // int(s)), ) * 2 for s in strides]
    min_level = int(round(math.log2(strides[0])))
    current_aspects = _config_aspects(anchor_cfg)
    current, levels = _measure(per_image, anchor_cfg, anchor_cfg['octave_base_scale'],
                               current_aspects, sizes, thr)
    searched = [
        _measure(per_image, anchor_cfg, scale, aspect_set, sizes, thr)[0]
        for aspect_set in (current_aspects, data_aspects(aspects)) for scale in scales
    ]
    top = max(searched, key=lambda s: (round(s.coverage, 4), s.mean_best_iou))
    # a change must buy coverage: more positives alone only shifts balance
    best = top if top.coverage - current.coverage >= 0.02 else current
    # the smallest anchor any searched setting has, at the finest level
    smallest = min(scales) * strides[0]
    too_small = float((sides < 0.5 * smallest).mean())
    smallest_anchor = float(anchor_cfg['octave_base_scale']) * strides[0]
    below_anchor = float((sides < smallest_anchor).mean())
    return FitReport(
        image_size=image_size,
        num_images=len(per_image),
        num_boxes=int(len(boxes)),
        side_percentiles={q: float(np.percentile(sides, q))
                          for q in (5, 25, 50, 75, 95)},
        aspect_percentiles={q: float(np.percentile(aspects, q))
                            for q in (5, 25, 50, 75, 95)},
        level_counts={f'P{min_level + i}': int((levels == i).sum())
                      for i in range(len(strides))},
        pos_iou_thr=thr,
        current=current,
        best=best,
        searched=searched,
        too_small=too_small,
        below_anchor=below_anchor,
        smallest_anchor=smallest_anchor,
        advice=_small_box_advice(cfg, below_anchor, smallest_anchor, min_level, image_size) +
        _advice(too_small, smallest, min_level, image_size, best is current, top),
        sides=[float(v) for v in sides],
        aspects=[float(v) for v in aspects])


def plot_fit(report: FitReport, path: str) -> str:
    """PNG: box side and aspect histograms, with the anchor sides of the
    current and the best setting per level."""
    plt = pyplot()

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.hist(report.sides, bins=40, color='tab:blue')
    ax1.set_xscale('log')
    ax1.set_xlabel(f'box side sqrt(wh), px at input {report.image_size}')
    ax1.set_ylabel('boxes')
    strides = [2**int(k[1:]) for k in report.level_counts]
    for s in strides:
        ax1.axvline(report.current.octave_base_scale * s, color='tab:gray', ls='--', lw=1)
        ax1.axvline(report.best.octave_base_scale * s, color='tab:green', ls=':', lw=1)
    ax1.set_title('box sides; anchors: current (--), best (..)')
    ax2.hist(np.log2(np.maximum(report.aspects, 1e-3)), bins=40, color='tab:orange')
    ax2.set_xlabel('log2(w / h)')
    ax2.set_title('aspect')
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return path
