r"""Convert a labelled photo folder (labelImg / Pascal VOC xml, CSV, or YOLO txt) to COCO json.

    .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
        --images ../shared/data/raccoon/images \
        --xml ../shared/data/raccoon/annotations \
        --train-list ../shared/data/raccoon/data/train_labels.csv \
        --val-list ../shared/data/raccoon/data/test_labels.csv \
        --out data/raccoon_coco

writes ``OUT/annotations/instances_{train,val}.json`` (``file_name`` relative
to ``--images``; the images are not copied) and ``OUT/manifest.json``. Image
sizes come from the decoded images; boxes are clipped; every file or box left
out is listed with the reason. Without lists, ``--val-fraction`` of the
images (seeded by ``--seed``) go to val; with ``--group-regex`` or
``--groups`` whole groups do (e.g. the sequences of video frames, which are
near-duplicates), so no group is in both splits. YOLO txt labels (Ultralytics,
Roboflow) come with their names file::

    .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
        --images ../shared/data/aerial_cars/images \
        --yolo ../shared/data/aerial_cars/labels \
        --names ../shared/data/aerial_cars/classes.txt \
        --group-regex '^(.*?)-?\d+\.\w+$' --val-fraction 0.25 --out data/aerial_coco
"""
from __future__ import annotations
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', required=True, help='image folder')
    parser.add_argument('--xml', help='folder of labelImg / Pascal VOC xml')
    parser.add_argument(
        '--csv',
        nargs='+',
        default=[],
        help='CSV label files: filename,width,height,class,'
        'xmin,ymin,xmax,ymax')
    parser.add_argument('--yolo', help='folder of YOLO txt labels (one per image, normalised)')
    parser.add_argument('--names', help='class names of --yolo: classes.txt or a data.yaml')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--val-fraction', type=float, default=0.2, help='share of images in val (seeded split)')
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument(
        '--train-list',
        help='images of train (CSV with a '
        'filename column, or one name per line)')
    parser.add_argument('--val-list', help='images of val (same forms)')
    parser.add_argument(
        '--group-regex',
        help='split by group: its first group (or match) in a file name names the group')
    parser.add_argument('--groups', help='split by group: a file of NAME,GROUP lines')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='class names in id order (default: all names '
        'in the labels, sorted)')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace the json files of an earlier run')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.datasets import convert_labelled_folder
    result = convert_labelled_folder(
        args.out,
        args.images,
        ann_dir=args.xml,
        csv_files=args.csv,
        val_fraction=args.val_fraction,
        seed=args.seed,
        train_list=args.train_list,
        val_list=args.val_list,
        classes=args.classes,
        overwrite=args.overwrite,
        yolo_dir=args.yolo,
        names_file=args.names,
        group_regex=args.group_regex,
        group_list=args.groups)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
