"""CPU speed/memory benchmark of EfficientDet, optionally against effdet.

    python tools/analysis_tools/benchmark.py --level d0 [--compare-effdet [LEVEL]]
    python tools/analysis_tools/benchmark.py --config C [--checkpoint K] \
        [--image-size H [W]] [--compare-effdet LEVEL] [--map]
        [--json OUT.json] [--overwrite]

The model is a table level (``--level``: random weights, COCO's 90 classes)
or any config with its checkpoint (trained, pruned, searched; at the
config's ``image_size`` unless ``--image-size``). With a fixed thread count
it measures: batch-1 inference latency (median, p90 over warm runs) of
every inference path (eager; conv+BN fused; ONNX Runtime fp32 and int8;
OpenVINO fp32 and int8, as ``tools/deployment/deploy.py`` builds them),
throughput at a larger batch, one training step (forward + backward + SGD
step), the peak memory (max RSS of a separate process) of training steps at
``--memory-batch`` (8), and the achieved GFLOP/s of each path (against the
model's multiply-adds, x2) as a share of the CPU's attainable peak on the
same runtime and precision (a 1024^3 matmul made into a file by the same
backend; ``--no-peak`` skips it). ``--compare-effdet [LEVEL]`` runs
rwightman's effdet ``tf_efficientdet_LEVEL`` at its native size (test
tooling in ``.refenv``, ``make refenv``) in the same interleaved run and
prints ratios ours / effdet; for ``--level`` (LEVEL defaults to it) it gets
our weights through the converter and its outputs are checked against ours.

All rows are timed interleaved (one call of each in turn, per round), so a
noisy machine slows them alike and the ratios stay meaningful. Output
differences of the optimised paths are printed next to the float32 noise
floor: how far our float32 eager model is from the same model in float64.
The int8 paths of the latency run are calibrated on random images (latency
does not depend on the scales) with every node in int8.

mAP: ``--map`` (with ``--config``/``--checkpoint``) or ``--map-config CONFIG
--map-checkpoint CKPT`` (with ``--level``) builds every path from the trained
checkpoint at the config's image size (int8 calibrated on
``--calib-images`` training images, float nodes chosen by measurement) and
prints each path's bbox mAP on the config's val set, through the config's
own pre-/post-processing and evaluator.

The measuring is :func:`mmdet_efficientdet.benchmarking.run_benchmark`;
``--json`` writes its result (never over an existing file without
``--overwrite``).
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

from mmdet_efficientdet.utils.cli import (add_image_size, add_overwrite, add_target_argument,
                                          add_threads, add_verbose, positive_int)
from mmdet_efficientdet.utils.quiet import quiet_runtimes

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument('--level', default=None, help='d0 ... d7x, lite0 ... lite4 (default d0)')
    what.add_argument('--config', default=None, help='any model config (with --checkpoint)')
    parser.add_argument('--checkpoint', default=None, help="the config's weights")
    add_image_size(parser, "the level's native / the config's image_size")
    add_threads(parser)
    parser.add_argument('--runs', type=positive_int, default=20)
    parser.add_argument('--warmup', type=positive_int, default=3)
    parser.add_argument(
        '--batch', type=positive_int, default=4, help='batch for the throughput run')
    parser.add_argument('--train-batch', type=positive_int, default=2)
    parser.add_argument('--train-runs', type=positive_int, default=5)
    parser.add_argument(
        '--memory-batch',
        type=positive_int,
        default=8,
        help='batch of the peak-memory training runs')
    parser.add_argument(
        '--compare-effdet',
        nargs='?',
        const='',
        default=None,
        metavar='LEVEL',
        help="effdet's LEVEL next to ours (default: --level's; needs make refenv)")
    parser.add_argument(
        '--no-memory', action='store_true', help='skip the peak-memory subprocesses')
    parser.add_argument('--no-deployed', action='store_true', help='only eager, fused and ort-fp32')
    add_target_argument(
        parser,
        many=True,
        old=('--paths', ),
        default=None,
        help='only these inference paths (eager, fused, targets)')
    parser.add_argument('--no-peak', action='store_true', help='skip the attainable-peak probe')
    parser.add_argument(
        '--calib-images', type=positive_int, default=8, help='int8 calibration images')
    parser.add_argument(
        '--map', action='store_true', help="with --config: every path's mAP on its val set")
    parser.add_argument(
        '--map-config',
        default=None,
        help="with --level: every path's mAP on this config's val set")
    parser.add_argument('--map-checkpoint', default=None, help='... with this trained checkpoint')
    parser.add_argument(
        '--keep-files',
        default=None,
        metavar='DIR',
        help="keep the latency run's deployed files here "
        '(for tools/deployment/profile_deployed.py)')
    parser.add_argument('--json', default=None, help='also write results here')
    add_overwrite(parser)
    add_verbose(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with quiet_runtimes(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from mmdet_efficientdet.benchmarking import benchmark_request, run_benchmark
    from mmdet_efficientdet.fileio import plan_outputs, write_json
    request = benchmark_request(REPO, args.level, args.config, args.checkpoint, args.image_size,
                                args.compare_effdet, not args.no_deployed, args.map,
                                args.map_config, args.map_checkpoint, args.targets)
    if args.json:
        plan_outputs([args.json], request.inputs, args.overwrite)
    result = run_benchmark(
        request.subject,
        args.threads,
        args.runs,
        args.warmup,
        args.batch,
        args.train_batch,
        args.train_runs,
        None if args.no_memory else args.memory_batch,
        request.inference_names,
        request.map_files,
        args.calib_images,
        args.keep_files,
        request.peer,
        not args.no_peak,
        extra_path=[REPO])
    print(result.table())
    if args.json:
        write_json(args.json, result.to_dict(), request.inputs, args.overwrite)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
