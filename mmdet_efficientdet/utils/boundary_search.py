"""The boundary of a monotone measured cost, measuring few points.

Both upper floors that search over a measured cost use this: the budget
search (the largest model of a family within a budget: cost grows with the
index) and pruning (the shortest prefix of a greedy pruning sequence whose
measured ratio reaches a target: the ratio falls with the prefix length).
Each measurement is expensive (an export, a deployment, timed runs), so the
predicate is evaluated O(log n) times.
"""
from __future__ import annotations
from typing import Callable, Optional, Tuple


def gallop(crossed: Callable[[int], bool], start: int, stop: int) -> Tuple[int, Optional[int]]:
    """Walk ``start + 1, start + 3, start + 7, ...`` (steps of 1, 2, 4, ...,
    capped at ``stop``) until ``crossed`` holds; ``crossed`` must be monotone (False, ..., True)
    and False at ``start``.

    Returns:
        tuple: ``(last index known False, first index known True)``; the
        second is None when even ``stop`` is not crossed.

    Example:
        >>> gallop(lambda i: i >= 5, 0, 9)
        (3, 7)
    """
    low, step = start, 1
    while True:
        probe = min(low + step, stop)
        if probe == low:
            return low, None
        if crossed(probe):
            return low, probe
        low, step = probe, step * 2


def bisect_boundary(crossed: Callable[[int], bool], low: int, high: int) -> int:
    """The first index in ``(low, high]`` where the monotone ``crossed``
    holds, given it is False at ``low`` and True at ``high``.

    Example:
        >>> bisect_boundary(lambda i: i >= 5, 4, 8)
        5
    """
    while high - low > 1:
        mid = (low + high) // 2
        if crossed(mid):
            high = mid
        else:
            low = mid
    return high


def first_crossing(crossed: Callable[[int], bool], start: int, stop: int) -> Optional[int]:
    """The first index in ``(start, stop]`` where ``crossed`` holds (False
    at ``start``), galloping from ``start`` then bisecting; None when it
    never does.

    Example:
        >>> first_crossing(lambda i: i >= 5, 0, 9), first_crossing(lambda i: False, 0, 9)
        (5, None)
    """
    low, high = gallop(crossed, start, stop)
    return None if high is None else bisect_boundary(crossed, low, high)
