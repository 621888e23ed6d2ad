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
import sys

import numpy as np
import torch


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='weights (omit to export random weights)')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--image-size', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='input size (default: the config\'s image_size)')
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
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if not args.checkpoint:  # random weights: no ImageNet backbone download
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    else:
        model.init_weights()
    model.eval()
    size = tuple(args.image_size or (cfg.image_size, cfg.image_size))
    stride = model.size_divisor
    if size[0] % stride or size[1] % stride:
        print(f'error: --image-size {size} must be divisible by {stride}',
              file=sys.stderr)
        return 1
    names = export_onnx(model, args.out, size, decode=args.decode,
                        opset=args.opset)
    print(f'exported {args.out}: input (batch, 3, {size[0]}, {size[1]}), '
          f'outputs {names}')
    if args.verify:
        import onnxruntime as ort
        session = ort.InferenceSession(args.out,
                                       providers=['CPUExecutionProvider'])
        x = torch.randn(2, 3, *size)
        module = DecodedOutputs(model, size) if args.decode else \
            RawOutputs(model)
        with torch.no_grad():
            ref = module.eval()(x)
        out = session.run(None, {'input': x.numpy()})
        diff = max(float(np.abs(o - r.numpy()).max()) for o, r in zip(out, ref))
        print(f'onnxruntime vs PyTorch (batch 2): max abs diff {diff:.2e}')
        if diff > 1e-4:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
