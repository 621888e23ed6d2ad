"""Output parity between our EfficientDet and ``effdet`` with the same weights.

Test tooling (imports effdet through :mod:`effdet_ref`). Also a script that
runs every level and prints a table::

    .venv/bin/python tests/reference/parity.py            # D0-D7x, TF ports
    .venv/bin/python tests/reference/parity.py tf_efficientdet_d0 efficientdet_d1
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time
from typing import Dict, Optional

import torch
from torch import nn

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    from reference.effdet_ref import REPO, create_reference_model, import_effdet
else:
    from .effdet_ref import REPO, create_reference_model, import_effdet

PORTED = osp.join(REPO, 'configs', 'efficientdet', 'ported')
TF_NAMES = [f'tf_efficientdet_{d}' for d in
            ('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x')]
MAX_DETECTION_POINTS = 5000


def randomize_(model: nn.Module, seed: int,
               calib: Optional[torch.Tensor] = None) -> nn.Module:
    """Give every BN, bias and fusion weight non-trivial random values.

    effdet's own init leaves BN at identity and biases at zero, which would
    hide mistakes in BN mapping and bias folding. With ``calib``, the BN
    running statistics are then measured on that input (one train-mode pass,
    cumulative average), so activations stay well scaled through deep
    plain-sum BiFPNs (D6+) as in a trained model.
    """
    gen = torch.Generator().manual_seed(seed)

    def rand(t, low, high):
        return torch.rand(t.shape, generator=gen) * (high - low) + low

    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(rand(module.weight, 0.5, 1.5))
                module.bias.copy_(rand(module.bias, -0.2, 0.2))
                module.running_mean.copy_(rand(module.running_mean, -0.2, 0.2))
                module.running_var.copy_(rand(module.running_var, 0.5, 1.5))
            elif isinstance(module, nn.Conv2d) and module.bias is not None \
                    and 'predict' not in name:
                module.bias.copy_(rand(module.bias, -0.2, 0.2))
        for name, param in model.named_parameters():
            if name.endswith('edge_weights'):
                param.copy_(rand(param, 0.2, 1.5))
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


def match_detections(boxes, scores, labels, ref_boxes, ref_scores,
                     ref_labels, score_tol: float = 1e-4):
    """Pair each detection with a reference one of the same label and score.

    Detections whose scores tie to ~1e-8 may come out of NMS in either order,
    so they are matched as sets: greedily, each to the unmatched reference
    detection of its label within ``score_tol`` whose box is closest.

    Returns:
        tuple[float, float, int]: Max box difference (px) and max score
        difference over matched pairs, and the number of detections left
        unmatched on either side.
    """
    free = torch.ones(len(ref_boxes), dtype=torch.bool)
    box_diff = score_diff = 0.0
    unmatched = 0
    for box, score, label in zip(boxes, scores, labels):
        ok = free & (ref_labels == label) & (
            (ref_scores - score).abs() <= score_tol)
        if not ok.any():
            unmatched += 1
            continue
        dist = (ref_boxes - box).abs().max(dim=1).values
        dist[~ok] = float('inf')
        j = int(dist.argmin())
        free[j] = False
        box_diff = max(box_diff, dist[j].item())
        score_diff = max(score_diff, (ref_scores[j] - score).abs().item())
    return box_diff, score_diff, unmatched + int(free.sum())


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
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
    # random weights, with BN statistics measured on the compared batch: the
    # activations stay O(1) as in a trained model, also through the 8 plain-sum
    # BiFPN cells of D6-D7x (identity-like random BN lets them grow to ~1e6,
    # where float32 alone differs by more than 1e-4)
    randomize_(ref, seed + 1, calib=x)
    ours = build_ours(name, num_classes)
    levels = ours.bbox_head.num_levels
    converted, report = convert_effdet(
        ref.state_dict(), ours.state_dict(), max_level=3 + levels - 1)
    ours.load_state_dict(converted, strict=True)

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
    det_box, det_score, mismatch = match_detections(
        result.bboxes, result.scores, result.labels, ref_det[:, :4],
        ref_det[:, 4], ref_det[:, 5].long() - 1)
    return dict(cls=cls_diff, box=box_diff, det_box=det_box,
                det_score=det_score, label_mismatch=mismatch,
                num_det=len(result), params=sum(p.numel() for p in ours.parameters()),
                image_size=size, cls_scale=scale, folded=len(report.folded),
                unused=len(report.unused))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', default=TF_NAMES)
    parser.add_argument('--image-size', type=int, default=None,
                        help='input side (default: the model\'s native size)')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    header = (f'{"model":<22}{"input":>6}{"params":>12}{"max|cls|":>11}'
              f'{"max|box|":>11}{"rel":>9}{"dets":>6}{"box px":>10}{"score":>10}'
              f'{"unmatched":>10}{"time s":>8}')
    print(f'threads={args.threads}; max|cls|, max|box|: raw outputs, all '
          f'levels; rel: max|cls| / max|logit|; box px, score: matched '
          f'detections after NMS\n{header}\n{"-" * len(header)}', flush=True)
    failed = False
    for name in args.names:
        start = time.time()
        r = compare(name, args.image_size)
        ok = (r['cls'] <= 1e-4 and r['box'] <= 1e-4 and r['det_box'] <= 1e-2
              and r['det_score'] <= 1e-4 and r['label_mismatch'] == 0)
        failed |= not ok
        print(f'{name:<22}{r["image_size"]:>6}{r["params"]:>12,}'
              f'{r["cls"]:>11.2e}{r["box"]:>11.2e}'
              f'{r["cls"] / r["cls_scale"]:>9.1e}{r["num_det"]:>6}'
              f'{r["det_box"]:>10.2e}{r["det_score"]:>10.2e}'
              f'{r["label_mismatch"]:>10}{time.time() - start:>8.1f}'
              + ('' if ok else '  FAIL'), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
