"""The README's embedded demo (``make demo``): EfficientDet-D0 end to end on
the generated shapes data, with the same steps a user runs with the tools."""
from __future__ import annotations
import glob
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
from mmengine.runner import Runner

from ..datasets import make_shapes_dataset
from ..fileio import atomic_write
from ..utils.config_loader import load_config
from .demo import run_demo

#: The generated data set: 1200 train / 100 val images of 128 px.
SHAPES_DATA = dict(
    num_train=1200, num_val=100, image_size=128, max_objects=3, min_size=20, max_size=56, seed=0)


@dataclass
class ShapesDemoResult:
    """What :func:`run_shapes_demo` trained, measured and wrote.

    Attributes:
        data_root (str): The generated data set.
        checkpoint (str): The evaluated checkpoint (best by val mAP).
        metrics (dict): COCO metrics of the test run (``coco/bbox_mAP`` ...).
        predictions (str): PNG grid of predictions on validation images.
        train_minutes, total_minutes (float): Wall time.
        min_map (float): The pass mark.
    """
    data_root: str
    checkpoint: str = ''
    metrics: Dict[str, float] = field(default_factory=dict)
    predictions: str = ''
    train_minutes: float = 0.0
    total_minutes: float = 0.0
    min_map: float = 0.30

    @property
    def bbox_map(self) -> float:
        return float(self.metrics.get('coco/bbox_mAP', 0.0))

    @property
    def ok(self) -> bool:
        return self.bbox_map >= self.min_map

    def summary(self) -> str:
        metrics = ', '.join(f'{k.split("/")[-1]} {v:.3f}' for k, v in self.metrics.items()
                            if k.startswith('coco/bbox'))
        lines = [
            f'EfficientDet-D0 shapes demo: bbox mAP {self.bbox_map:.3f} '
            f'(target >= {self.min_map}), trained in {self.train_minutes:.1f} min, '
            f'total {self.total_minutes:.1f} min', f'  {metrics}',
            f'  checkpoint {self.checkpoint}', f'  predictions {self.predictions}'
        ]
        if not self.ok:
            lines.append(f'FAILED: bbox mAP {self.bbox_map:.3f} < {self.min_map}')
        return '\n'.join(lines)


def best_checkpoint(work_dir: str) -> str:
    """The newest ``best_coco_bbox_mAP_*.pth`` of a training run, else its last
    checkpoint."""
    best = sorted(glob.glob(osp.join(work_dir, 'best_coco_bbox_mAP_*.pth')), key=osp.getmtime)
    if best:
        return best[-1]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def save_grid(pngs: List[str], out: str, scale: int = 2) -> None:
    """Tile images 3 per row, upscaled for readability, into ``out``."""

    tiles = [
        cv2.resize(cv2.imread(p), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        for p in pngs
    ]
    h, w = tiles[0].shape[:2]
    while len(tiles) % 3:
        tiles.append(np.zeros((h, w, 3), np.uint8))
    rows = [np.hstack(tiles[i:i + 3]) for i in range(0, len(tiles), 3)]
    atomic_write(out, cv2.imencode('.png', np.vstack(rows))[1].tobytes())


def run_shapes_demo(config: str,
                    data_root: str,
                    work_dir: str,
                    out_dir: str,
                    min_map: float = 0.30,
                    cfg_options: Optional[dict] = None,
                    log: Callable[[str], None] = print) -> ShapesDemoResult:
    """Generate the shapes data, train ``config`` on it, evaluate the best
    checkpoint and draw its predictions.

    The same steps as ``tools/train.py``, ``tools/test.py`` and
    ``tools/demo.py`` (each step's library code), in one process:

    1. :func:`~mmdet_efficientdet.datasets.make_shapes_dataset` into
       ``data_root`` (:data:`SHAPES_DATA`; the config reads it from there);
    2. training with mmengine's ``Runner`` into ``work_dir``;
    3. COCO evaluation of the best checkpoint on the val split;
    4. predictions on validation images (``out_dir/vis``, replaced on every
       run: the demo's own output) and a 3x3 grid ``out_dir/predictions.png``.

    Args:
        config: The demo config.
        data_root: Where the data set goes (the config's ``data_root``).
        work_dir: Training work folder.
        out_dir: Where predictions go.
        min_map: Pass mark of bbox mAP.
        cfg_options: ``--cfg-options`` for training and testing.
        log: Progress lines.
    """

    start = time.time()
    result = ShapesDemoResult(data_root, min_map=min_map)
    make_shapes_dataset(data_root, **SHAPES_DATA)
    log(f'[1/4] dataset: {SHAPES_DATA["num_train"]} train / {SHAPES_DATA["num_val"]} val '
        f'images in {data_root}')

    cfg = load_config(config, cfg_options)
    cfg.work_dir = work_dir
    Runner.from_cfg(cfg).train()
    result.checkpoint = best_checkpoint(work_dir)
    result.train_minutes = (time.time() - start) / 60
    log(f'[2/4] trained in {result.train_minutes:.1f} min; checkpoint {result.checkpoint}')

    cfg = load_config(config, cfg_options)
    cfg.work_dir = work_dir
    cfg.load_from = result.checkpoint
    result.metrics = {
        k: float(v)
        for k, v in Runner.from_cfg(cfg).test().items() if isinstance(v, (int, float))
    }
    log(f'[3/4] COCO bbox mAP on the val split: {result.bbox_map:.3f}')

    vis_dir = osp.join(out_dir, 'vis')
    shown = run_demo(
        osp.join(data_root, 'val'),
        config,
        result.checkpoint,
        vis_dir,
        overwrite=True,
        log=lambda line: None)
    os.makedirs(out_dir, exist_ok=True)
    result.predictions = osp.join(out_dir, 'predictions.png')
    save_grid(sorted(out for _, out, _ in shown.outputs)[:9], result.predictions)
    log(f'[4/4] predictions on validation images: {result.predictions}')
    result.total_minutes = (time.time() - start) / 60
    return result
