"""Tiled training windows: boxes at the edges, tiles with and without objects."""
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes

from mmdet_efficientdet.datasets import ObjectTileCrop


def _results(boxes, height=1080, width=1920):
    return dict(
        img=np.zeros((height, width, 3), np.uint8),
        img_shape=(height, width),
        gt_bboxes=HorizontalBoxes(np.array(boxes, np.float32).reshape(-1, 4)),
        gt_bboxes_labels=np.arange(len(boxes), dtype=np.int64),
        gt_ignore_flags=np.zeros(len(boxes), bool))


def test_an_object_window_holds_the_box_and_has_the_tile_size():
    np.random.seed(0)
    crop = ObjectTileCrop(320, object_prob=1.0)
    for _ in range(20):
        out = crop.transform(_results([[1000, 500, 1030, 520]]))
        assert out['img'].shape == (320, 320, 3) and out['img_shape'] == (320, 320)
        assert out['gt_bboxes'].numpy().shape == (1, 4)  # its centre is always inside


def test_a_cut_box_is_kept_when_enough_is_visible_and_dropped_otherwise():
    crop = ObjectTileCrop(320, min_visible=0.5)
    results = _results([[300, 100, 340, 120], [310, 200, 350, 220], [10, 10, 30, 30]])
    crop._window = lambda height, width, boxes: (0, 0)  # the window (0, 0)-(320, 320)
    out = crop.transform(results)
    # box 0: 20 of 40 px inside (half: kept, clipped); box 1: 10 of 40 (dropped)
    assert out['gt_bboxes'].numpy().tolist() == [[300, 100, 320, 120], [10, 10, 30, 30]]
    assert out['gt_bboxes_labels'].tolist() == [0, 2]
    assert out['gt_ignore_flags'].tolist() == [False, False]


def test_background_windows_and_empty_images():
    np.random.seed(1)
    crop = ObjectTileCrop(320, object_prob=0.0)
    found = [
        len(crop.transform(_results([[1000, 500, 1030, 520]]))['gt_bboxes']) for _ in range(30)
    ]
    assert 0 in found  # windows anywhere: most miss the one car
    empty = crop.transform(_results([]))
    assert empty['img'].shape == (320, 320, 3) and len(empty['gt_bboxes']) == 0


def test_a_small_image_is_kept_whole_along_its_short_side():
    out = ObjectTileCrop((320, 512)).transform(_results([[10, 10, 50, 50]], height=200, width=900))
    assert out['img'].shape == (200, 512, 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match='object_prob=1.5'):
        ObjectTileCrop(320, object_prob=1.5)
