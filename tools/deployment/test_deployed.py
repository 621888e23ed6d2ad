#!/usr/bin/env python
"""Evaluate a deployed model with the config's test dataloader and evaluator.

    .venv/bin/python tools/deployment/test_deployed.py CONFIG MODEL \
        [--threads N] [--cfg-options ...]

MODEL is an ONNX file (fp32 or int8, ONNX Runtime) or an OpenVINO IR
``.xml`` (fp32 or int8) from ``tools/deployment/deploy.py`` or
``export_onnx.py`` (raw outputs). The images go through the config's test
pipeline and data preprocessor, the outputs through the config's head
post-processing (decoding, NMS, rescaling) and its evaluator: the same COCO
numbers as ``tools/test.py`` prints for the PyTorch model (scored by
:func:`mmdet_efficientdet.deployment.evaluate_deployed`, the evaluator the
benchmark uses too).
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import cfg_options_action, positive_int

#: The order of mmdet's ``bbox_mAP_copypaste`` line.
COPYPASTE = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('model', help='.onnx or OpenVINO .xml')
    parser.add_argument('--threads', type=positive_int, default=None)
    parser.add_argument('--cfg-options', nargs='+', action=cfg_options_action())
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet.utils import register_all_modules

    from mmdet_efficientdet.deployment import evaluate_deployed
    from mmdet_efficientdet.utils.config_loader import load_config
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    metrics = evaluate_deployed(cfg, args.model, args.threads)
    print({k: round(v, 4) for k, v in metrics.items()})
    print('bbox_mAP_copypaste: ' + ' '.join(f'{metrics.get(f"coco/{k}", -1):.3f}'
                                            for k in COPYPASTE))
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
