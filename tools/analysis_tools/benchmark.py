"""CPU speed/memory benchmark of EfficientDet, optionally against effdet.

    python tools/analysis_tools/benchmark.py --level d0 [--compare-effdet] \
        [--json OUT.json] [--overwrite]

For one D-level and input size it measures, with a fixed thread count:
batch-1 inference latency (median, p90 over warm runs) of our eager model,
our optimised paths (conv+BN fused; ONNX Runtime fp32 and int8; OpenVINO
fp32 and int8, as ``tools/deployment/deploy.py`` builds them), throughput
at a larger batch, one training step (forward + backward + SGD step) and the
peak memory (max RSS of a separate process) of training steps at
``--memory-batch`` (8). Achieved GFLOP/s are given against the model's
multiply-adds (x2 FLOPs). ``--compare-effdet`` builds rwightman's effdet
model (test tooling in ``.refenv``, ``make refenv``), loads the same weights
into ours through the converter, checks the outputs agree, and prints ratios
ours / effdet.

The paths being compared are timed interleaved (one call of each in turn, per
round), so a noisy machine slows them alike and the ratios stay meaningful.
Output differences of the optimised paths are printed next to the float32
noise floor: how far our float32 eager model is from the same model in
float64. The int8 paths of the latency run are calibrated on random images
(latency does not depend on the scales) with every node in int8
(``deploy.py --keep-float auto`` leaves at most three convs in float; for the
demo-trained D0 it keeps the stem conv).

``--map-config CONFIG --map-checkpoint CKPT`` also builds every path from that
trained checkpoint at the config's image size (int8 calibrated on
``--calib-images`` training images, float nodes chosen by measurement) and
prints each path's bbox mAP on the config's val set, through the config's
own pre-/post-processing and evaluator (``tools/test.py`` for the PyTorch
paths, ``tools/deployment/test_deployed.py``'s model for the files).

The measuring is :func:`mmdet_efficientdet.benchmarking.run_benchmark`;
``--json`` writes its result (never over an existing file without
``--overwrite``).
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

from mmdet_efficientdet.utils.cli import add_image_size, add_overwrite, add_threads, positive_int

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--level', default='d0', help='d0 ... d7x, lite0 ... lite4')
    add_image_size(parser, "the level's native")
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
        '--compare-effdet', action='store_true', help='effdet next to ours (needs make refenv)')
    parser.add_argument(
        '--no-memory', action='store_true', help='skip the peak-memory subprocesses')
    parser.add_argument(
        '--no-deployed', action='store_true', help='skip the int8 and OpenVINO paths')
    parser.add_argument(
        '--calib-images', type=positive_int, default=8, help='int8 calibration images')
    parser.add_argument(
        '--map-config', default=None, help="also every path's mAP on this config's val set")
    parser.add_argument('--map-checkpoint', default=None, help='... with this trained checkpoint')
    parser.add_argument(
        '--keep-files',
        default=None,
        metavar='DIR',
        help="keep the latency run's deployed files here "
        '(for tools/deployment/profile_deployed.py)')
    parser.add_argument('--json', default=None, help='also write results here')
    add_overwrite(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.benchmarking import run_benchmark
    from mmdet_efficientdet.errors import UserError
    from mmdet_efficientdet.fileio import plan_outputs, write_json
    from mmdet_efficientdet.scaling import get_efficientdet_scale
    from mmdet_efficientdet.utils.cli import square_size
    config = osp.join(REPO, 'configs', 'efficientdet', 'ported',
                      f'tf_efficientdet_{args.level}_coco.py')
    if not osp.isfile(config):
        raise UserError(f'--level {args.level}: no ported config {config}')
    if bool(args.map_config) != bool(args.map_checkpoint):
        raise UserError('--map-config and --map-checkpoint go together')
    inputs = [p for p in (args.map_config, args.map_checkpoint) if p]
    if args.json:
        plan_outputs([args.json], inputs, args.overwrite)
    result = run_benchmark(
        config,
        args.level,
        square_size(args.image_size) or get_efficientdet_scale(args.level).image_size,
        args.threads,
        args.runs,
        args.warmup,
        args.batch,
        args.train_batch,
        args.train_runs,
        args.memory_batch,
        not args.no_memory,
        not args.no_deployed,
        args.calib_images,
        args.map_config,
        args.map_checkpoint,
        args.keep_files,
        'reference.effdet_peer:effdet_peer' if args.compare_effdet else None,
        extra_path=[REPO])
    print(result.table())
    if args.json:
        write_json(args.json, result.to_dict(), inputs, args.overwrite)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
