#!/usr/bin/env python
"""Export a trained EfficientDet for CPU deployment: ONNX Runtime and OpenVINO,
fp32 and int8.

    .venv/bin/python tools/deployment/deploy.py CONFIG CKPT --out-dir deploy/ \
        [--targets ort-fp32 ort-int8 ov-fp32 ov-int8] [--calib-images 32] \
        [--keep-float auto]

Writes ``model_fp32.onnx`` (raw head outputs, dynamic batch, TF SAME pads
folded into the convs), ``model_int8.onnx`` (static QDQ, per-channel weights),
``model_fp32.xml`` and ``model_int8.xml`` (OpenVINO IR; int8 by NNCF). Both
int8 models are calibrated on the first ``--calib-images`` training images
through the config's test pipeline. ``--keep-float auto`` measures which of
the first conv and the two prediction convs to leave in float (printed);
``none`` quantizes everything; or name nodes. Evaluate any of the files with
``tools/deployment/test_deployed.py CONFIG FILE``.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.deployment import default_targets, deploy_targets
from mmdet_efficientdet.utils.cli import (add_image_size, add_model_args, add_overwrite,
                                          add_target_argument, positive_int)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    add_model_args(parser)
    parser.add_argument('--out-dir', required=True)
    add_image_size(parser)
    add_target_argument(
        parser,
        many=True,
        old=('--backends', ),
        default=list(default_targets()),
        choices=deploy_targets(),
        help='deployment targets <runtime>-<precision> (default: %(default)s)')
    parser.add_argument('--calib-images', type=positive_int, default=32)
    add_overwrite(parser)
    parser.add_argument(
        '--keep-float',
        nargs='+',
        default=['auto'],
        help="'auto' (measured), 'none', or node names")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.deployment import calibration_batches, deploy_model, get_inference_path
    from mmdet_efficientdet.errors import UserError
    from mmdet_efficientdet.models.trained import load_trained
    from mmdet_efficientdet.utils.cli import image_size
    cfg, model = load_trained(args.config, args.checkpoint)
    size = image_size(args.image_size, cfg.image_size)
    if size[0] % model.size_divisor or size[1] % model.size_divisor:
        raise UserError(f'--image-size {size[0]} {size[1]} must be divisible '
                        f'by {model.size_divisor}')
    batches = []
    if any(get_inference_path(target).needs_calibration for target in args.targets):
        batches = calibration_batches(cfg, args.calib_images)
        print(f'calibration: {len(batches)} training images through the '
              f'test pipeline')
    files = deploy_model(
        model,
        args.out_dir,
        size,
        args.targets,
        batches,
        args.keep_float,
        overwrite=args.overwrite,
        inputs=[args.config, args.checkpoint])
    for name, path in files.items():
        print(f'{name}: {path}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
