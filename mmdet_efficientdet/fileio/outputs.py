"""Outputs that never replace what the user gave or an earlier run wrote.

A tool names every file it will write before writing any
(:func:`plan_outputs`): a file that is one of its inputs is refused; a file
that already exists is refused unless the user asked to ``overwrite``; each
file is then written atomically (:func:`atomic_write`) and the run's
``manifest.json`` lists what it wrote.
"""
from __future__ import annotations
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Union

from ..errors import UserError
from .atomic import atomic_write

MANIFEST = 'manifest.json'


def _same(a: str, b: str) -> bool:
    a, b = osp.realpath(a), osp.realpath(b)
    if a == b:
        return True
    try:
        return osp.exists(a) and osp.exists(b) and osp.samefile(a, b)
    except OSError:
        return False


def _inside(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return osp.commonpath([path, folder]) == folder


def plan_outputs(outputs: Sequence[str],
                 inputs: Iterable[str] = (),
                 overwrite: bool = False,
                 flag: str = '--overwrite') -> List[str]:
    """Check a run's output files before anything is written.

    Args:
        outputs: Every file the run will write.
        inputs: Files (or folders: everything under them) the run reads.
        overwrite: Whether existing outputs may be replaced.
        flag: The option that allows replacing, for the message.

    Returns:
        list[str]: ``outputs``, absolute.

    Raises:
        UserError: an output is an input (or inside an input folder) or
            already exists without ``overwrite``; the message names them.
    """
    outputs = [osp.abspath(p) for p in outputs]
    inputs = [osp.abspath(p) for p in inputs]
    for out in outputs:
        for src in inputs:
            if _same(out, src):
                raise UserError(f'output {out} is an input of this run; '
                                f'choose another output location')
            if osp.isdir(src) and _inside(out, src):
                raise UserError(f'output {out} is inside {src}, an input '
                                f'folder of this run; choose another output '
                                f'location')
    dupes = sorted({p for p in outputs if outputs.count(p) > 1})
    if dupes:
        raise UserError(f'two outputs of this run would be the same file: '
                        f'{", ".join(dupes)}')
    for out in outputs:
        parent = osp.dirname(out)
        while parent and not osp.exists(parent):
            parent = osp.dirname(parent)
        if osp.isfile(parent):
            raise UserError(f'output folder {parent} is a file')
        if parent and not os.access(parent, os.W_OK):
            raise UserError(f'output folder {parent} is not writable')
    existing = [p for p in outputs if osp.exists(p)]
    if existing and not overwrite:
        raise UserError(f'{len(existing)} output file(s) already exist (first: '
                        f'{existing[0]}); pass {flag} to replace them, or choose another '
                        f'output folder')
    return outputs


def write_manifest(folder: str, written: Sequence[str], **info) -> str:
    """Write ``folder/manifest.json``: the files this run wrote (relative to
    ``folder``) and ``info`` (the command, the inputs)."""
    path = osp.join(folder, MANIFEST)
    rel = [osp.relpath(p, folder) for p in written]
    atomic_write(path, json.dumps(dict(files=rel, **info), indent=2) + '\n')
    return path


def write_outputs(files: Dict[str, Union[bytes, str]],
                  inputs: Iterable[str] = (),
                  overwrite: bool = False,
                  manifest_dir: Optional[str] = None,
                  **info) -> List[str]:
    """Write a run's files after :func:`plan_outputs` accepted all of them.

    Every file is checked before the first is written, then written
    atomically; with ``manifest_dir`` the run's ``manifest.json`` there lists
    them (it is itself one of the planned outputs).

    Args:
        files: path -> content.
        inputs: The run's input files/folders (never replaced).
        overwrite: Whether files of an earlier run may be replaced.
        manifest_dir: Folder of the manifest, or None for none.
        **info: Extra manifest fields (the command, the inputs).

    Returns:
        list[str]: The absolute paths written (manifest last).
    """
    paths = list(files)
    if manifest_dir is not None:
        paths.append(osp.join(manifest_dir, MANIFEST))
    plan_outputs(paths, inputs, overwrite)
    written = []
    for path, data in files.items():
        atomic_write(path, data)
        written.append(osp.abspath(path))
    if manifest_dir is not None:
        written.append(write_manifest(manifest_dir, written, **info))
    return written


def write_json(path: str, data, inputs: Iterable[str] = (), overwrite: bool = False) -> str:
    """:func:`write_outputs` of one JSON file (a tool's ``--json OUT``)."""
    return write_outputs({path: json.dumps(data, indent=1) + '\n'}, inputs, overwrite)[0]
