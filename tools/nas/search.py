#!/usr/bin/env python
"""Search a trained EfficientDet supernet for the best sub-network within a
latency target on an inference path; write it as a plain config + checkpoint.

    .venv/bin/python tools/nas/search.py CONFIG SUPERNET_CKPT --out-dir DIR \
        (--latency-ms MS | --latency-ratio R) [--target ov-int8] \
        [--cycles 48] [--population 16] [--latency-table TABLE.json]

CONFIG is a supernet config (``model.type='EfficientDetSupernet'``, e.g.
``configs/efficientdet/nas/efficientdet_lite0_supernet_raccoon.py``) trained
with ``tools/train.py``. The latency of each sub-network comes from a
per-block table fitted once to ``--table-subnets`` sub-networks measured on
``--target`` (written as ``DIR/latency_table.json``; pass it back with
``--latency-table`` to skip measuring) and checked against direct
measurement of ``--check-subnets`` other random sub-networks; ``--latency-ratio R``
sets the target to R times the parent network's (e.g. Lite0's) latency
measured in the same run. Accuracy is COCO mAP on the config's val split
with the supernet's weights after BN recalibration. Regularised evolution
under the MnasNet reward (hard constraint) scores ``population + cycles``
sub-networks; the Pareto front's finalists are measured directly in one
interleaved run with the parent, and the most accurate within the target is
written: ``DIR/subnet_config.py`` (``load_from`` = ``DIR/subnet.pth``: ready
for ``tools/train.py`` to fine-tune for ``--finetune-epochs``), ``DIR/subnet.pth``,
``DIR/search.json`` (every number), ``DIR/pareto.png``.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import (add_old_spellings, add_target_argument, add_threads,
                                          add_verbose, positive_int)
from mmdet_efficientdet.utils.quiet import quiet_runtimes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument('config', help='supernet config')
    parser.add_argument('checkpoint', help='trained supernet checkpoint')
    parser.add_argument('--out-dir', required=True, help='a new folder for the results')
    goal = parser.add_mutually_exclusive_group(required=True)
    goal.add_argument('--latency-ms', type=float, help='milliseconds on --target')
    goal.add_argument(
        '--latency-ratio', type=float, help="times the parent network's latency (same run)")
    add_old_spellings(
        goal, {
            '--latency-target': '--latency-ms',
            '--target-ratio': '--latency-ratio'
        }, type=float)
    add_target_argument(
        parser, old=('--path', ), default='ov-int8', help='inference path (default ov-int8)')
    parser.add_argument('--cycles', type=positive_int, default=48)
    parser.add_argument('--population', type=positive_int, default=16)
    parser.add_argument('--calib-batches', type=positive_int, default=4)
    parser.add_argument('--check-subnets', type=positive_int, default=10)
    parser.add_argument('--runs', type=positive_int, default=10, help='timed calls per model')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--latency-table', default=None, help='a latency_table.json to reuse')
    parser.add_argument(
        '--table-subnets',
        type=positive_int,
        default=None,
        help='sub-networks the latency table times per input size (default: twice its unknowns)')
    parser.add_argument(
        '--finetune-epochs',
        type=positive_int,
        default=40,
        help="epochs subnet_config.py trains (default 40, the Lite0 template's; the "
        "supernet's own schedule is shorter)")
    add_threads(parser)
    add_verbose(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with quiet_runtimes(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from mmdet_efficientdet.nas import SearchSettings, search_architecture
    settings = SearchSettings(
        inference_path=args.target,
        latency_ms=args.latency_ms,
        latency_ratio=args.latency_ratio,
        cycles=args.cycles,
        population=args.population,
        calib_batches=args.calib_batches,
        check_subnets=args.check_subnets,
        threads=args.threads,
        runs=args.runs,
        seed=args.seed,
        latency_table=args.latency_table,
        table_subnets=args.table_subnets,
        finetune_epochs=args.finetune_epochs)
    print(search_architecture(args.config, args.checkpoint, args.out_dir, settings).summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
