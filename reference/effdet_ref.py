"""Dev-only: rwightman's ``effdet`` (the reference implementation) and the
helpers that compare our EfficientDet with it.

Used by the tests and by ``tools/analysis`` (parity, benchmark); the product
package ``mmdet_efficientdet`` never imports it (a test checks), and it is not
installed with the package.

``effdet`` and ``timm`` import ``torchvision``, whose PyPI wheel is linked
against CUDA torch: its C ops cannot load with our CPU torch. ``effdet`` only
needs ``torchvision::nms`` (and torchvision's import registers fake kernels for
``nms``/``qnms``), so we define those two operators ourselves, backed by mmcv's
CPU NMS, before ``torchvision`` is imported, and then tell torchvision its ops
are available (before effdet, whose post-processing is TorchScript'ed at import,
is imported).

The packages live in ``.refenv/`` at the repo root (``make refenv``, pinned in
``requirements/reference.txt``), outside ``.venv``: the product never imports
torchvision, timm or effdet; only tests and ``tools/analysis`` scripts that
compare against the reference do, through :func:`import_effdet`.
"""
from __future__ import annotations

import os.path as osp
import sys
from types import ModuleType
from typing import Dict, Optional, Tuple

import torch
from torch import nn

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
REFENV = osp.join(REPO, '.refenv')

_LIBRARY = []  # keeps the torch.library.Library alive


def _nms_cpu(dets: torch.Tensor, scores: torch.Tensor,
             iou_threshold: float) -> torch.Tensor:
    """``torchvision.ops.nms`` semantics: kept indices by decreasing score."""
    from mmcv.ops import nms
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long)
    _, keep = nms(dets.float().contiguous(), scores.float().contiguous(),
                  float(iou_threshold))
    return keep.long()


def _ops_available() -> bool:
    """Replacement for ``torchvision.extension._has_ops`` (TorchScript-able)."""
    return True


def _register_torchvision_ops() -> None:
    if _LIBRARY or hasattr(torch.ops, 'torchvision') and hasattr(
            torch.ops.torchvision, 'nms'):
        return
    lib = torch.library.Library('torchvision', 'DEF')  # noqa: TOR901
    lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.impl('nms', _nms_cpu, 'CPU')
    _LIBRARY.append(lib)


def import_effdet() -> ModuleType:
    """Import ``effdet`` from ``.refenv`` with the torchvision shim.

    Raises:
        RuntimeError: ``.refenv`` does not exist (run ``make refenv``).
    """
    if not refenv_available():
        raise RuntimeError(
            f'reference environment missing: {REFENV} has no effdet; create '
            f'it with `make refenv` (make test does it)')
    if REFENV not in sys.path:
        sys.path.append(REFENV)
    _register_torchvision_ops()
    import torchvision.extension

    # torchvision decided at import that its C ops are missing; nms is now
    # provided (above), and effdet's TorchScript'ed post-processing is
    # compiled at effdet's import, after this
    torchvision.extension._has_ops = _ops_available
    import effdet
    return effdet


def create_reference_model(name: str, seed: int = 0,
                           image_size: int = None) -> torch.nn.Module:
    """``effdet``'s raw EfficientDet (no bench wrapper), random weights, eval.

    Args:
        name: effdet model name, e.g. ``'tf_efficientdet_d0'``.
        seed: torch seed for the random initialisation.
        image_size: Square input size if not the model's native one (effdet
            fixes its resampling sizes at construction).
    """
    effdet = import_effdet()
    torch.manual_seed(seed)
    kwargs = dict(image_size=(image_size, image_size)) if image_size else {}
    model = effdet.create_model(name, pretrained=False,
                                pretrained_backbone=False, **kwargs)
    return model.eval()


PORTED = osp.join(REPO, 'configs', 'efficientdet', 'ported')
TF_NAMES = [f'tf_efficientdet_{d}' for d in
            ('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x')]
MAX_DETECTION_POINTS = 5000


#: scale of effdet's (class and box) prediction weights in :func:`randomize_`
PREDICT_GAIN = 10.0


def randomize_(model: nn.Module, seed: int,
               calib: Optional[torch.Tensor] = None) -> nn.Module:
    """Give every BN, bias and fusion weight non-trivial random values.

    effdet's own init leaves BN at identity and biases at zero, which would
    hide mistakes in BN mapping and bias folding. As in a trained network, the
    BN that ends each residual branch of the backbone gets a small scale
    (gamma in [0.1, 0.4]), and the BN after each plain-sum BiFPN node is
    divided by its number of inputs: with gammas around 1 the residual sums
    and the plain-sum BiFPN of D6-D7x grow activations to ~1e6, where float32
    rounding alone exceeds 1e-4. The prediction convs are scaled up
    (``PREDICT_GAIN``) so scores spread as a trained head's instead of
    tying. Every level then keeps O(1) activations that still depend on the
    input, and a float32 noise floor far below 1e-4.

    With ``calib``, the BN running statistics are then measured on that input
    (one train-mode pass, cumulative average). That normalises every layer,
    which also makes a deep random net amplify rounding: only for tests that
    need trained-like statistics, not for the 1e-4 parity check.
    """
    gen = torch.Generator().manual_seed(seed)

    def rand(t, low, high):
        return torch.rand(t.shape, generator=gen) * (high - low) + low

    # gamma ranges: the last BN of each backbone block that has a residual
    # (every block after a stage's first) ends a residual branch; the BN after
    # a plain-sum BiFPN node divides by its number of inputs
    gamma: Dict[str, Tuple[float, float]] = {}
    last_bn: Dict[str, str] = {}
    for name, module in model.named_modules():
        parts = name.split('.')
        if isinstance(module, nn.BatchNorm2d) and parts[:2] == [
                'backbone', 'blocks'] and len(parts) > 4 and parts[3] != '0':
            last_bn['.'.join(parts[:4])] = name
        if getattr(module, 'weight_method', None) == 'sum' and hasattr(
                module, 'inputs_offsets'):
            node = name.rsplit('.', 1)[0]
            n = len(module.inputs_offsets)
            gamma[f'{node}.after_combine.conv.bn'] = (0.5 / n, 1.5 / n)
    gamma.update({name: (0.1, 0.4) for name in last_bn.values()})

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                low, high = gamma.get(name, (0.5, 1.5))
                module.weight.copy_(rand(module.weight, low, high))
                module.bias.copy_(rand(module.bias, -0.2, 0.2))
                module.running_mean.copy_(rand(module.running_mean, -0.2, 0.2))
                module.running_var.copy_(rand(module.running_var, 0.5, 1.5))
            elif isinstance(module, nn.Conv2d) and module.bias is not None \
                    and 'predict' not in name:
                module.bias.copy_(rand(module.bias, -0.2, 0.2))
        for name, param in model.named_parameters():
            if name.endswith('edge_weights'):
                param.copy_(rand(param, 0.2, 1.5))
            elif 'predict' in name and name.endswith('conv_pw.weight'):
                # spread the outputs as a trained head's: with effdet's init
                # the top scores are so close that NMS ties decide the result
                param.mul_(PREDICT_GAIN)
        if calib is not None:
            bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
            for bn in bns:
                bn.reset_running_stats()
                bn.momentum = None
            model.eval()  # drop-path/dropout off: only BN measures
            for bn in bns:
                bn.train()
            model(calib)
            for bn in bns:
                bn.momentum = 0.01
                # channels almost constant on the calibration batch would
                # amplify any other input without bound
                bn.running_var.clamp_(min=0.05)
            model.eval()
    return model


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU of ``(n, 4)`` and ``(m, 4)`` xyxy boxes."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = lambda x: (x[:, 2:] - x[:, :2]).clamp(min=0).prod(-1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter).clamp(min=1e-9)


def match_detections(boxes, scores, labels, ref_boxes, ref_scores,
                     ref_labels, score_tol: float = 1e-4, box_tol: float = 1.0,
                     max_per_img: int = 100) -> Tuple[float, float, int, int]:
    """Pair each detection with a reference one of the same label, score and box.

    Pairs need the same label, scores within ``score_tol`` and boxes within
    ``box_tol`` px; the closest boxes are paired first (global greedy), so
    detections whose scores tie come out of NMS in either order and still
    match.

    A detection left over is a *tie flip*, not an error, when float rounding
    alone can explain it: the other side kept an overlapping box (IoU > 0.5)
    of the same label whose score is within ``score_tol`` (NMS kept the other
    one of a near-tied pair), or it sits within ``score_tol`` of the other
    side's lowest score when that side is full (``max_per_img``: the cut
    fell between near-tied detections).

    Returns:
        tuple: max box difference (px) and max score difference over the
        matched pairs, the number of detections left unexplained on either
        side, and the number of tie flips.
    """
    dist = (boxes[:, None, :] - ref_boxes[None, :, :]).abs().amax(dim=-1)
    close = (scores[:, None] - ref_scores[None, :]).abs() <= score_tol
    same = labels[:, None] == ref_labels[None, :]
    work = torch.where(same & close & (dist <= box_tol), dist,
                       torch.full_like(dist, float('inf')))
    box_diff = score_diff = 0.0
    left = torch.ones(len(boxes), dtype=torch.bool)
    ref_left = torch.ones(len(ref_boxes), dtype=torch.bool)
    while work.numel() and torch.isfinite(work).any():
        i, j = divmod(int(work.argmin()), work.shape[1])
        box_diff = max(box_diff, work[i, j].item())
        score_diff = max(score_diff, (scores[i] - ref_scores[j]).abs().item())
        work[i, :] = work[:, j] = float('inf')
        left[i] = ref_left[j] = False
    flip = same & close & (_iou(boxes, ref_boxes) > 0.5)

    unexplained = flips = 0
    for mask, rows, own_scores, other_scores in (
            (left, flip, scores, ref_scores),
            (ref_left, flip.T, ref_scores, scores)):
        at_cut = len(other_scores) >= max_per_img
        for i in torch.nonzero(mask).flatten().tolist():
            if rows[i].any() or (at_cut and bool(
                    own_scores[i] - other_scores.min() <= score_tol)):
                flips += 1
            else:
                unexplained += 1
    return box_diff, score_diff, unexplained, flips


def ported_config(name: str) -> str:
    """Our config file for an effdet model name."""
    return osp.join(PORTED, f'{name}_coco.py')


def build_ours(name: str, num_classes: int = 90):
    """Our EfficientDet from the ported config, head with ``num_classes``."""
    import mmdet_efficientdet  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(ported_config(name))
    cfg.model.bbox_head.num_classes = num_classes
    return MODELS.build(cfg.model).eval()


def compare(name: str, image_size: Optional[int] = None, seed: int = 0,
            num_classes: int = 90) -> Dict[str, float]:
    """Convert a random effdet model, run both, return the differences.

    Returns:
        dict: ``cls``/``box`` (max abs raw-output difference over all levels),
        ``det_box`` (px), ``det_score``, ``label_mismatch`` (count),
        ``num_det``, ``params`` and ``image_size``.
    """
    from mmengine import ConfigDict
    from mmdet_efficientdet.converters import convert_effdet
    effdet = import_effdet()
    ref = create_reference_model(name, seed=seed, image_size=image_size)
    size = image_size or ref.config.image_size[0]
    randomize_(ref, seed + 1)
    ours = build_ours(name, num_classes)
    converted, report = convert_effdet(ref.state_dict(), ours)
    ours.load_state_dict(converted, strict=True)

    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ref_cls, ref_box = ref(x)
        our_cls, our_box = ours._forward(x)
    scale = max(c.abs().max().item() for c in ref_cls)
    num_anchors = 9
    cls_diff = max((a - b).abs().max().item() for a, b in zip(our_cls, ref_cls))
    box_diff = 0.0
    for a, b in zip(our_box, ref_box):
        n, _, h, w = b.shape
        b = b.reshape(n, num_anchors, 4, h, w)[:, :, [1, 0, 3, 2]]
        box_diff = max(box_diff, (a - b.reshape(n, -1, h, w)).abs().max().item())

    # detections: effdet's bench vs mmdet's predict_by_feat with the same
    # candidate set (global top-5000 (anchor, class) pairs == a threshold at
    # the 5000th score), NMS IoU 0.5, 100 detections, clipping to the image
    bench = effdet.DetBenchPredict(ref).eval()
    img_info = dict(img_scale=torch.ones(1), img_size=torch.tensor([[size, size]]))
    with torch.no_grad():
        ref_det = bench(x, img_info)[0]
    ref_det = ref_det[ref_det[:, 4] > 0]
    logits = torch.cat([c.permute(0, 2, 3, 1).reshape(-1) for c in our_cls])
    kth = logits.topk(MAX_DETECTION_POINTS).values[-1].sigmoid()
    thr = torch.nextafter(kth, torch.zeros(())).item()
    cfg = ConfigDict(nms_pre=MAX_DETECTION_POINTS, score_thr=thr,
                     nms=dict(type='nms', iou_threshold=0.5), max_per_img=100,
                     min_bbox_size=-1)  # effdet keeps zero-area boxes
    meta = dict(img_shape=(size, size), ori_shape=(size, size),
                scale_factor=(1.0, 1.0))
    with torch.no_grad():
        result = ours.bbox_head.predict_by_feat(
            our_cls, our_box, batch_img_metas=[meta], cfg=cfg, rescale=False)[0]
    det_box, det_score, mismatch, flips = match_detections(
        result.bboxes, result.scores, result.labels, ref_det[:, :4],
        ref_det[:, 4], ref_det[:, 5].long() - 1)
    return dict(cls=cls_diff, box=box_diff, det_box=det_box,
                det_score=det_score, label_mismatch=mismatch, tie_flips=flips,
                num_det=len(result), params=sum(p.numel() for p in ours.parameters()),
                image_size=size, cls_scale=scale, folded=len(report.folded),
                unused=len(report.unused))


def refenv_available() -> bool:
    """Whether ``.refenv`` holds effdet (``make refenv``)."""
    return osp.isdir(osp.join(REFENV, 'effdet'))
