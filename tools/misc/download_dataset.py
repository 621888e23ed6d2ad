#!/usr/bin/env python
"""Fetch a public labelled-photo dataset (the README's walkthrough data).

    python tools/misc/download_dataset.py raccoon --out data/raccoon
        [--source FOLDER | --archive ZIP] [--overwrite]

Downloads the archive when online; a local copy is used first when one is
given (``--source``, ``--archive``) or lies beside the repository
(``../shared/data/<name>``, CI's offline copy). ``--out`` appears whole or
not at all and is never replaced without ``--overwrite``.
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    from mmdet_efficientdet.datasets.download import PUBLIC_DATASETS
    from mmdet_efficientdet.utils.cli import add_overwrite
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', choices=sorted(PUBLIC_DATASETS))
    parser.add_argument('--out', required=True, help='folder to create (e.g. data/raccoon)')
    parser.add_argument('--source', help='a folder holding a copy of the dataset')
    parser.add_argument('--archive', help="the dataset's zip, downloaded elsewhere")
    add_overwrite(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from mmdet_efficientdet.datasets.download import fetch_dataset
    args = parse_args(argv)
    mirror = osp.join(osp.dirname(REPO), 'shared', 'data', args.name)
    result = fetch_dataset(args.name, args.out, args.source, args.archive, [mirror], args.overwrite)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
