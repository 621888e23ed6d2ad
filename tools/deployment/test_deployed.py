#!/usr/bin/env python
"""Evaluate a deployed model with the config's test dataloader and evaluator.

    .venv/bin/python tools/deployment/test_deployed.py CONFIG MODEL \
        [--work-dir DIR] [--threads N] [--cfg-options ...]

MODEL is an ONNX file (fp32 or int8, ONNX Runtime) or an OpenVINO IR
``.xml`` (fp32 or int8) from ``tools/deployment/deploy.py`` or
``export_onnx.py`` (raw outputs). The images go through the config's test
pipeline and data preprocessor, the outputs through the config's head
post-processing (decoding, NMS, rescaling) and its evaluator: the same COCO
table as ``tools/test.py`` prints for the PyTorch model.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('model', help='.onnx or OpenVINO .xml')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmdet_efficientdet  # noqa: F401
    import mmdet_efficientdet.deployment  # noqa: F401  (registers the model)
    from mmengine.config import Config
    from mmengine.runner import Runner
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config {args.config!r} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model = dict(type='DeployedEfficientDet', detector=cfg.model,
                     deployed=args.model, threads=args.threads)
    cfg.load_from = None
    cfg.work_dir = args.work_dir or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0] + '_deployed')
    cfg.custom_hooks = []  # training hooks (EMA) do not apply
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    print({k: round(float(v), 4) for k, v in metrics.items()})
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
