#!/usr/bin/env python
"""The README's main job (``make demo``): EfficientDet-D0 end to end on 2 CPUs.

1. generates a COCO-format shapes dataset under ``data/shapes`` (no downloads);
2. trains EfficientDet-D0 from scratch with ``tools/train.py`` and
   ``configs/efficientdet/demo/efficientdet_d0_shapes_demo.py`` (a child of the
   D0 config: 128x128 input, 12 epochs; see its comments);
3. evaluates the best checkpoint with ``tools/test.py`` (COCO bbox mAP);
4. writes ``demo_out/predictions.png``: predictions on validation images.

Exits non-zero if a step fails or bbox mAP is below ``--min-map``.
"""
from __future__ import annotations
import argparse
import glob
import os
import os.path as osp
import re
import subprocess
import sys
import time

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
        nargs='*',
        default=[],
        help='passed to tools/train.py (e.g. train_cfg.max_epochs=1)')
    return parser.parse_args()


def run(cmd: list, log_path: str) -> str:
    """Run a step, stream its output to ``log_path``, return it; fail loudly."""
    print('$', ' '.join(cmd), flush=True)
    with open(log_path, 'w') as log:
        proc = subprocess.run(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write(proc.stdout)
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
        raise SystemExit(f'step failed (exit {proc.returncode}); log: {log_path}')
    return proc.stdout


def save_grid(pngs: list, out: str, scale: int = 2) -> None:
    """Tile the prediction images 3 per row, upscaled for readability."""
    import cv2
    import numpy as np
    tiles = [
        cv2.resize(cv2.imread(p), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        for p in pngs
    ]
    h, w = tiles[0].shape[:2]
    while len(tiles) % 3:
        tiles.append(np.zeros((h, w, 3), np.uint8))
    rows = [np.hstack(tiles[i:i + 3]) for i in range(0, len(tiles), 3)]
    cv2.imwrite(out, np.vstack(rows))


def main() -> int:
    args = parse_args()
    start = time.time()
    sys.path.insert(0, REPO)
    from mmdet_efficientdet.datasets import make_shapes_dataset

    data_root = osp.join(REPO, 'data', 'shapes')
    make_shapes_dataset(
        data_root,
        num_train=1200,
        num_val=100,
        image_size=128,
        max_objects=3,
        min_size=20,
        max_size=56,
        seed=0)
    print(f'[1/4] dataset: 1200 train / 100 val images in {data_root}')
    work_dir = osp.join(REPO, args.work_dir)
    out_dir = osp.join(REPO, args.out_dir)
    os.makedirs(out_dir, exist_ok=True)

    train = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir]
    if args.cfg_options:
        train += ['--cfg-options'] + args.cfg_options
    run(train, osp.join(out_dir, 'train.log'))
    best = sorted(glob.glob(osp.join(work_dir, 'best_coco_bbox_mAP_*.pth')), key=osp.getmtime)
    ckpt = best[-1] if best else open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    train_min = (time.time() - start) / 60
    print(f'[2/4] trained in {train_min:.1f} min; checkpoint {ckpt}')

    test_out = run([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work_dir],
                   osp.join(out_dir, 'test.log'))
    table = [
        line for line in test_out.splitlines()
        if 'Average Precision' in line or 'Average Recall' in line
    ]
    print('[3/4] COCO bbox evaluation on the val split:')
    print('\n'.join(table))
    match = re.search(r'bbox_mAP_copypaste: ([\d.]+)', test_out)
    bbox_map = float(match.group(1)) if match else 0.0

    val_imgs = osp.join(REPO, 'data', 'shapes', 'val')
    vis_dir = osp.join(out_dir, 'vis')
    run([sys.executable, 'tools/demo.py', val_imgs, CONFIG, ckpt, '--out-dir', vis_dir],
        osp.join(out_dir, 'demo.log'))
    grid = osp.join(out_dir, 'predictions.png')
    save_grid(sorted(glob.glob(osp.join(vis_dir, '*.png')))[:9], grid)
    print(f'[4/4] predictions on validation images: {grid}')

    total = (time.time() - start) / 60
    print(f'\nEfficientDet-D0 shapes demo: bbox mAP {bbox_map:.3f} '
          f'(target >= {args.min_map}), total {total:.1f} min')
    if bbox_map < args.min_map:
        print(f'FAILED: bbox mAP {bbox_map:.3f} < {args.min_map}')
        return 1
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
