"""Checks and parsing of the pruning tools' arguments (ratios, rounding,
fine-tune epochs)."""
from __future__ import annotations
from typing import Dict, Optional, Sequence, Union

from ..utils.cpu_isa import simd_width
from .channel_groups import PruningError


def resolve_round_to(round_to: Union[str, int]) -> int:
    """``'auto'`` -> this CPU's fp32 SIMD lanes; an int >= 1 as given."""
    if round_to == 'auto':
        return simd_width()
    if isinstance(round_to, bool) or not isinstance(round_to, int) or \
            round_to < 1:
        raise PruningError(f'--round-to {round_to!r} must be auto or an '
                           f'integer >= 1')
    return round_to


def check_ratio(name: str, value: Optional[float]) -> None:
    if value is not None and not 0 < value < 1:
        raise PruningError(f'--{name} {value} must be in (0, 1)')


def parse_ratios(items: Sequence[str]) -> Dict[str, float]:
    """``['s3.out=0.5', 'head=0.25']`` -> ``{'s3.out': 0.5, 'head': 0.25}``."""
    ratios = {}
    for item in items:
        name, sep, value = item.partition('=')
        try:
            ratios[name] = float(value)
        except ValueError:
            sep = ''
        if not sep or not name:
            raise PruningError(f'--ratios {item!r}: expected GROUP=RATIO')
    return ratios


def check_epochs(epochs) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise PruningError(f'--finetune-epochs {epochs!r} must be an integer '
                           f'>= 1')
