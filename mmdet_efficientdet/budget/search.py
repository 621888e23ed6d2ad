"""The largest candidate of a family under a budget, measuring few of them."""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from .candidates import Candidate


@dataclass
class FamilySearch:
    """What the search of one family measured.

    Attributes:
        family (str): The family.
        chosen (Candidate, optional): The largest candidate whose measured
            cost is within the budget (None: even the smallest is over).
        measured (dict): candidate name -> cost, in measuring order.
        above (Candidate, optional): The next larger candidate (measured
            over the budget), where there is one.
    """
    family: str
    chosen: Optional[Candidate]
    measured: Dict[str, float] = field(default_factory=dict)
    above: Optional[Candidate] = None


def largest_under_budget(candidates: List[Candidate], cost: Callable[[Candidate], float],
                         budget: float) -> FamilySearch:
    """Galloping then bisection along a family sorted by size.

    Cost grows with size within a family (input, width and depth never
    shrink), so the boundary is found with O(log n) measurements, starting
    from the small end (the cheap models): candidates 0, 1, 3, 7, ... until
    one is over, then bisection between the last two. Only measured costs
    decide; the chosen candidate's own measurement is within the budget.
    """
    family = candidates[0].family
    result = FamilySearch(family, None)

    def over(index: int) -> bool:
        value = cost(candidates[index])
        result.measured[candidates[index].name] = value
        return value > budget

    if over(0):
        return result
    low, step = 0, 1  # low: known within the budget
    high = None  # known over the budget
    while high is None:
        probe = min(low + step, len(candidates) - 1)
        if probe == low:
            break
        if over(probe):
            high = probe
        else:
            low, step = probe, step * 2
    if high is not None:
        while high - low > 1:
            mid = (low + high) // 2
            if over(mid):
                high = mid
            else:
                low = mid
        result.above = candidates[high]
    result.chosen = candidates[low]
    return result
