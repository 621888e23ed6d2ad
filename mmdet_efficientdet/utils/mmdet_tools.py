"""Run mmdet's own command-line tools with this plugin registered."""
from __future__ import annotations
import os.path as osp
import runpy
import sys
from typing import Optional, Sequence

import mmdet


def mmdet_tool_path(relative: str) -> str:
    """Path of a script shipped with mmdet (``mmdet/.mim/tools/<relative>``).

    Raises:
        FileNotFoundError: mmdet was installed without its ``tools/``.
    """
    path = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', relative)
    if not osp.isfile(path):
        raise FileNotFoundError(f'mmdet tool {relative!r} not found at {path}; install mmdet '
                                f'from PyPI (the wheel ships tools/ under mmdet/.mim)')
    return path


def run_mmdet_tool(relative: str,
                   cfg_options: Optional[Sequence[str]] = None,
                   args: Optional[Sequence[str]] = None) -> None:
    """Run an mmdet tool as ``__main__`` (it reads ``sys.argv``) with
    ``args`` (default: this process's command-line arguments).

    The caller imports :mod:`mmdet_efficientdet` first, so every module of the
    plugin is registered and checkpoints load safely; arguments and behaviour
    are exactly mmdet's, with ``cfg_options`` (``key=value`` strings) added as
    one more ``--cfg-options`` (mmengine merges repeated ones), e.g.
    ``runner_type=CpuDistributedRunner`` so that ``--launcher pytorch`` on a
    machine without GPUs runs as ``tools/train.py`` does (gloo, CPU DDP).
    """
    argv = list(sys.argv)
    sys.argv = argv[:1] + list(argv[1:] if args is None else args)
    if cfg_options:
        sys.argv += ['--cfg-options'] + list(cfg_options)
    try:
        runpy.run_path(mmdet_tool_path(relative), run_name='__main__')
    finally:
        sys.argv = argv
