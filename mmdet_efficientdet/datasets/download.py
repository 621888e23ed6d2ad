"""Fetch a public labelled-photo dataset into the layout the README uses.

A dataset is data (:data:`PUBLIC_DATASETS`): its archive address, the
folder inside the archive and the files a copy must hold. :func:`fetch_dataset`
takes it from a local copy when one is given or found (an offline machine,
CI), else downloads the archive; the result appears at ``out_dir`` whole or
not at all (built under a temporary name, then renamed).
"""
from __future__ import annotations
import os
import os.path as osp
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import UserError
from ..fileio import commit_folder, download_file, temp_path


@dataclass(frozen=True)
class PublicDataset:
    """Where a public dataset comes from and what a complete copy holds.

    Attributes:
        url (str): The archive (zip) to download.
        archive_root (str): The folder inside the archive holding the files.
        members (tuple[str]): Folders (ending in ``/``) and files to keep.
        images (int): Images a complete copy holds (``images/``).
        license (str): Its licence, for the summary.
    """
    url: str
    archive_root: str
    members: Tuple[str, ...]
    images: int
    license: str


#: Datasets the README's walkthroughs use, by name.
PUBLIC_DATASETS: Dict[str, PublicDataset] = {
    'raccoon':
    PublicDataset(
        url='https://github.com/datitran/raccoon_dataset/archive/refs/heads/master.zip',
        archive_root='raccoon_dataset-master',
        members=('images/', 'annotations/', 'data/train_labels.csv', 'data/test_labels.csv',
                 'LICENSE'),
        images=200,
        license='MIT (Dat Tran, 2017; github.com/datitran/raccoon_dataset)'),
}


@dataclass
class FetchResult:
    """What :func:`fetch_dataset` did.

    Attributes:
        name (str): The dataset.
        out_dir (str): Where it is now.
        source (str): The local copy, archive or address it came from.
        images (int): Images in ``out_dir/images``.
        files (list[str]): The members written.
    """
    name: str
    out_dir: str
    source: str
    images: int = 0
    files: List[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f'{self.name}: {self.images} images -> {self.out_dir} (from {self.source}; '
                f'{PUBLIC_DATASETS[self.name].license})')


def _copy_members(spec: PublicDataset, src_root: str, dst: str) -> List[str]:
    """Copy ``spec.members`` from a folder; raises naming a missing one."""
    for member in spec.members:
        src = osp.join(src_root, member.rstrip('/'))
        target = osp.join(dst, member.rstrip('/'))
        if member.endswith('/'):
            if not osp.isdir(src):
                raise UserError(f'{src_root}: no {member} folder (not a copy of the dataset)')
            shutil.copytree(src, target)
        else:
            if not osp.isfile(src):
                raise UserError(f'{src_root}: no {member} (not a copy of the dataset)')
            os.makedirs(osp.dirname(target), exist_ok=True)
            shutil.copy2(src, target)
    return list(spec.members)


def _extract(spec: PublicDataset, archive: str, dst: str) -> List[str]:
    """Extract ``spec.members`` of ``archive`` (under ``archive_root``)."""
    try:
        with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory() as tmp:
            prefix = spec.archive_root + '/'
            wanted = [
                n for n in zf.namelist()
                if n.startswith(prefix) and any(n[len(prefix):].startswith(m) for m in spec.members)
            ]
            for name in wanted:  # names checked above: no absolute or '..' paths
                zf.extract(name, tmp)
            return _copy_members(spec, osp.join(tmp, spec.archive_root), dst)
    except zipfile.BadZipFile:
        raise UserError(f'{archive}: not a zip archive (expected {spec.url})') from None


def _download(spec: PublicDataset, out_dir: str, timeout: float) -> str:
    """Download the archive to a temporary file; returns its path."""
    fd, path = tempfile.mkstemp(suffix='.zip')
    os.close(fd)
    try:
        return download_file(
            spec.url, path, f'offline, fetch that zip elsewhere and pass it as --archive FILE, '
            f'or pass --source FOLDER (a copy holding {", ".join(spec.members)}); nothing was '
            f'written to {out_dir}', timeout)
    except BaseException:
        os.remove(path)
        raise


def fetch_dataset(name: str,
                  out_dir: str,
                  source: Optional[str] = None,
                  archive: Optional[str] = None,
                  mirrors: Sequence[str] = (),
                  overwrite: bool = False,
                  timeout: float = 60.0,
                  log: Callable[[str], None] = print) -> FetchResult:
    """Put the public dataset ``name`` at ``out_dir``.

    The first of: ``source`` (a folder holding a copy), ``archive`` (the
    downloaded zip), the first of ``mirrors`` that exists (local copies, e.g.
    CI's ``../shared/data/raccoon``), the download address.

    Raises:
        UserError: an unknown name, ``out_dir`` exists (without
            ``overwrite``), a source that is not a copy, or no network (one
            line naming what to pass instead).
    """
    if name not in PUBLIC_DATASETS:
        raise UserError(f'unknown dataset {name!r}; choose from {sorted(PUBLIC_DATASETS)}')
    spec = PUBLIC_DATASETS[name]
    if osp.exists(out_dir) and not overwrite:
        raise UserError(f'{out_dir} exists; pass --overwrite or choose another --out')
    for given, what in ((source, '--source'), (archive, '--archive')):
        if given is not None and not osp.exists(given):
            raise UserError(f'{what} {given} not found')
    found = source or next((m for m in mirrors if osp.isdir(m)), None)
    tmp = temp_path(out_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        if found and not archive:
            log(f'copying {name} from {found}')
            files, origin = _copy_members(spec, found, tmp), found
        else:
            origin = archive or spec.url
            if not archive:
                log(f'downloading {spec.url}')
            path = archive or _download(spec, out_dir, timeout)
            try:
                files = _extract(spec, path, tmp)
            finally:
                if not archive:
                    os.remove(path)
        images = len([n for n in os.listdir(osp.join(tmp, 'images')) if not n.startswith('.')])
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        commit_folder(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FetchResult(name, out_dir, origin, images, files)
