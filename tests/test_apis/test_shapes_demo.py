"""The embedded demo's helpers: which checkpoint it evaluates, the grid it
draws and the verdict it prints (the whole run is `make demo`)."""
import os
import time

import cv2
import numpy as np

from mmdet_efficientdet.apis.shapes_demo import ShapesDemoResult, best_checkpoint, save_grid


def test_best_checkpoint_is_the_newest_best_else_the_last(tmp_path):
    (tmp_path / 'epoch_12.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_12.pth'))
    assert best_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_12.pth')
    old = tmp_path / 'best_coco_bbox_mAP_epoch_9.pth'
    new = tmp_path / 'best_coco_bbox_mAP_epoch_3.pth'
    old.write_bytes(b'x')
    new.write_bytes(b'x')
    os.utime(old, (time.time() - 60, time.time() - 60))
    assert best_checkpoint(str(tmp_path)) == str(new)  # by time, not by name


def test_grid_tiles_three_per_row_upscaled(tmp_path):
    pngs = []
    for i in range(4):
        path = str(tmp_path / f'{i}.png')
        cv2.imwrite(path, np.full((10, 20, 3), 50 * i, np.uint8))
        pngs.append(path)
    out = str(tmp_path / 'grid.png')
    save_grid(pngs, out, scale=2)
    grid = cv2.imread(out)
    assert grid.shape == (2 * 20, 3 * 40, 3)  # 2 rows of 3 tiles of 20x40
    assert grid[25, 45].tolist() == [0, 0, 0]  # the padding tile
    assert grid[5, 45].tolist() == [50, 50, 50]


def test_verdict_against_the_pass_mark():
    result = ShapesDemoResult('data/shapes', metrics={'coco/bbox_mAP': 0.25}, min_map=0.3)
    assert not result.ok and result.summary().splitlines()[-1] == ('FAILED: bbox mAP 0.250 < 0.3')
    assert ShapesDemoResult('d', metrics={'coco/bbox_mAP': 0.3}).ok
