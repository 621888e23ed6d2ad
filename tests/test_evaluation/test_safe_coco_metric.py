"""SafeCocoMetric: empty predictions give 0.0, not an empty dict."""
import numpy as np

from mmdet_efficientdet.evaluation import SafeCocoMetric


def _result(boxes, scores, labels, img_id):
    pred = dict(
        img_id=img_id,
        bboxes=np.array(boxes, np.float32).reshape(-1, 4),
        scores=np.array(scores, np.float32),
        labels=np.array(labels, np.int64))
    return pred


def test_no_predictions_report_zero(shapes_root):
    metric = SafeCocoMetric(ann_file=f'{shapes_root}/annotations/instances_val.json')
    metric.dataset_meta = dict(classes=('circle', 'square', 'triangle'))
    results = [(dict(img_id=i, width=128, height=128), _result([], [], [], i)) for i in range(1, 5)]
    metrics = metric.compute_metrics(results)
    assert metrics['bbox_mAP'] == 0.0 and metrics['bbox_mAP_50'] == 0.0
    assert set(metrics) == {
        f'bbox_{k}'
        for k in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')
    }


def test_perfect_predictions_score_one(shapes_root):
    import json
    ann_file = f'{shapes_root}/annotations/instances_val.json'
    coco = json.load(open(ann_file))
    metric = SafeCocoMetric(ann_file=ann_file)
    metric.dataset_meta = dict(classes=('circle', 'square', 'triangle'))
    results = []
    for img in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == img['id']]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]
        results.append((dict(img_id=img['id'], width=128, height=128),
                        _result(boxes, [0.9] * len(anns), [a['category_id'] - 1 for a in anns],
                                img['id'])))
    metrics = metric.compute_metrics(results)
    assert metrics['bbox_mAP'] == 1.0
