"""Run mmdet's own command-line tools with this plugin registered."""
from __future__ import annotations
import os.path as osp
import runpy

import mmdet
from mmengine.runner import Runner

from .dist import prepare_cpu_distributed


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


def run_mmdet_tool(relative: str) -> None:
    """Run an mmdet tool as ``__main__`` (it reads ``sys.argv``).

    The caller imports :mod:`mmdet_efficientdet` first, so every module of the
    plugin is registered and checkpoints load safely; arguments and behaviour
    are exactly mmdet's. With ``--launcher pytorch`` on a machine without
    GPUs, the config the tool builds its runner from is adapted as
    ``tools/train.py`` does (:func:`prepare_cpu_distributed`: gloo, CPU DDP).
    """
    original = Runner.__dict__['from_cfg']

    def from_cfg(cls, cfg):
        prepare_cpu_distributed(cfg)
        return original.__func__(cls, cfg)

    Runner.from_cfg = classmethod(from_cfg)
    try:
        runpy.run_path(mmdet_tool_path(relative), run_name='__main__')
    finally:
        Runner.from_cfg = original
