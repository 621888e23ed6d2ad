#!/usr/bin/env python
"""Prune a trained EfficientDet to a budget; write a config + checkpoint.

    .venv/bin/python tools/pruning/prune.py CONFIG CKPT --out-dir DIR \
        (--latency-ratio 0.6 | --flops-ratio 0.5 | --ratios GROUP=R ...) \
        [--sensitivity TABLE.json] [--round-to auto|N] [--image-size S] \
        [--finetune-epochs N] [--overwrite]

Channel groups (``s3.b1.mid``, ``s3.out``, ``bifpn``, ``head``, ...; see
``mmdet_efficientdet.pruning.channel_groups``) lose their least important
channels (L2 magnitude over the whole coupled group). Every kept width is a
multiple of ``--round-to``: ``auto`` reads the CPU's fp32 SIMD lanes (16 for
AVX-512, 8 for AVX2), or give another target's multiple (e.g. 32 for a GPU).
With a target, the sensitivity table (``tools/pruning/prune_sensitivity.py``)
gives the order to prune in (least mAP drop per unit of saving first); the
shortest prefix of that order whose *measured* ONNX Runtime latency (or MAC)
ratio to the unpruned model meets the target is found by bisection.

Writes ``DIR/<config>_pruned.py`` (the pruned widths are numbers in it:
``model.backbone.channels``, ``neck.out_channels``, ``bbox_head.feat_channels``;
``load_from`` points at the checkpoint, so ``tools/train.py`` of that config
fine-tunes it), ``DIR/pruned.pth``, ``DIR/prune_report.json`` (every number
printed, the budget search's measurement among them) and
``DIR/manifest.json``. A folder holding an
earlier run's files is refused unless ``--overwrite``.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import (add_image_size, add_model_args, add_old_spellings,
                                          add_overwrite, add_threads, add_verbose, positive_int,
                                          round_to_type)
from mmdet_efficientdet.utils.quiet import quiet_runtimes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    add_model_args(parser)
    parser.add_argument('--out-dir', required=True)
    goal = parser.add_mutually_exclusive_group()
    goal.add_argument(
        '--latency-ratio', type=float, help='ONNX Runtime latency ratio to the unpruned model')
    goal.add_argument('--flops-ratio', type=float, help='multiply-add ratio to the unpruned model')
    add_old_spellings(
        goal, {
            '--target-latency': '--latency-ratio',
            '--target-flops': '--flops-ratio'
        },
        type=float)
    goal.add_argument(
        '--ratios', nargs='+', metavar='GROUP=R', help='explicit ratios (fnmatch patterns allowed)')
    parser.add_argument(
        '--sensitivity', default=None, help='sensitivity table (.json) for a target')
    parser.add_argument(
        '--round-to',
        type=round_to_type,
        default='auto',
        help="'auto' (CPU SIMD fp32 lanes) or an int >= 1")
    add_image_size(parser)
    parser.add_argument(
        '--activation-sensitivity',
        default=None,
        help='table of prune_sensitivity.py --activations: '
        'adds per-block activation masks (Integral Pruning)')
    parser.add_argument(
        '--max-activation-drop',
        type=float,
        default=0.005,
        help="largest tabulated mAP drop (0-1) a block's "
        'winner rate may cost')
    add_threads(parser)
    parser.add_argument(
        '--finetune-epochs',
        type=positive_int,
        default=None,
        help='write this schedule length into the config')
    add_overwrite(parser)
    add_verbose(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with quiet_runtimes(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from mmdet_efficientdet.pruning import prune_to_budget
    from mmdet_efficientdet.utils.cli import square_size
    result = prune_to_budget(
        args.config,
        args.checkpoint,
        args.out_dir,
        latency_ratio=args.latency_ratio,
        flops_ratio=args.flops_ratio,
        ratios=args.ratios,
        sensitivity=args.sensitivity,
        activation_sensitivity=args.activation_sensitivity,
        max_activation_drop=args.max_activation_drop,
        round_to=args.round_to,
        image_size=square_size(args.image_size),
        threads=args.threads,
        finetune_epochs=args.finetune_epochs,
        overwrite=args.overwrite)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
