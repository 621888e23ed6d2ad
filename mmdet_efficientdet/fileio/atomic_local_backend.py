"""mmengine file backend whose writes are atomic (registered as ``'atomic_local'``)."""
from __future__ import annotations
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from .atomic import atomic_write


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with atomic ``put``/``put_text``.

    Select it with ``backend_args=dict(backend='atomic_local')`` wherever
    mmengine takes ``backend_args`` (e.g. ``runner.save_checkpoint``): the
    written file is replaced in one step, never left partial
    (:func:`~mmdet_efficientdet.fileio.atomic_write`). Reads are
    :class:`LocalBackend`'s.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically."""
        atomic_write(str(filepath), obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write(str(filepath), obj, encoding=encoding)
