"""A labelled folder (labelImg / Pascal VOC xml, the common CSV, or YOLO txt) -> COCO json.

What users have is a folder of photos labelled with labelImg (one Pascal VOC
xml per image), a CSV ``filename,width,height,class,xmin,ymin,xmax,ymax``, or
YOLO txt labels with a names file (Ultralytics, Roboflow exports:
:mod:`.yolo_labels`).
:func:`convert_labelled_folder` turns it into COCO ``instances_train.json`` /
``instances_val.json`` that ``CheckedCocoDataset`` reads, and reports every
problem per file instead of stopping at the first:

- image sizes come from the *decoded* image (EXIF orientation applied, as
  ``LoadImageFromFile`` decodes it), not from the xml/CSV, which are often
  wrong; a disagreement is reported;
- boxes are clipped to the image (reported); boxes with no area left, or
  entirely outside the image, are dropped (reported);
- an unparsable xml, a missing or undecodable image (e.g. a truncated JPEG
  that OpenCV cannot read) drop that file (reported);
- the split is seeded (``val_fraction``), given as lists of file names, or
  by group (``group_regex`` / ``group_list``: whole groups such as video
  sequences go to val, :mod:`.group_split`).

The images are not copied: ``file_name`` is relative to the image folder,
which the config's ``data_prefix`` points at.
"""
from __future__ import annotations
import csv
import functools
import json
import os
import os.path as osp
import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import cv2
import numpy as np

from ..errors import UserError
from ..fileio import atomic_write, plan_outputs, write_manifest
from .group_split import image_groups, split_by_group
from .labelled_image import LabelledImage
from .yolo_labels import read_class_names, read_yolo_folder

SPLITS = ('train', 'val')


@dataclass
class ConversionResult:
    """What :func:`convert_labelled_folder` did.

    Attributes:
        classes (list[str]): Category names, sorted (ids 1..K in the json).
        images (dict): Split -> number of images written.
        boxes (dict): Split -> number of boxes written.
        problems (list[str]): Files left out, one line each, with the reason.
        clipped (list[str]): Boxes clipped to their image.
        dropped_boxes (list[str]): Degenerate / outside boxes dropped.
        size_fixed (list[str]): Images whose label file states another size.
        groups (dict): Split -> its groups, for a split by group.
        files (dict): Split -> json written; ``manifest`` too.
    """
    classes: List[str]
    images: Dict[str, int] = field(default_factory=dict)
    boxes: Dict[str, int] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)
    clipped: List[str] = field(default_factory=list)
    dropped_boxes: List[str] = field(default_factory=list)
    size_fixed: List[str] = field(default_factory=list)
    groups: Dict[str, List[str]] = field(default_factory=dict)
    files: Dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """Multi-line report: counts, then every problem line."""
        lines = [f'classes: {", ".join(self.classes)}']
        for split in self.images:
            lines.append(f'{split}: {self.images[split]} images, '
                         f'{self.boxes[split]} boxes -> {self.files[split]}')
            if self.groups:
                lines.append(f'{split} groups: {", ".join(self.groups[split])}')
        lines.append(f'{len(self.problems)} file(s) left out, '
                     f'{len(self.dropped_boxes)} box(es) dropped, '
                     f'{len(self.clipped)} clipped, {len(self.size_fixed)} '
                     f'image size(s) taken from the image instead of the '
                     f'label file')
        lines += [f'  left out: {p}' for p in self.problems]
        lines += [f'  dropped: {p}' for p in self.dropped_boxes]
        lines += [f'  clipped: {p}' for p in self.clipped]
        lines += [f'  size: {p}' for p in self.size_fixed]
        return '\n'.join(lines)


def read_voc_folder(ann_dir: str,
                    problems: List[str],
                    left_out: Optional[Set[str]] = None) -> List[LabelledImage]:
    """Read every ``*.xml`` of ``ann_dir`` (labelImg / Pascal VOC).

    Unparsable files and files without ``filename`` are appended to
    ``problems`` and skipped; an image with an unreadable object is left out
    whole (its name added to ``left_out``), never kept with fewer boxes.
    """
    images = []
    for name in sorted(os.listdir(ann_dir)):
        if not name.lower().endswith('.xml'):
            continue
        path = osp.join(ann_dir, name)
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as err:
            problems.append(f'{path}: not a readable xml ({err})')
            continue
        file_name = (root.findtext('filename') or '').strip()
        if not file_name:
            problems.append(f'{path}: no <filename>')
            continue
        size = None
        try:
            size = (int(float(root.findtext('size/width'))),
                    int(float(root.findtext('size/height'))))
        except (TypeError, ValueError):
            pass
        item = LabelledImage(file_name, size, source=path)
        for index, obj in enumerate(root.iter('object')):
            try:
                box = obj.find('bndbox')
                coords = [float(box.findtext(k)) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
                label = (obj.findtext('name') or '').strip()
                if not label:
                    raise ValueError('no <name>')
            except (AttributeError, TypeError, ValueError) as err:
                # a partly read image would train its unread object as background
                problems.append(f'{path}: object {index} has a bad box ({err}); '
                                f'image {file_name} left out')
                item = None
                if left_out is not None:
                    left_out.add(file_name)
                break
            item.boxes.append((label, *coords))
        if item is not None:
            images.append(item)
    return images


def read_csv_labels(csv_path: str,
                    problems: List[str],
                    left_out: Optional[Set[str]] = None) -> List[LabelledImage]:
    """Read ``filename,width,height,class,xmin,ymin,xmax,ymax`` rows (one per
    box; an image without boxes may have a row with an empty class). An image
    with an unreadable row is left out whole (its name added to
    ``left_out``)."""
    want = ['filename', 'width', 'height', 'class', 'xmin', 'ymin', 'xmax', 'ymax']
    images: Dict[str, LabelledImage] = {}
    bad: Dict[str, str] = {}
    with open(csv_path, newline='') as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or \
                [c.strip() for c in reader.fieldnames] != want:
            raise UserError(f'{csv_path}: header must be {",".join(want)}, '
                            f'got {",".join(reader.fieldnames or [])}')
        for line, row in enumerate(reader, start=2):
            where = f'{csv_path}:{line}'
            try:
                name = row['filename'].strip()
                size = (int(float(row['width'])), int(float(row['height'])))
                item = images.setdefault(name, LabelledImage(name, size, source=where))
                if row['class'].strip():
                    item.boxes.append((row['class'].strip(), *[float(row[k]) for k in want[4:]]))
            except (AttributeError, TypeError, ValueError) as err:
                name = (row.get('filename') or '').strip()
                problems.append(f'{where}: bad row ({err})' +
                                (f'; image {name} left out' if name else '; row skipped'))
                if name:
                    bad.setdefault(name, where)
    # an image with an unreadable row would train that box as background
    if left_out is not None:
        left_out.update(bad)
    return [item for name, item in images.items() if name not in bad]


def decoded_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image as ``LoadImageFromFile`` decodes it
    (OpenCV, EXIF orientation applied).

    Raises:
        UserError: the file is missing or cannot be decoded.
    """
    if not osp.isfile(path):
        raise UserError(f'{path}: image not found')
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise UserError(f'{path}: image cannot be decoded (truncated or not '
                        f'an image)')
    return int(image.shape[1]), int(image.shape[0])


#: Train/val file names by split.
Split = Dict[str, List[str]]


def _read_list(path: str) -> List[str]:
    """File names from a list file: a CSV with a ``filename`` column, or one
    name per line."""
    with open(path, newline='') as f:
        text = f.read()
    first = text.splitlines()[0] if text.strip() else ''
    if 'filename' in first.split(','):
        return sorted({row['filename'].strip() for row in csv.DictReader(text.splitlines())})
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_names(names: Sequence[str],
                val_fraction: float,
                seed: int,
                train_list: Optional[str] = None,
                val_list: Optional[str] = None,
                left_out: Sequence[str] = ()) -> Split:
    """Train/val file names: from the lists if given, else a seeded shuffle
    with ``round(val_fraction * n)`` (at least 1) images in val. Names in
    ``left_out`` (reported already) are taken out of the lists.

    Raises:
        UserError: a bad fraction, or a list naming images that have no
            labels, or an image in both lists.
    """
    names = sorted(names)
    if train_list or val_list:
        if not (train_list and val_list):
            raise UserError('give both --train-list and --val-list, or '
                            'neither (then --val-fraction splits)')
        split = {
            key: [n for n in _read_list(path) if n not in left_out]
            for key, path in (('train', train_list), ('val', val_list))
        }
        both = sorted(set(split['train']) & set(split['val']))
        if both:
            raise UserError(f'{len(both)} image(s) are in both lists, first: '
                            f'{both[0]}')
        for key, path in (('train', train_list), ('val', val_list)):
            unknown = sorted(set(split[key]) - set(names))
            if unknown:
                raise UserError(f'{path}: {len(unknown)} image(s) without '
                                f'labels, first: {unknown[0]}')
        return split
    if not 0 < val_fraction < 1:
        raise UserError(f'--val-fraction {val_fraction} must be in (0, 1)')
    if len(names) < 2:
        raise UserError(f'{len(names)} labelled image(s): need at least 2 '
                        f'to split into train and val')
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    num_val = min(len(names) - 1, max(1, round(val_fraction * len(names))))
    return {'train': sorted(shuffled[num_val:]), 'val': sorted(shuffled[:num_val])}


def _clean_boxes(item: LabelledImage, width: int, height: int,
                 result: ConversionResult) -> List[Tuple[str, List[float]]]:
    """Clip to the image; drop boxes with no area left. Pixel corners as
    labelImg writes them (``xmax`` inclusive is treated as the edge)."""
    kept = []
    for label, x1, y1, x2, y2 in item.pixel_boxes(width, height):
        where = f'{item.file_name} {label} ({x1:g}, {y1:g}, {x2:g}, {y2:g})'
        cx1, cy1 = min(max(x1, 0.0), width), min(max(y1, 0.0), height)
        cx2, cy2 = min(max(x2, 0.0), width), min(max(y2, 0.0), height)
        if cx2 - cx1 < 1 or cy2 - cy1 < 1:
            reason = 'outside the image' if (x1 >= width or y1 >= height or
                                             x2 <= 0 or y2 <= 0) else \
                'no area (x2 <= x1 or y2 <= y1)'
            result.dropped_boxes.append(f'{where}: {reason} '
                                        f'{width}x{height}')
            continue
        if (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2):
            result.clipped.append(f'{where} -> ({cx1:g}, {cy1:g}, {cx2:g}, '
                                  f'{cy2:g}) in {width}x{height}')
        kept.append((label, [cx1, cy1, cx2 - cx1, cy2 - cy1]))
    return kept


@dataclass
class LabelSources:
    """Where the labels are: any of an xml folder, CSV files and a YOLO txt
    folder (with its names file; YOLO boxes are scaled by the images in
    ``image_dir``)."""
    ann_dir: Optional[str] = None
    csv_files: Sequence[str] = ()
    yolo_dir: Optional[str] = None
    names_file: Optional[str] = None

    @functools.cached_property
    def class_names(self) -> List[str]:
        """The names file's classes by index (read once; none without it)."""
        return read_class_names(self.names_file) if self.names_file else []

    def check(self) -> None:
        """Raise :class:`UserError` for no source or a missing folder."""
        if self.ann_dir is None and not self.csv_files and self.yolo_dir is None:
            raise UserError('give a folder of xml labels, CSV label files, or a folder of '
                            'YOLO txt labels with its names file')
        for flag, folder in (('label', self.ann_dir), ('YOLO label', self.yolo_dir)):
            if folder is not None and not osp.isdir(folder):
                raise UserError(f'{flag} folder {folder} not found')
        if bool(self.yolo_dir) != bool(self.names_file):
            raise UserError('YOLO labels (--yolo) go with their names file (--names), one '
                            'class name per line or a data.yaml')

    def inputs(self) -> List[str]:
        """The label files and folders (never written)."""
        return [p
                for p in (self.ann_dir, self.yolo_dir, self.names_file) if p] + list(self.csv_files)


def _read_labels(sources: LabelSources, image_dir: str, problems: List[str],
                 left_out: Set[str]) -> Dict[str, LabelledImage]:
    """Every labelled image of the sources by file name (boxes of one image
    from several sources merged); images with an unreadable label are left
    out (named in ``left_out``)."""
    ann_dir, csv_files = sources.ann_dir, sources.csv_files
    sources_read = read_voc_folder(ann_dir, problems, left_out) if ann_dir else []
    if sources.yolo_dir:
        sources_read += read_yolo_folder(sources.yolo_dir, image_dir, sources.class_names, problems,
                                         left_out)
    for path in csv_files:
        if not osp.isfile(path):
            raise UserError(f'CSV label file {path} not found')
        sources_read += read_csv_labels(path, problems, left_out)
    items: Dict[str, LabelledImage] = {}
    for item in sources_read:
        if item.file_name in left_out:
            continue
        if item.file_name in items:
            items[item.file_name].boxes += item.boxes
        else:
            items[item.file_name] = item
    return items


def _coco_document(items: Sequence[LabelledImage], image_dir: str, class_ids: Dict[str, int],
                   result: ConversionResult) -> dict:
    """The COCO json of one split: sizes from the decoded images, boxes
    clipped; what is left out, dropped or fixed goes into ``result``."""
    images, annotations = [], []
    for item in items:
        name = item.file_name
        try:
            width, height = decoded_size(osp.join(image_dir, name))
        except UserError as err:
            result.problems.append(f'{item.source}: {err}')
            continue
        if item.size and item.size != (width, height):
            result.size_fixed.append(f'{name}: {item.source} says {item.size[0]}x'
                                     f'{item.size[1]}, the image decodes to {width}x{height}')
        image_id = len(images) + 1
        images.append(dict(id=image_id, file_name=name, width=width, height=height))
        for label, (x, y, w, h) in _clean_boxes(item, width, height, result):
            if label not in class_ids:
                result.dropped_boxes.append(f'{name}: class {label!r} not in --classes')
                continue
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=class_ids[label],
                    bbox=[x, y, w, h],
                    area=w * h,
                    iscrowd=0))
    return dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=i, name=n) for n, i in class_ids.items()])


def _default_classes(items: Dict[str, LabelledImage], sources: LabelSources) -> List[str]:
    """A YOLO names file's order (its indices), then any other name sorted."""
    found = sorted({b[0] for it in items.values() for b in it.boxes} - set(sources.class_names))
    return sources.class_names + found


@dataclass
class SplitRequest:
    """How to split: ``train_list``/``val_list`` files, or whole groups
    (``group_regex`` on file names / a ``group_list`` file), or a seeded
    shuffle; ``val_fraction`` of the images (by group: at least) in val."""
    val_fraction: float = 0.2
    seed: int = 0
    train_list: Optional[str] = None
    val_list: Optional[str] = None
    group_regex: Optional[str] = None
    group_list: Optional[str] = None


def _split(items: Dict[str, LabelledImage], split: SplitRequest, left_out: Set[str],
           result: ConversionResult) -> Split:
    """Train/val names by group, by lists, or by a seeded shuffle."""
    if split.group_regex or split.group_list:
        if split.train_list or split.val_list:
            raise UserError('split by lists or by group (--group-regex / --groups), not both')
        groups = image_groups(sorted(items), split.group_regex, split.group_list)
        names = split_by_group(groups, split.val_fraction, split.seed)
        result.groups = {k: sorted({groups[n] for n in v}) for k, v in names.items()}
        return names
    return split_names(
        list(items), split.val_fraction, split.seed, split.train_list, split.val_list, left_out)


def convert_labelled_folder(out_dir: str,
                            image_dir: str,
                            ann_dir: Optional[str] = None,
                            csv_files: Sequence[str] = (),
                            val_fraction: float = 0.2,
                            seed: int = 0,
                            train_list: Optional[str] = None,
                            val_list: Optional[str] = None,
                            classes: Optional[Sequence[str]] = None,
                            overwrite: bool = False,
                            yolo_dir: Optional[str] = None,
                            names_file: Optional[str] = None,
                            group_regex: Optional[str] = None,
                            group_list: Optional[str] = None) -> ConversionResult:
    """Convert a labelled folder to COCO train/val json.

    Args:
        out_dir: Where ``annotations/instances_{train,val}.json`` and
            ``manifest.json`` go.
        image_dir: The images; ``file_name`` in the json is relative to it.
        ann_dir: Folder of Pascal VOC / labelImg xml files.
        csv_files: CSV label files (``filename,width,height,class,xmin,ymin,
            xmax,ymax``), instead of or besides ``ann_dir``.
        val_fraction: Share of images in val (by group: at least this).
        seed: Seed of the split.
        train_list, val_list: Files naming the images of each split (a CSV
            with a ``filename`` column, or one name per line).
        classes: Category names in id order; default: a YOLO names file's
            order, then every other name in the labels, sorted. Boxes of
            other names are dropped (reported).
        overwrite: Replace json files of an earlier run.
        yolo_dir, names_file: A folder of YOLO txt labels (one per image of
            ``image_dir``) and its class names (``classes.txt`` or a
            ``data.yaml``).
        group_regex, group_list: Split by group: a regular expression whose
            first group (or match) in a file name is its group, or a file of
            ``NAME,GROUP`` lines; no group is in both splits.

    Returns:
        ConversionResult

    Raises:
        UserError: no labels found, bad split options, outputs that exist.
    """
    if not osp.isdir(image_dir):
        raise UserError(f'image folder {image_dir} not found')
    sources = LabelSources(ann_dir, csv_files, yolo_dir, names_file)
    sources.check()
    problems: List[str] = []
    left_out: Set[str] = set()
    items = _read_labels(sources, image_dir, problems, left_out)
    if not items:
        raise UserError(f'no labelled images found in {", ".join(sources.inputs())}')
    classes = list(classes) if classes else _default_classes(items, sources)
    if len(set(classes)) != len(classes):
        raise UserError(f'classes {classes} name a class twice')
    result = ConversionResult(classes=classes, problems=problems)
    split = _split(items,
                   SplitRequest(val_fraction, seed, train_list, val_list, group_regex, group_list),
                   left_out, result)
    listed = set(split['train']) | set(split['val'])
    problems += [
        f'{name}: labelled but in neither --train-list nor --val-list'
        for name in sorted(set(items) - listed)
    ]
    _write_documents(out_dir, image_dir, [image_dir] + sources.inputs(),
                     {k: [items[n] for n in split[k]]
                      for k in SPLITS}, result, overwrite)
    return result


def _write_documents(out_dir: str, image_dir: str, inputs: List[str],
                     split: Dict[str, List[LabelledImage]], result: ConversionResult,
                     overwrite: bool) -> None:
    """Plan, build and write each split's COCO json and the manifest; the
    counts and files go into ``result``."""
    paths = {s: osp.join(out_dir, 'annotations', f'instances_{s}.json') for s in SPLITS}
    plan_outputs(list(paths.values()) + [osp.join(out_dir, 'manifest.json')], inputs, overwrite)
    class_ids = {name: i + 1 for i, name in enumerate(result.classes)}
    documents = {key: _coco_document(split[key], image_dir, class_ids, result) for key in SPLITS}
    for key in SPLITS:
        result.images[key] = len(documents[key]['images'])
        result.boxes[key] = len(documents[key]['annotations'])
        atomic_write(paths[key], json.dumps(documents[key]))
        result.files[key] = paths[key]
    result.files['manifest'] = write_manifest(
        out_dir, [paths[s] for s in SPLITS],
        image_dir=osp.abspath(image_dir),
        classes=result.classes,
        groups=result.groups,
        problems=result.problems)
