"""Merging the detections of several views, on hand-made boxes."""
import pytest
import torch

from mmdet_efficientdet.models.inference import merge_detections, pairwise_overlap


def _t(*rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_a_box_split_by_a_tile_border_merges_into_one():
    # a 40x20 car at x 300..340; tiles overlap by 20 px at x 310..330: the
    # left tile (ending at 330) sees x 300..330, the right one (from 310)
    # x 310..340, and the full-image pass the whole, a little off
    halves = _t([300, 50, 330, 70], [310, 50, 340, 70], [301, 51, 339, 69])
    boxes, scores, labels = merge_detections(halves, torch.tensor([0.6, 0.7, 0.5]),
                                             torch.tensor([1, 1, 1]), 'greedy_nmm', 0.5, 'ios')
    assert boxes.tolist() == [[300.0, 50.0, 340.0, 70.0]]
    assert scores.tolist() == pytest.approx([0.7]) and labels.tolist() == [1]


def test_a_box_in_the_overlap_is_reported_once():
    # the same object seen whole by two overlapping tiles (a pixel apart)
    twice = _t([100, 100, 130, 120], [101, 100, 130, 121])
    for method, metric in (('nms', 'iou'), ('greedy_nmm', 'ios'), ('greedy_nmm', 'iou')):
        boxes, scores, _ = merge_detections(twice, torch.tensor([0.8, 0.9]), torch.tensor([0, 0]),
                                            method, 0.5, metric)
        assert len(boxes) == 1 and scores.tolist() == pytest.approx([0.9])


def test_classes_and_distant_boxes_stay_apart_best_first():
    boxes = _t([0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60], [0, 0, 10, 10])
    out, scores, labels = merge_detections(boxes, torch.tensor([0.2, 0.9, 0.5, 0.4]),
                                           torch.tensor([0, 1, 0, 0]), 'greedy_nmm', 0.5)
    assert labels.tolist() == [1, 0, 0] and scores.tolist() == pytest.approx([0.9, 0.5, 0.4])
    assert merge_detections(
        boxes,
        torch.tensor([0.2, 0.9, 0.5, 0.4]),
        torch.tensor([0, 1, 0, 0]),
        'nms',
        0.5,
        max_num=2)[0].shape == (2, 4)


def test_ios_sees_a_part_inside_a_whole():
    whole, part = _t([0, 0, 40, 20])[0], _t([0, 0, 10, 20])
    assert pairwise_overlap(whole, part, 'ios').item() == pytest.approx(1.0)
    assert pairwise_overlap(whole, part, 'iou').item() == pytest.approx(0.25)


def test_bad_choices_and_no_boxes():
    empty = torch.zeros(0, 4)
    assert merge_detections(empty, torch.zeros(0), torch.zeros(0, dtype=torch.long))[0].shape == \
        (0, 4)
    with pytest.raises(ValueError, match="merge='soft'"):
        merge_detections(_t([0, 0, 1, 1]), torch.ones(1), torch.zeros(1), 'soft')
    with pytest.raises(ValueError, match="match_metric='giou'"):
        pairwise_overlap(_t([0, 0, 1, 1])[0], _t([0, 0, 1, 1]), 'giou')
