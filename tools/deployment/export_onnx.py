"""Export an EfficientDet config + checkpoint to ONNX (dynamic batch).

    .venv/bin/python tools/deployment/export_onnx.py CONFIG CKPT \
        --out d0.onnx [--image-size 512 512] [--decode] [--verify]

Outputs: raw head outputs ``cls_0..cls_{L-1}``, ``box_0..box_{L-1}``, or with
``--decode`` all-anchor ``boxes`` (xyxy, input pixels) and ``scores``
(sigmoid) before NMS. The input is the normalised image ``(N, 3, H, W)`` (the
data preprocessor's mean/std/RGB are not part of the graph). ``--verify`` runs
the file in onnxruntime and compares with PyTorch.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

from mmdet_efficientdet.utils.cli import add_image_size, add_overwrite


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='weights (omit to export random weights)')
    parser.add_argument('--out', required=True, help='output .onnx file')
    add_image_size(parser)
    add_overwrite(parser)
    parser.add_argument('--decode', action='store_true',
                        help='export decoded boxes + scores')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch (batch 2)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmdet_efficientdet  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mmdet_efficientdet.deployment import (DecodedOutputs, RawOutputs,
                                               export_onnx)
    from mmdet_efficientdet.fileio import plan_outputs
    from mmdet_efficientdet.utils.cli import image_size
    register_all_modules()
    inputs = [args.config] + ([args.checkpoint] if args.checkpoint else [])
    plan_outputs([args.out], inputs, args.overwrite)
    cfg = Config.fromfile(args.config)
    if not args.checkpoint:  # random weights: no ImageNet backbone download
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    else:
        model.init_weights()
    model.eval()
    size = image_size(args.image_size, cfg.image_size)
    stride = model.size_divisor
    if size[0] % stride or size[1] % stride:
        print(f'error: --image-size {size} must be divisible by {stride}',
              file=sys.stderr)
        return 1
    # written beside the target, moved into place complete
    partial = osp.join(osp.dirname(osp.abspath(args.out)),
                       f'.{osp.basename(args.out)}.tmp-{os.getpid()}')
    try:
        names = export_onnx(model, partial, size, decode=args.decode,
                            opset=args.opset)
        with open(partial, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(partial, args.out)
    finally:
        if osp.exists(partial):
            os.remove(partial)
    print(f'exported {args.out}: input (batch, 3, {size[0]}, {size[1]}), '
          f'outputs {names}')
    if args.verify:
        from mmdet_efficientdet.deployment import load_backend
        session = load_backend(args.out, raw=not args.decode)
        x = torch.randn(2, 3, *size)
        module = DecodedOutputs(model, size) if args.decode else \
            RawOutputs(model)
        with torch.no_grad():
            ref = module.eval()(x)
        out = session.run(x.numpy())
        diff = max(float(np.abs(o - r.numpy()).max()) for o, r in zip(out, ref))
        print(f'onnxruntime vs PyTorch (batch 2): max abs diff {diff:.2e}')
        if diff > 1e-4:
            return 1
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
