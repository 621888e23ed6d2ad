"""The README's raccoon walkthrough data: from a local copy, an archive, or
one line saying what to pass when offline; never a partial folder."""
import dataclasses
import os
import os.path as osp
import zipfile

import pytest

from mmdet_efficientdet.datasets import download
from mmdet_efficientdet.datasets.download import PUBLIC_DATASETS, fetch_dataset
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.fileio import stale_temp_files


def _quiet(line):
    pass


def test_copy_from_a_local_mirror_and_never_replace(raccoon_root, tmp_path):
    out = str(tmp_path / 'raccoon')
    result = fetch_dataset(
        'raccoon', out, mirrors=[str(tmp_path / 'absent'), raccoon_root], log=_quiet)
    assert result.images == 200 and result.source == raccoon_root
    assert sorted(os.listdir(out)) == ['LICENSE', 'annotations', 'data', 'images']
    assert len(os.listdir(osp.join(out, 'annotations'))) == 200
    with pytest.raises(UserError, match='exists; pass --overwrite'):
        fetch_dataset('raccoon', out, mirrors=[raccoon_root], log=_quiet)


def test_archive_in_the_published_layout(raccoon_root, tmp_path):
    archive = tmp_path / 'master.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        for sub in ('images', 'annotations'):
            for name in sorted(os.listdir(osp.join(raccoon_root, sub)))[:3]:
                zf.write(osp.join(raccoon_root, sub, name), f'raccoon_dataset-master/{sub}/{name}')
        for name in ('data/train_labels.csv', 'data/test_labels.csv', 'LICENSE', 'README.md'):
            zf.writestr(f'raccoon_dataset-master/{name}', 'x')
    out = tmp_path / 'r'
    result = fetch_dataset('raccoon', str(out), archive=str(archive), log=_quiet)
    assert result.images == 3 and not (out / 'README.md').exists()


def test_offline_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    spec = dataclasses.replace(PUBLIC_DATASETS['raccoon'], url='http://127.0.0.1:9/master.zip')
    monkeypatch.setitem(download.PUBLIC_DATASETS, 'raccoon', spec)
    out = tmp_path / 'raccoon'
    with pytest.raises(UserError, match='pass it as --archive FILE, or pass --source FOLDER'):
        fetch_dataset('raccoon', str(out), timeout=5, log=_quiet)
    assert not out.exists() and stale_temp_files(str(tmp_path)) == []
