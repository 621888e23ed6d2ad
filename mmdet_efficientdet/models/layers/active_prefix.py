"""A module list that runs only its first modules (elastic depth)."""
from __future__ import annotations
from typing import Iterable, Iterator, Optional

from torch import nn


class ActivePrefixList(nn.ModuleList):
    """An ``nn.ModuleList`` whose iteration stops after ``active`` modules.

    Every module stays registered (parameters, ``state_dict`` keys and
    ``len`` are those of the whole list); only code that iterates the list
    (``for stage in self.stages``, ``zip(convs, bns)``) sees the prefix. A
    supernet swaps it in for a BiFPN's stages or a head's convs to run a
    shallower sub-network with the first layers' weights.

    Args:
        modules: The modules.
        active: How many to iterate; None: all.

    Example:
        >>> layers = ActivePrefixList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()], active=2)
        >>> [type(m).__name__ for m in layers], len(layers)
        (['ReLU', 'Tanh'], 3)
    """

    def __init__(self, modules: Iterable[nn.Module], active: Optional[int] = None) -> None:
        super().__init__(modules)
        self.active = active

    def __iter__(self) -> Iterator[nn.Module]:
        modules = list(self._modules.values())
        return iter(modules if self.active is None else modules[:self.active])
