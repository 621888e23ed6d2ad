#!/usr/bin/env python
"""The README's main job: an end-to-end EfficientDet run on generated data.

Generates a small COCO-format shapes dataset under ``data/shapes`` (no
downloads), builds EfficientDet-D0 from the repo's config through mmdet's
registry and runs it on a sample image, printing the detections.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'shapes'))
    parser.add_argument(
        '--config',
        default=osp.join(REPO, 'configs', 'efficientdet',
                         'efficientdet_d0_8xb16-300e_coco.py'))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import mmdet_efficientdet  # noqa: F401
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    from mmdet_efficientdet.datasets import SHAPE_CLASSES, make_shapes_dataset

    ann = make_shapes_dataset(args.data_root, num_train=8, num_val=4,
                              image_size=256)
    print(f'dataset: {ann}')
    cfg = Config.fromfile(args.config)
    cfg.model.bbox_head.num_classes = len(SHAPE_CLASSES)
    model = init_detector(cfg, checkpoint=None, device='cpu')
    image = osp.join(args.data_root, 'val', '000001.png')
    result = inference_detector(model, image)
    pred = result.pred_instances
    print(f'EfficientDet-D0 forward on {image}: {len(pred)} detections '
          f'(random weights)')
    for box, score, label in list(zip(pred.bboxes, pred.scores,
                                      pred.labels))[:5]:
        print(f'  {SHAPE_CLASSES[int(label)]:>8s} {float(score):.3f} '
              f'{[round(float(v), 1) for v in box]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
