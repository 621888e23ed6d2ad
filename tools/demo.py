#!/usr/bin/env python
"""Detect objects in images, a folder, a video file or a camera; write annotated outputs.

    python tools/demo.py IMAGE_OR_DIR_OR_VIDEO_OR_CAMERA CONFIG CHECKPOINT --out-dir DIR

CHECKPOINT may also be a deployed file (``tools/deployment/deploy.py``'s
``.onnx``, ``.xml`` or ``.pte``): it runs in its runtime (``--threads``)
inside the config's own pre- and post-processing.

Images (a file, or the images of a folder, ``--batch-size`` at a time) give
``DIR/<name>.png`` each; a video file or a camera index (``0``) gives
``DIR/<name>.mp4`` with progress every 25 frames (a camera runs until
``--max-frames`` or Ctrl-C). Boxes scoring at least ``--score-thr`` are drawn
with their class names and printed. An image that cannot be decoded is named
and skipped. Outputs never go into an input folder, and an earlier run's
outputs are kept unless ``--overwrite``; ``DIR/manifest.json`` lists what this
run wrote. The run ends with the images (frames) detected per second:
pre-processing, network and post-processing, not decoding or drawing.
Candidates scoring below ``--score-thr`` are dropped before NMS (the boxes
drawn are the same; NMS over the evaluation threshold's thousands of
candidates would dominate a video's frame time).
"""
from __future__ import annotations
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        'inputs', help='an image, a folder of images, a video '
        'file or a camera index')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint, or a deployed .onnx / .xml / .pte file')
    parser.add_argument('--out-dir', required=True, help='where outputs go')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='draw boxes scoring at least this (default 0.3)')
    parser.add_argument(
        '--batch-size', type=int, default=4, help='images per forward pass (default 4)')
    parser.add_argument('--max-frames', type=int, help='stop a video/camera after this many frames')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace outputs of an earlier run')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--threads', type=int, default=None, help="a deployed file's runtime threads")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.apis import run_demo
    result = run_demo(
        args.inputs,
        args.config,
        args.checkpoint,
        args.out_dir,
        score_thr=args.score_thr,
        batch_size=args.batch_size,
        max_frames=args.max_frames,
        device=args.device,
        overwrite=args.overwrite,
        threads=args.threads)
    print(f'{len(result.outputs)} output(s), {len(result.skipped)} input(s) '
          f'skipped; {result.fps:.1f} images/s detected; manifest: {result.manifest}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
