#!/usr/bin/env python
"""Detect objects in images and write PNGs with labelled boxes.

    python tools/demo.py IMAGE_OR_DIR CONFIG CHECKPOINT --out-dir DIR

Runs mmdet's ``DetInferencer`` on every image (a file, or the images of a
folder), draws boxes scoring at least ``--score-thr`` with their class names and
writes ``DIR/<image name>.png``; prints the detections.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='where PNGs go')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw boxes scoring at least this (default 0.3)')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def list_images(inputs: str) -> list:
    """The image files named by ``inputs`` (a file or a folder), sorted."""
    if osp.isdir(inputs):
        files = sorted(osp.join(inputs, f) for f in os.listdir(inputs)
                       if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise FileNotFoundError(f'no images ({", ".join(IMAGE_EXTS)}) in '
                                    f'folder {inputs!r}')
        return files
    if not osp.isfile(inputs):
        raise FileNotFoundError(f'input {inputs!r} is neither an image file '
                                f'nor a folder')
    return [inputs]


def main(argv=None) -> int:
    args = parse_args(argv)
    import cv2
    import mmcv

    import mmdet_efficientdet  # noqa: F401
    from mmdet.apis import DetInferencer

    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    images = list_images(args.inputs)
    inferencer = DetInferencer(model=args.config, weights=args.checkpoint,
                               device=args.device, show_progress=False)
    classes = inferencer.model.dataset_meta.get('classes', ())
    os.makedirs(args.out_dir, exist_ok=True)
    for path in images:
        img = mmcv.imread(path, channel_order='rgb')
        if img is None:
            raise ValueError(f'cannot decode image {path!r}')
        result = inferencer(img, return_vis=True, pred_score_thr=args.score_thr,
                            no_save_vis=True, no_save_pred=True)
        pred = result['predictions'][0]
        out = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.png')
        cv2.imwrite(out, cv2.cvtColor(result['visualization'][0],
                                      cv2.COLOR_RGB2BGR))
        kept = [(label, score, box) for label, score, box in zip(
            pred['labels'], pred['scores'], pred['bboxes'])
                if score >= args.score_thr]
        print(f'{path}: {len(kept)} detections >= {args.score_thr} -> {out}')
        for label, score, box in kept:
            name = classes[label] if label < len(classes) else str(label)
            print(f'  {name:>12s} {score:.3f} {[round(v, 1) for v in box]}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
