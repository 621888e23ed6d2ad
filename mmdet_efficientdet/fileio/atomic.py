"""Atomic file writes: a reader (or a resumed run) sees the old file or the new one.

A plain ``open(path, 'wb').write(data)`` truncates the file first: a process
killed mid-write leaves a partial file where a complete one was. Here the data
goes to a temporary file in the same folder, is flushed and fsynced, then
``os.replace`` swaps it in (atomic on POSIX within one file system) and the
folder entry is fsynced too.
"""
from __future__ import annotations
import glob
import os
import os.path as osp
from typing import List, Union

#: Temporary files are ``.<name>.tmp-<pid>`` next to their target.
TMP_TEMPLATE = '.{name}.tmp-{pid}'


def _fsync_dir(folder: str) -> None:
    """Persist a folder's entries (a rename) where the OS allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. folders cannot be opened on some platforms
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, data: Union[bytes, str], encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so that ``path`` is never partial.

    Args:
        path (str): Target file; its folder is created if missing.
        data (bytes | str): Content (``str`` is encoded with ``encoding``).
        encoding (str): Text encoding. Defaults to ``'utf-8'``.

    Example:
        >>> import tempfile, os.path as osp
        >>> d = tempfile.mkdtemp()
        >>> atomic_write(osp.join(d, 'a.txt'), 'one')
        >>> atomic_write(osp.join(d, 'a.txt'), 'two')
        >>> open(osp.join(d, 'a.txt')).read(), stale_temp_files(d)
        ('two', [])
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    tmp = temp_path(path)
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


def temp_path(path: str, keep_ext: bool = False) -> str:
    """The temporary name of ``path`` while it is written (file or folder):
    ``.<name>.tmp-<pid>`` beside it, the one rule :func:`stale_temp_files`
    recognises; with ``keep_ext`` the extension is repeated at the end
    (``.<name>.tmp-<pid>.mp4``) for writers that choose a format by it."""
    folder = osp.dirname(osp.abspath(path))
    name = osp.basename(osp.abspath(path))
    ext = osp.splitext(name)[1] if keep_ext else ''
    return osp.join(folder, TMP_TEMPLATE.format(name=name, pid=os.getpid()) + ext)


def commit_file(tmp: str, path: str) -> str:
    """Make a finished temporary file (:func:`temp_path`) ``path``: fsync
    it, rename it over ``path`` (atomic within a file system), fsync the
    folder. Returns ``path``."""
    with open(tmp, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(osp.dirname(osp.abspath(path)))
    return path


def commit_folder(tmp: str, path: str) -> None:
    """Rename a finished folder ``tmp`` (from :func:`temp_path`) to ``path``
    (which must not exist): readers see no folder or the whole one."""
    os.replace(tmp, path)
    _fsync_dir(osp.dirname(osp.abspath(path)))


def stale_temp_files(folder: str) -> List[str]:
    """Temporary files :func:`atomic_write` left in ``folder`` (a killed writer)."""
    return sorted(glob.glob(osp.join(glob.escape(folder), '.*.tmp-*')))
