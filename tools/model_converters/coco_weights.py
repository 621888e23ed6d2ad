#!/usr/bin/env python
"""Turn effdet's published COCO checkpoint of a level into a ``load_from`` file.

    .venv/bin/python tools/model_converters/coco_weights.py lite0
        [--out checkpoints/efficientdet_lite0_coco.pth] [--src FILE] [--overwrite]

Downloads ``tf_efficientdet_<level>`` (effdet's port of automl's COCO
weights) into ``checkpoints/`` when online (offline: one line naming the file
to place there, or pass ``--src``), converts it against
``configs/efficientdet/ported/tf_efficientdet_<level>_coco.py`` and writes a
checkpoint the fine-tuning templates' ``load_from`` takes.
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('level', help='d0 ... d7x, lite0 ... lite4, lite3x')
    parser.add_argument('--out', help='default: checkpoints/efficientdet_<level>_coco.pth')
    parser.add_argument('--src', help="effdet's checkpoint, if already downloaded")
    parser.add_argument('--cache-dir', default='checkpoints', help='where the effdet file is kept')
    parser.add_argument('--overwrite', action='store_true', help='replace --out')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from mmdet_efficientdet.converters.coco_weights import convert_coco_weights
    args = parse_args(argv)
    out = args.out or osp.join('checkpoints', f'efficientdet_{args.level}_coco.pth')
    ported = osp.join(REPO, 'configs', 'efficientdet', 'ported',
                      f'tf_efficientdet_{args.level}_coco.py')
    result = convert_coco_weights(args.level, out, ported, args.cache_dir, args.src, args.overwrite)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
