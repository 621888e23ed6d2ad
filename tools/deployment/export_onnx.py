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

from mmdet_efficientdet.utils.cli import add_image_size, add_overwrite


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        'checkpoint', nargs='?', default=None, help='weights (omit to export random weights)')
    parser.add_argument('--out', required=True, help='output .onnx file')
    add_image_size(parser)
    add_overwrite(parser)
    parser.add_argument('--decode', action='store_true', help='export decoded boxes + scores')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--verify', action='store_true', help='compare onnxruntime with PyTorch (batch 2)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.deployment import export_onnx_from_checkpoint
    result = export_onnx_from_checkpoint(args.config, args.checkpoint, args.out, args.image_size,
                                         args.decode, args.opset, args.verify, args.overwrite)
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
