#!/usr/bin/env python
"""The README's main job (``make demo``): EfficientDet-D0 end to end on 2 CPUs.

1. generates a COCO-format shapes dataset under ``data/shapes`` (no downloads);
2. trains EfficientDet-D0 from scratch on it with
   ``configs/efficientdet/demo/efficientdet_d0_shapes_demo.py`` (a child of the
   D0 config: 128x128 input, 12 epochs; see its comments) into ``--work-dir``;
3. evaluates the best checkpoint (COCO bbox mAP on the val split);
4. writes ``demo_out/predictions.png``: predictions on validation images.

The steps are those of ``tools/train.py``, ``tools/test.py`` and
``tools/demo.py`` (library: ``mmdet_efficientdet.apis.run_shapes_demo``).
Exits non-zero if bbox mAP is below ``--min-map``.
"""
from __future__ import annotations
import argparse
import os
import os.path as osp
import sys

from mmdet_efficientdet.utils.cli import cfg_options_action

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join('configs', 'efficientdet', 'demo', 'efficientdet_d0_shapes_demo.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--out-dir', default='demo_out')
    parser.add_argument('--min-map', type=float, default=0.30)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=cfg_options_action(),
        help='config overrides (e.g. train_cfg.max_epochs=1)')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.chdir(REPO)  # the demo config reads data/shapes/ relative to the repository
    from mmdet_efficientdet.apis import run_shapes_demo
    result = run_shapes_demo(CONFIG, osp.join('data', 'shapes'), args.work_dir, args.out_dir,
                             args.min_map, args.cfg_options)
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == '__main__':
    sys.path.insert(0, REPO)
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
