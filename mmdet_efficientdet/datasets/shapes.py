"""A small generated COCO-format detection dataset of coloured shapes.

Used by the embedded demo and the tests: no downloads, deterministic for a
given seed, and hard enough that a detector must learn localisation (shapes
vary in size, aspect, colour and overlap; the background is textured).
"""
from __future__ import annotations
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

SHAPE_CLASSES: Tuple[str, ...] = ('circle', 'square', 'triangle')


def _draw_shape(img: np.ndarray, rng: np.random.Generator, cls: str, box: Tuple[int, int, int,
                                                                                int]) -> None:
    x0, y0, x1, y1 = box
    color = tuple(int(c) for c in rng.integers(40, 256, size=3))
    if cls == 'circle':
        center = ((x0 + x1) // 2, (y0 + y1) // 2)
        axes = ((x1 - x0) // 2, (y1 - y0) // 2)
        cv2.ellipse(img, center, axes, 0, 0, 360, color, -1, cv2.LINE_AA)
    elif cls == 'square':
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), color, -1)
    else:
        pts = np.array([[(x0 + x1) // 2, y0], [x0, y1 - 1], [x1 - 1, y1 - 1]], np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)


def _make_image(rng: np.random.Generator, size: int, classes: Sequence[str], max_objects: int,
                min_size: int, max_size: int) -> Tuple[np.ndarray, List[Tuple[int, List[int]]]]:
    base = rng.integers(0, 120, size=3)
    noise = rng.normal(0, 12, size=(size, size, 3))
    img = np.clip(base + noise, 0, 255).astype(np.uint8)
    objects: List[Tuple[int, List[int]]] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        w = int(rng.integers(min_size, max_size + 1))
        h = int(np.clip(w * rng.uniform(0.7, 1.4), min_size, max_size))
        x0 = int(rng.integers(0, size - w + 1))
        y0 = int(rng.integers(0, size - h + 1))
        box = (x0, y0, x0 + w, y0 + h)
        # keep objects mostly separate so every box stays visible
        if any(_iou(box, other) > 0.3 for _, other in objects):
            continue
        label = int(rng.integers(0, len(classes)))
        _draw_shape(img, rng, classes[label], box)
        objects.append((label, list(box)))
    return img, objects


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def make_shapes_dataset(out_dir: str,
                        num_train: int = 200,
                        num_val: int = 50,
                        image_size: int = 256,
                        classes: Sequence[str] = SHAPE_CLASSES,
                        max_objects: int = 4,
                        min_size: int = 24,
                        max_size: int = 96,
                        seed: int = 0) -> Dict[str, str]:
    """Write a COCO-format dataset of shapes under ``out_dir``.

    Layout: ``out_dir/{train,val}/*.png`` and
    ``out_dir/annotations/instances_{train,val}.json``. Existing files with
    the same content are rewritten identically (deterministic in ``seed``).

    Args:
        out_dir (str): Root folder.
        num_train (int): Training images.
        num_val (int): Validation images.
        image_size (int): Side of the square images.
        classes (Sequence[str]): Class names, a subset of
            ``('circle', 'square', 'triangle')`` in any order.
        max_objects (int): Most objects per image.
        min_size (int): Smallest box side in pixels.
        max_size (int): Largest box side in pixels.
        seed (int): Random seed.

    Returns:
        dict: Paths ``{'train': ann_file, 'val': ann_file}``.
    """
    unknown = set(classes) - set(SHAPE_CLASSES)
    if unknown:
        raise ValueError(f'unknown shape classes {sorted(unknown)}; '
                         f'available: {SHAPE_CLASSES}')
    if not 0 < min_size <= max_size <= image_size:
        raise ValueError(f'need 0 < min_size <= max_size <= image_size, got '
                         f'{min_size}, {max_size}, {image_size}')
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(classes)]
    ann_files = {}
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations = [], []
        for img_id in range(1, count + 1):
            img, objects = _make_image(rng, image_size, classes, max_objects, min_size, max_size)
            file_name = f'{img_id:06d}.png'
            cv2.imwrite(osp.join(out_dir, split, file_name), img)
            images.append(dict(id=img_id, file_name=file_name, width=image_size, height=image_size))
            for label, (x0, y0, x1, y1) in objects:
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=img_id,
                        category_id=label + 1,
                        bbox=[x0, y0, x1 - x0, y1 - y0],
                        area=(x1 - x0) * (y1 - y0),
                        iscrowd=0))
        ann_file = osp.join(out_dir, 'annotations', f'instances_{split}.json')
        with open(ann_file, 'w') as f:
            json.dump(dict(images=images, annotations=annotations, categories=categories), f)
        ann_files[split] = ann_file
    return ann_files
