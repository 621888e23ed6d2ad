"""YOLO-format labels (Ultralytics, Roboflow exports): one ``.txt`` per image.

Each line of ``labels/NAME.txt`` is ``class x_center y_center width height``,
normalised to the image size (a segmentation export's ``class x1 y1 x2 y2
...`` polygon is read as its bounding box, as Ultralytics trains a detector
on it). The class index is a line of the names file (``classes.txt``: one
name per line, or an Ultralytics ``data.yaml`` with ``names``). An image
without a label file, or with an empty one, has no boxes (a negative).
"""
from __future__ import annotations
import os
import os.path as osp
from typing import List, Optional, Sequence, Set, Tuple

import yaml

from ..errors import UserError
from .labelled_image import LabelledImage

#: Image suffixes a YOLO folder holds (as Ultralytics reads them).
IMAGE_SUFFIXES = ('.bmp', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp')
#: How far past the image edge a normalised coordinate may go (rounding of
#: labelling tools) before the row counts as wrong; the box is clipped later.
EDGE_TOLERANCE = 0.01


def read_class_names(path: str) -> List[str]:
    """Class names by index from ``classes.txt`` (one per line) or an
    Ultralytics ``data.yaml`` (``names: [..]`` or ``names: {0: ..}``).

    Raises:
        UserError: a missing file, no names, a name given twice.
    """
    if not osp.isfile(path):
        raise UserError(f'names file {path} not found')
    if path.lower().endswith(('.yaml', '.yml')):
        with open(path) as f:
            names = (yaml.safe_load(f) or {}).get('names')
        if isinstance(names, dict):
            names = [names[k] for k in sorted(names, key=int)]
        names = [str(n).strip() for n in names or []]
    else:
        with open(path) as f:
            names = [line.strip() for line in f if line.strip()]
    if not names:
        raise UserError(f'{path}: no class names')
    if len(set(names)) != len(names):
        raise UserError(f'{path}: a class name is given twice: {names}')
    return names


def parse_yolo_row(text: str, num_classes: int) -> Tuple[int, float, float, float, float]:
    """``(class index, x1, y1, x2, y2)`` normalised, from one label line.

    Raises:
        ValueError: a wrong field count, a non-number, an unknown class, a box
            without area or outside the image.
    """
    fields = text.split()
    if len(fields) != 5 and (len(fields) < 7 or len(fields) % 2 == 0):
        raise ValueError(f'{len(fields)} fields: expected class x_center y_center width '
                         f'height (or class x1 y1 x2 y2 ... for a polygon)')
    if not fields[0].isdigit() or int(fields[0]) >= num_classes:
        raise ValueError(f'class {fields[0]!r} is not an index of the {num_classes} names')
    values = [float(v) for v in fields[1:]]
    if len(fields) == 5:
        xc, yc, w, h = values
        x1, y1, x2, y2 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
    else:
        xs, ys = values[0::2], values[1::2]
        x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    if not (x2 > x1 and y2 > y1):
        raise ValueError('the box has no area')
    low, high = -EDGE_TOLERANCE, 1 + EDGE_TOLERANCE
    if not all(low <= v <= high for v in (x1, y1, x2, y2)):
        raise ValueError('coordinates outside 0..1 (YOLO labels are normalised to the image)')
    return int(fields[0]), x1, y1, x2, y2


def read_yolo_folder(label_dir: str,
                     image_dir: str,
                     names: Sequence[str],
                     problems: List[str],
                     left_out: Optional[Set[str]] = None) -> List[LabelledImage]:
    """Every image of ``image_dir`` with its ``label_dir/<stem>.txt``.

    Boxes are kept normalised (``LabelledImage.normalized``): the converter
    scales them by the decoded image size. A label file with a bad row leaves
    its image out whole (named in ``problems`` and ``left_out``); a label
    file without an image is reported.
    """
    images = sorted(n for n in os.listdir(image_dir) if n.lower().endswith(IMAGE_SUFFIXES))
    stems = {osp.splitext(n)[0] for n in images}
    for label in sorted(os.listdir(label_dir)):
        if label.endswith('.txt') and osp.splitext(label)[0] not in stems:
            problems.append(f'{osp.join(label_dir, label)}: no image of that name in {image_dir}')
    found = []
    for name in images:
        path = osp.join(label_dir, osp.splitext(name)[0] + '.txt')
        item = LabelledImage(name, None, source=path, normalized=True)
        lines = open(path).read().splitlines() if osp.isfile(path) else []
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                index, *box = parse_yolo_row(text, len(names))
            except ValueError as err:
                problems.append(f'{path}:{number}: bad row ({err}); image {name} left out')
                item = None
                if left_out is not None:
                    left_out.add(name)
                break
            item.boxes.append((names[index], *box))
        if item is not None:
            found.append(item)
    return found
