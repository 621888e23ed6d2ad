"""Safe checkpoint loading for torch >= 2.6 (``weights_only=True``).

torch 2.6 made ``torch.load`` refuse every pickled global that is not on an
allow-list. mmengine checkpoints carry a few non-tensor types (numpy arrays and
scalars in the message hub, :class:`~mmengine.logging.HistoryBuffer`), so
``--resume`` and ``load_from`` fail with ``Weights only load failed``.

:func:`register_safe_checkpoint_loading` (called when the plugin is imported):

* allow-lists exactly the types mmengine and mmdet store, and nothing that can
  run code (no ``builtins.getattr``, no arbitrary classes);
* stops :class:`HistoryBuffer` from pickling its statistics *functions* (they
  are class-level and re-registered on import; pickling them needs
  ``builtins.getattr``, which must never be allow-listed);
* replaces mmengine's local-file checkpoint loader by one that loads with
  ``weights_only=True`` and, for a file holding anything else, raises
  :class:`UnsafeCheckpointError` naming the offending types.

Nothing ever falls back to ``weights_only=False``.
"""
from __future__ import annotations
import os.path as osp
import pickle
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import UserError


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """A checkpoint holds a type outside the allow-list."""


class CorruptCheckpointError(UserError, RuntimeError):
    """A checkpoint file cannot be read (truncated, or not a checkpoint)."""


def _numpy_globals() -> List[Callable]:
    """numpy reconstruction helpers and types, for numpy 1.x and 2.x."""
    found: List[Callable] = [np.ndarray, np.dtype]
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct'])
        except ImportError:
            continue
        found += [module._reconstruct, module.scalar]
    # numpy >= 1.25 pickles dtypes as instances of per-type classes
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return found


def safe_checkpoint_globals() -> List[Callable]:
    """Every global that checkpoints written by mmengine/mmdet may hold."""
    return _numpy_globals() + [HistoryBuffer]


def _history_buffer_getstate(self: HistoryBuffer) -> Dict[str, Any]:
    """Pickle a HistoryBuffer's data but not its class-level statistic methods."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def load_from_local_safely(filename: str,
                           map_location: Optional[Union[str, Callable]] = None) -> Any:
    """Load a local checkpoint with ``torch.load(weights_only=True)``.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As :func:`torch.load`.

    Returns:
        The unpickled checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: It holds a type outside the allow-list; the
            message names each such type.
        CorruptCheckpointError: The file is not a readable torch checkpoint
            (truncated, or another format).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} not found')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        try:
            offending = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # noqa: BLE001 - not a zip checkpoint
            offending = []
        allowed = {f'{g.__module__}.{g.__qualname__}' for g in safe_checkpoint_globals()}
        offending = [name for name in offending if name not in allowed]
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename!r}: it holds '
            f'{", ".join(offending) or "pickled objects"} outside the '
            f'allow-list of types a checkpoint may hold (loading it could run '
            f'code)') from None
    except (RuntimeError, EOFError, OSError) as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CorruptCheckpointError(f'checkpoint {filename!r} is not a readable torch checkpoint '
                                     f'(truncated or not a checkpoint): {first_line}') from None


def register_safe_checkpoint_loading() -> None:
    """Allow-list checkpoint types and install the safe local loader.

    Idempotent; called when :mod:`mmdet_efficientdet` is imported.
    """
    torch.serialization.add_safe_globals(safe_checkpoint_globals())
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safely, force=True)


#: Public name of the safe loader (mmengine names loaders by their suffix).
load_checkpoint_safely = load_from_local_safely
