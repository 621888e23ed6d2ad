"""The largest candidate of a family under a budget, measuring few of them."""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from ..utils.boundary_search import first_crossing
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
    one is over, then bisection between the last two
    (:func:`~mmdet_efficientdet.utils.boundary_search.first_crossing`). Only
    measured costs decide; the chosen candidate's own measurement is within
    the budget.
    """
    result = FamilySearch(candidates[0].family, None)

    def over(index: int) -> bool:
        value = cost(candidates[index])
        result.measured[candidates[index].name] = value
        return value > budget

    if over(0):
        return result
    first_over = first_crossing(over, 0, len(candidates) - 1)
    if first_over is not None:
        result.above = candidates[first_over]
    result.chosen = candidates[(len(candidates) if first_over is None else first_over) - 1]
    return result
