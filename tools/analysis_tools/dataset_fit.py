"""Know your data before training: box sizes/aspects vs the config's anchors.

    .venv/bin/python tools/analysis_tools/dataset_fit.py CONFIG --out-dir work_dirs/fit

prints the box side and aspect distributions at the config's input size, the
pyramid level each box's best anchor is on, the share of boxes whose best
anchor IoU is below the positive threshold (they get one forced anchor only)
and the positives per box; searches ``octave_base_scale`` and aspect pairs for
a better coverage, says when the input size or ``min_level`` is the real
problem, and prints the ``--cfg-options`` line that applies the best setting.
Writes ``fit.png`` and ``fit.json`` into ``--out-dir``.
"""
from __future__ import annotations
import argparse
import json
import os.path as osp
import sys

from mmdet_efficientdet.utils.cli import cfg_options_action


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('--out-dir', required=True, help='fit.png, fit.json')
    parser.add_argument('--split', choices=('train', 'val'), default='train')
    parser.add_argument(
        '--max-images', type=int, default=2000, help='measure at most this many images (seeded)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--overwrite', action='store_true', help='replace fit.png/fit.json of an earlier run')
    parser.add_argument(
        '--cfg-options', nargs='+', action=cfg_options_action(), help='config overrides, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.datasets.anchor_fit import fit_anchors, plot_fit
    from mmdet_efficientdet.fileio import atomic_write, plan_outputs
    from mmdet_efficientdet.utils.config_loader import load_config
    cfg = load_config(args.config, args.cfg_options)
    png, js = (osp.join(args.out_dir, n) for n in ('fit.png', 'fit.json'))
    plan_outputs([png, js], inputs=[args.config], overwrite=args.overwrite)
    report = fit_anchors(cfg, args.split, args.max_images, args.seed)
    print(report.summary())
    plot_fit(report, png)
    atomic_write(js, json.dumps(report.to_dict(), indent=1))
    print(f'wrote {png}, {js}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
