"""Dev-only: rwightman's ``effdet`` (the reference implementation) and the
helpers that compare our EfficientDet with it.

Used by the tests and by ``tools/dev`` (parity) and the benchmark; the product
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
torchvision, timm or effdet; only tests and ``tools/dev`` scripts that
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


def _nms_cpu(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """``torchvision.ops.nms`` semantics: kept indices by decreasing score."""
    from mmcv.ops import nms
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long)
    _, keep = nms(dets.float().contiguous(), scores.float().contiguous(), float(iou_threshold))
    return keep.long()


def _ops_available() -> bool:
    """Replacement for ``torchvision.extension._has_ops`` (TorchScript-able)."""
    return True


def _register_torchvision_ops() -> None:
    if _LIBRARY or hasattr(torch.ops, 'torchvision') and hasattr(torch.ops.torchvision, 'nms'):
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
        raise RuntimeError(f'reference environment missing: {REFENV} has no effdet; create '
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


def create_reference_model(name: str, seed: int = 0, image_size: int = None) -> torch.nn.Module:
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
    model = effdet.create_model(name, pretrained=False, pretrained_backbone=False, **kwargs)
    return model.eval()


PORTED = osp.join(REPO, 'configs', 'efficientdet', 'ported')
TF_NAMES = [f'tf_efficientdet_{d}' for d in ('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x')]
MAX_DETECTION_POINTS = 5000

#: scale of effdet's (class and box) prediction weights in :func:`randomize_`
PREDICT_GAIN = 10.0


def randomize_(model: nn.Module, seed: int, calib: Optional[torch.Tensor] = None) -> nn.Module:
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
                'backbone', 'blocks'
        ] and len(parts) > 4 and parts[3] != '0':
            last_bn['.'.join(parts[:4])] = name
        if getattr(module, 'weight_method', None) == 'sum' and hasattr(module, 'inputs_offsets'):
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


def match_detections(boxes,
                     scores,
                     labels,
                     ref_boxes,
                     ref_scores,
                     ref_labels,
                     score_tol: float = 1e-4,
                     box_tol: float = 1.0,
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
    work = torch.where(same & close & (dist <= box_tol), dist, torch.full_like(dist, float('inf')))
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
    for mask, rows, own_scores, other_scores in ((left, flip, scores, ref_scores),
                                                 (ref_left, flip.T, ref_scores, scores)):
        at_cut = len(other_scores) >= max_per_img
        for i in torch.nonzero(mask).flatten().tolist():
            if rows[i].any() or (at_cut and bool(own_scores[i] - other_scores.min() <= score_tol)):
                flips += 1
            else:
                unexplained += 1
    return box_diff, score_diff, unexplained, flips


def ported_config(name: str) -> str:
    """Our config file for an effdet model name."""
    return osp.join(PORTED, f'{name}_coco.py')


def build_ours(name: str, num_classes: int = 90):
    """Our EfficientDet from the ported config, head with ``num_classes``."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    import mmdet_efficientdet  # noqa: F401
    register_all_modules()
    cfg = Config.fromfile(ported_config(name))
    cfg.model.bbox_head.num_classes = num_classes
    return MODELS.build(cfg.model).eval()


def compare(name: str,
            image_size: Optional[int] = None,
            seed: int = 0,
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
    cfg = ConfigDict(
        nms_pre=MAX_DETECTION_POINTS,
        score_thr=thr,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100,
        min_bbox_size=-1)  # effdet keeps zero-area boxes
    meta = dict(img_shape=(size, size), ori_shape=(size, size), scale_factor=(1.0, 1.0))
    with torch.no_grad():
        result = ours.bbox_head.predict_by_feat(
            our_cls, our_box, batch_img_metas=[meta], cfg=cfg, rescale=False)[0]
    from mmdet_efficientdet.measure.complexity import count_params
    det_box, det_score, mismatch, flips = match_detections(result.bboxes, result.scores,
                                                           result.labels, ref_det[:, :4],
                                                           ref_det[:, 4], ref_det[:, 5].long() - 1)
    return dict(
        cls=cls_diff,
        box=box_diff,
        det_box=det_box,
        det_score=det_score,
        label_mismatch=mismatch,
        tie_flips=flips,
        num_det=len(result),
        params=count_params(ours),
        image_size=size,
        cls_scale=scale,
        folded=len(report.folded),
        unused=len(report.unused))


def refenv_available() -> bool:
    """Whether ``.refenv`` holds effdet (``make refenv``)."""
    return osp.isdir(osp.join(REFENV, 'effdet'))


# ---------------------------------------------------------------------------
# Training parity: the same weights and batch through effdet's DetBenchTrain
# and our model.loss
# ---------------------------------------------------------------------------

#: The batch of the training-parity check, ``(x1, y1, x2, y2, label)`` per
#: image at a 256 input: a box far smaller than any anchor's 0.5-IoU reach
#: (one forced anchor), medium and large boxes, an image without boxes, and
#: two overlapping boxes of one class.
PARITY_BOXES = (
    ((37.3, 41.7, 43.8, 46.2, 3), (60.5, 90.2, 140.7, 170.9, 0), (10.0, 120.4, 250.3, 240.6, 17)),
    (),
    ((100.2, 30.1, 180.7, 95.3, 5), (120.9, 50.4, 200.1, 110.8, 5)),
)


def _rel(a: torch.Tensor, b: torch.Tensor, floor: float = 1e-12) -> float:
    """max |a - b| relative to max |b|, or to ``floor`` when that is larger."""
    return float((a - b).abs().max()) / max(float(b.abs().max()), floor)


def _no_drop_path(model: nn.Module) -> None:
    for module in model.modules():
        if hasattr(module, 'drop_prob'):
            module.drop_prob = 0.0


def train_parity(config: str,
                 effdet_name: str,
                 image_size: int = 256,
                 seed: int = 0,
                 lr: Optional[float] = None,
                 dtype: torch.dtype = torch.float64,
                 cfg_options: Optional[dict] = None) -> Dict[str, float]:
    """Compare one training step of our config with effdet's ``DetBenchTrain``.

    Our model is built from ``config`` (90 classes, no ImageNet download),
    effdet's ``effdet_name`` gets random weights (:func:`randomize_`) that are
    converted into ours. Both run the :data:`PARITY_BOXES` batch in train mode
    (drop-path off), then one optimizer step: ours from the config's
    ``optim_wrapper`` (paramwise decay, gradient clipping), effdet's SGD with
    the same hyper-parameters and automl's rule (decay on kernels only).
    Both run in ``dtype`` (float64 by default, so that float32 rounding does
    not hide or fake a difference; effdet still computes its box loss in
    float32). ``cfg_options`` are merged into our config first.

    Returns:
        dict: ``anchors`` (max |diff| px), ``positives`` (count, ours),
        ``target_mismatch`` (anchors whose positive/negative/ignored state or
        class differs), ``box_target`` (max |diff| on positives), ``cls_loss``
        / ``box_loss`` (relative), ``grad`` (worst per-tensor relative
        gradient difference) and ``grad_key``, ``step`` (worst relative
        difference of the updated weights and BN statistics) and
        ``step_key``, ``update`` (worst relative difference of the parameter
        updates themselves, where weight decay and clipping show) and
        ``update_key``.
    """
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.structures import InstanceData

    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.converters import convert_effdet
    register_all_modules()
    effdet = import_effdet()

    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.bbox_head.num_classes = 90
    cfg.model.backbone.init_cfg = None
    ours = MODELS.build(cfg.model)
    ref = create_reference_model(effdet_name, seed=seed, image_size=image_size)
    randomize_(ref, seed + 1)
    state, _ = convert_effdet(ref.state_dict(), ours)
    ours.load_state_dict(state, strict=True)
    bench = effdet.DetBenchTrain(ref).train()
    if effdet_name.startswith('tf_'):
        # timm builds effdet's tf_ backbones with PyTorch's BN momentum 0.1;
        # automl (and our D-configs) use decay 0.99 = momentum 0.01
        for module in ref.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.01
    ours.train()
    ours.to(dtype)
    ref.to(dtype)
    _no_drop_path(ref)
    ours.backbone.set_drop_path_rate(0.0)

    gen = torch.Generator().manual_seed(seed)
    n = len(PARITY_BOXES)
    x = torch.randn(n, 3, image_size, image_size, generator=gen).to(dtype)
    samples, bbox, cls = [], [], []
    most = max(len(b) for b in PARITY_BOXES)
    for boxes in PARITY_BOXES:
        t = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 5)
        sample = DetDataSample()
        sample.set_metainfo(
            dict(
                img_shape=(image_size, image_size),
                pad_shape=(image_size, ) * 2,
                batch_input_shape=(image_size, ) * 2,
                scale_factor=(1.0, 1.0),
                ori_shape=(image_size, ) * 2))
        sample.gt_instances = InstanceData(bboxes=t[:, :4], labels=t[:, 4].long())
        samples.append(sample)
        pad = torch.full((most, 4), -1.0)
        pad[:len(t)] = t[:, [1, 0, 3, 2]]  # effdet boxes are (y1, x1, y2, x2)
        bbox.append(pad)
        labels = torch.full((most, ), -1.0)
        labels[:len(t)] = t[:, 4] + 1  # effdet classes start at 1
        cls.append(labels)
    target = dict(bbox=torch.stack(bbox), cls=torch.stack(cls))

    # anchors and per-anchor targets
    head = ours.bbox_head
    sizes = [(-(-image_size // s[0]), -(-image_size // s[1])) for s in head.prior_generator.strides]
    anchors = torch.cat(head.prior_generator.grid_priors(sizes, device='cpu'))
    ref_anchors = bench.anchors.boxes[:, [1, 0, 3, 2]].float()
    result = dict(anchors=float((anchors - ref_anchors).abs().max()))
    metas = [s.metainfo for s in samples]
    anchor_list, valid = head.get_anchors(sizes, metas, device='cpu')
    labels, label_w, box_t, box_w, _ = head.get_targets(anchor_list, valid,
                                                        [s.gt_instances for s in samples],
                                                        metas)[:5]
    labels = torch.cat(labels, 1)
    label_w = torch.cat(label_w, 1)
    box_t = torch.cat(box_t, 1)
    ref_cls, ref_box, ref_pos = bench.anchor_labeler.batch_label_anchors(
        target['bbox'], target['cls'])
    ref_cls = torch.cat([c.reshape(n, -1) for c in ref_cls], 1)
    ref_box = torch.cat([b.reshape(n, -1, 4) for b in ref_box], 1)[..., [1, 0, 3, 2]]
    # ours: label C = background, weight 0 = ignored; effdet: -1 / -2
    ours_state = torch.where(label_w == 0, torch.full_like(labels, -2),
                             torch.where(labels == 90, -1, labels))
    result['target_mismatch'] = int((ours_state != ref_cls.long()).sum())
    positive = labels < 90
    result['positives'] = int(positive.sum())
    result['ref_positives'] = int(ref_pos.sum())
    result['box_target'] = float((box_t[positive] - ref_box[positive]).abs().max())

    # losses
    losses = ours.loss(x, samples)
    ref_out = bench(x, target)
    cls_loss = sum(losses['loss_cls'])
    box_loss = sum(losses['loss_bbox'])
    ref_box_loss = ref_out['box_loss'] * ref.config.box_loss_weight
    result['cls_loss'] = abs(float(cls_loss.detach()) / float(ref_out['class_loss'].detach()) - 1)
    result['box_loss'] = abs(float(box_loss.detach()) / float(ref_box_loss.detach()) - 1)
    result['loss'] = float((cls_loss + box_loss).detach())

    # gradients, mapped through the converter (linear re-indexing)
    (cls_loss + box_loss).backward()
    ref_out['loss'].backward()
    grads = {k: v for k, v in ref.state_dict().items()}
    for name, param in ref.named_parameters():
        grads[name] = param.grad if param.grad is not None else \
            torch.zeros_like(param)
    mapped, _ = convert_effdet(grads, ours)
    # a gradient that is mathematically zero (the bias of a BN whose output
    # only reaches the loss through train-mode BNs, which remove constants)
    # is rounding noise on both sides: compare it at 1e-9 of the largest one
    floor = 1e-9 * max(float(g.abs().max()) for g in mapped.values())
    errors = {
        name: _rel(param.grad, mapped[name], floor)
        for name, param in ours.named_parameters()
    }
    result['grad_key'] = max(errors, key=errors.get)
    result['grad'] = errors[result['grad_key']]

    # one optimizer step: ours from the config, effdet's the automl way
    ours_optim = build_optim_wrapper(ours, cfg.optim_wrapper)
    hyper = cfg.optim_wrapper.optimizer
    lr = hyper.lr if lr is None else lr
    for group in ours_optim.optimizer.param_groups:
        group['lr'] = lr
    decay = [p for p in ref.parameters() if p.ndim > 1]
    no_decay = [p for p in ref.parameters() if p.ndim <= 1]
    ref_optim = torch.optim.SGD([
        dict(params=decay, weight_decay=hyper.weight_decay),
        dict(params=no_decay, weight_decay=0.0)
    ],
                                lr=lr,
                                momentum=hyper.momentum)
    clip = cfg.optim_wrapper.clip_grad.max_norm
    ours_before = {k: v.detach().clone() for k, v in ours.state_dict().items()}
    ref_before, _ = convert_effdet({
        k: v.detach().clone()
        for k, v in ref.state_dict().items()
    }, ours)
    ours_optim.step()  # clips (config's clip_grad) and steps
    torch.nn.utils.clip_grad_norm_(ref.parameters(), clip)
    ref_optim.step()
    stepped, _ = convert_effdet(ref.state_dict(), ours)
    after = ours.state_dict()
    keys = [k for k in after if not k.endswith('num_batches_tracked')]
    errors = {k: _rel(after[k], stepped[k]) for k in keys}
    result['step_key'] = max(errors, key=errors.get)
    result['step'] = errors[result['step_key']]
    # the update itself (where weight decay and clipping show), parameters
    params = dict(ours.named_parameters())
    deltas = {k: (after[k] - ours_before[k], stepped[k] - ref_before[k]) for k in params}
    floor = 1e-9 * max(float(d[1].abs().max()) for d in deltas.values())
    errors = {k: _rel(a, b, floor) for k, (a, b) in deltas.items()}
    result['update_key'] = max(errors, key=errors.get)
    result['update'] = errors[result['update_key']]
    return result
