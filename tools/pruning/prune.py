#!/usr/bin/env python
"""Prune a trained EfficientDet to a budget; write a config + checkpoint.

    .venv/bin/python tools/pruning/prune.py CONFIG CKPT --out-dir DIR \
        (--target-latency 0.6 | --target-flops 0.5 | --ratios GROUP=R ...) \
        [--sensitivity TABLE.json] [--round-to auto|N] [--latency-size S] \
        [--finetune-epochs N]

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
fine-tunes it), ``DIR/pruned.pth`` and ``DIR/prune_report.json``.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys

from mmdet_efficientdet.pruning.channel_groups import PruningError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    target = parser.add_mutually_exclusive_group()
    target.add_argument('--target-latency', type=float,
                        help='ONNX Runtime latency ratio to the unpruned model')
    target.add_argument('--target-flops', type=float,
                        help='multiply-add ratio to the unpruned model')
    target.add_argument('--ratios', nargs='+', metavar='GROUP=R',
                        help='explicit ratios (fnmatch patterns allowed)')
    parser.add_argument('--sensitivity', default=None,
                        help='sensitivity table (.json) for a target')
    parser.add_argument('--round-to', default='auto',
                        help="'auto' (CPU SIMD fp32 lanes) or an int")
    parser.add_argument('--latency-size', type=int, default=None,
                        help="square input of the latency check (default: "
                        "the config's image_size)")
    parser.add_argument('--activation-sensitivity', default=None,
                        help='table of prune_sensitivity.py --activations: '
                        'adds per-block activation masks (Integral Pruning)')
    parser.add_argument('--max-activation-drop', type=float, default=0.005,
                        help='largest tabulated mAP drop (0-1) a block\'s '
                        'winner rate may cost')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--finetune-epochs', type=int, default=None,
                        help='write this schedule length into the config')
    return parser.parse_args(argv)


def parse_ratios(items):
    ratios = {}
    for item in items:
        name, sep, value = item.partition('=')
        try:
            ratios[name] = float(value)
        except ValueError:
            sep = ''
        if not sep or not name:
            raise PruningError(f'--ratios {item!r}: expected GROUP=RATIO')
    return ratios


def finetune_schedule(cfg, epochs: int) -> None:
    """Shorten the config's schedule to ``epochs`` (epoch-based schedulers
    end there)."""
    if epochs < 1:
        raise PruningError(f'--finetune-epochs {epochs} must be >= 1')
    old = cfg.train_cfg.max_epochs
    cfg.max_epochs = cfg.train_cfg.max_epochs = epochs
    for scheduler in cfg.param_scheduler:
        if scheduler.get('by_epoch', True):
            for key in ('end', 'T_max'):
                if scheduler.get(key) == old:
                    scheduler[key] = epochs
    cfg.train_cfg.val_interval = min(cfg.train_cfg.get('val_interval', 1),
                                     epochs)


def main(argv=None) -> int:
    args = parse_args(argv)
    import copy

    import torch
    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.analysis import measure_complexity
    from mmdet_efficientdet.fileio.atomic import atomic_write
    from mmdet_efficientdet.pruning import (OrtLatency, apply_widths,
                                            build_group_graph,
                                            choose_winner_rates, greedy_steps,
                                            search_budget,
                                            prune_detector, pruned_widths,
                                            simd_width)
    from mmdet_efficientdet.utils import load_trained
    if args.ratios is None and args.target_latency is None and \
            args.target_flops is None:
        if not args.activation_sensitivity:
            raise PruningError('give a target: --target-latency, '
                               '--target-flops, --ratios, or '
                               '--activation-sensitivity')
        args.ratios = []
    for path in (args.config, args.checkpoint) + tuple(
            p for p in (args.sensitivity, args.activation_sensitivity) if p):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    for name in ('target_latency', 'target_flops'):
        value = getattr(args, name)
        if value is not None and not 0 < value < 1:
            raise PruningError(f'--{name.replace("_", "-")} {value} must be in '
                               f'(0, 1)')
    if args.ratios is None and not args.sensitivity:
        raise PruningError('a target needs --sensitivity TABLE.json '
                           '(tools/pruning/prune_sensitivity.py)')
    round_to = simd_width() if args.round_to == 'auto' else int(args.round_to)
    cfg, base = load_trained(args.config, args.checkpoint)
    size = args.latency_size or cfg.image_size
    groups = list(build_group_graph(base).groups)
    base_macs = measure_complexity(base, size, size).flops

    def pruned(ratios):
        model = copy.deepcopy(base)
        changes = prune_detector(model, ratios, round_to)
        return model, changes

    latency = None
    if args.ratios is not None:
        ratios = parse_ratios(args.ratios)
        model, changes = pruned(ratios)
    else:
        with open(args.sensitivity) as f:
            table = json.load(f)
        unknown = sorted({r['group'] for r in table[1:]} - set(groups))
        if unknown:
            raise PruningError(f'{args.sensitivity}: groups {unknown} are not '
                               f'in this model ({args.config})')
        metric = 'latency' if args.target_latency else 'flops'
        target = args.target_latency or args.target_flops
        if metric == 'latency':
            latency = OrtLatency(base, size, args.threads, runs=15)

        def measure(ratios):
            variant, _ = pruned(ratios)
            if metric == 'flops':
                return measure_complexity(variant, size, size).flops / \
                    base_macs
            ms, base_ms = latency(variant)
            return ms / base_ms

        ratios, achieved = search_budget(greedy_steps(table, metric), measure,
                                         target)
        model, changes = pruned(ratios)
        print(f'measured {metric} ratio {achieved:.3f} (target {target})')
    widths = pruned_widths(model)
    out_cfg = copy.deepcopy(cfg)
    out_cfg.model = apply_widths(cfg.model, widths)
    winner_rates = {}
    if args.activation_sensitivity:
        with open(args.activation_sensitivity) as f:
            winner_rates = choose_winner_rates(json.load(f),
                                               args.max_activation_drop)
        out_cfg.model.backbone.activation_masks = winner_rates
        model.backbone.set_activation_masks(winner_rates)
        print('winner rates: ' + ', '.join(
            f'{k} {v:.2f}' for k, v in winner_rates.items()))
    ckpt = osp.abspath(osp.join(args.out_dir, 'pruned.pth'))
    out_cfg.load_from = ckpt
    if args.finetune_epochs:
        finetune_schedule(out_cfg, args.finetune_epochs)
    stem = osp.splitext(osp.basename(args.config))[0]
    cfg_path = osp.join(args.out_dir, f'{stem}_pruned.py')
    import io
    buffer = io.BytesIO()
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(pruned_from=osp.abspath(args.checkpoint),
                              ratios=ratios, round_to=round_to)), buffer)
    atomic_write(ckpt, buffer.getvalue())
    atomic_write(cfg_path, out_cfg.pretty_text)
    from mmdet_efficientdet.pruning.unstructured import effective_macs
    macs = measure_complexity(model, size, size)
    report = dict(config=cfg_path, checkpoint=ckpt, round_to=round_to,
                  ratios=ratios, widths=widths, winner_rates=winner_rates,
                  effective_gmacs=effective_macs(model, size, size) / 1e9,
                  changes={k: list(v) for k, v in changes.items()},
                  params=macs.params, gmacs=macs.flops / 1e9,
                  base_gmacs=base_macs / 1e9, macs_ratio=macs.flops / base_macs,
                  size=size)
    if latency is not None:
        ms, base_ms = latency(model)
        report.update(ort_ms=ms, base_ort_ms=base_ms, latency_ratio=ms / base_ms)
    atomic_write(osp.join(args.out_dir, 'prune_report.json'),
                 json.dumps(report, indent=1))
    for name, (before, after) in changes.items():
        print(f'{name:>10}: {before} -> {after}')
    print(f'params {macs.params:,}, GMACs at {size}: {macs.flops / 1e9:.3f} '
          f'({macs.flops / base_macs:.2f}x)' + (
              f', ONNX Runtime latency {report["latency_ratio"]:.2f}x'
              if latency is not None else ''))
    print(f'config: {cfg_path}\ncheckpoint: {ckpt}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
