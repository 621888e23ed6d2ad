"""Another implementation benchmarked next to ours (e.g. effdet, test tooling).

The package never imports a peer: the tool names a factory as
``'module:function'`` and :func:`load_factory` imports it, in this process
and in the peak-memory subprocess alike.
"""
from __future__ import annotations
import importlib
from dataclasses import dataclass
from typing import Callable

from torch import nn

from ..errors import UserError


@dataclass
class Peer:
    """A peer implementation of a level (our weights where ours is that
    level at its size: ``shares_weights``).

    Attributes:
        name (str): Row label (``'effdet'``).
        model (nn.Module): Eval-mode model; ``model(x)`` is its raw forward
            (class outputs first).
        train_step (callable): ``train_step(batch, size)`` -> a callable that
            runs one SGD step on the batch :func:`random_detection_batch`
            makes.
        shares_weights (bool): It computes our model's function (set by
            the benchmark).
    """
    name: str
    model: nn.Module
    train_step: Callable[[int, int], Callable[[], None]]
    shares_weights: bool = False


def load_factory(spec: str) -> Callable[..., Peer]:
    """Import ``'package.module:function'``; the function is called as
    ``factory(ours, level, image_size)`` and returns a :class:`Peer`; with
    ``ours`` (our model of that level) it loads the peer's weights into it,
    so both compute the same function; with ``None`` the peer keeps its own
    random weights."""
    module, sep, name = spec.partition(':')
    if not sep:
        raise UserError(f'peer factory {spec!r}: expected module:function')
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise UserError(f'peer factory {spec!r} cannot be imported: {err}')
