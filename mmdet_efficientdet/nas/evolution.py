"""Regularised evolution (Real et al. 2019) under the MnasNet reward."""
from __future__ import annotations
import collections
import random
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

from ..models.search_space import SearchSpace, SubnetChoice


def mnas_reward(accuracy: float,
                latency: float,
                target: float,
                alpha: float = 0.0,
                beta: float = -1.0) -> float:
    """MnasNet's reward ``ACC * (LAT / T) ** w``, ``w = alpha`` within the
    target and ``beta`` over it (Tan et al. 2019, eq. 2). The defaults are
    its hard constraint (no reward for being faster, a steep penalty for
    being slower); ``alpha = beta = -0.07`` is its soft one.

    Example:
        >>> mnas_reward(0.5, 10.0, 10.0), round(mnas_reward(0.5, 20.0, 10.0), 3)
        (0.5, 0.25)
    """
    return accuracy * (latency / target)**(alpha if latency <= target else beta)


@dataclass(frozen=True)
class Candidate:
    """One evaluated sub-network."""
    choice: SubnetChoice
    accuracy: float
    latency: float
    reward: float


def regularized_evolution(space: SearchSpace,
                          evaluate: Callable[[SubnetChoice], Candidate],
                          rng: random.Random,
                          cycles: int,
                          population: int = 16,
                          sample: int = 4,
                          mutate_prob: float = 0.2,
                          seeds: Sequence[SubnetChoice] = ()) -> list:
    """Regularised (ageing) evolution: a population of ``population``; each
    cycle a tournament of ``sample`` random members picks the parent with
    the highest reward, its mutation joins and the oldest member dies.

    Args:
        space: The search space.
        evaluate: Scores a sub-network (called once per distinct choice;
            repeats come from a cache).
        rng: Random source (the search's seed).
        cycles: Children to evaluate after the initial population.
        population: Population size (the first members: ``seeds``, then
            random sub-networks).
        sample: Tournament size.
        mutate_prob: Probability each stage / neck / head / size choice is
            resampled in a child.
        seeds: Sub-networks the first population starts with.

    Returns:
        list[Candidate]: Every distinct sub-network evaluated, in order.
    """
    cache: Dict[SubnetChoice, Candidate] = {}

    def score(choice: SubnetChoice) -> Candidate:
        if choice not in cache:
            cache[choice] = evaluate(choice)
        return cache[choice]

    members = collections.deque()
    for choice in list(seeds)[:population]:
        members.append(score(choice))
    while len(members) < population:
        members.append(score(space.sample(rng)))
    for _ in range(cycles):
        parent = max(rng.sample(list(members), min(sample, len(members))), key=lambda c: c.reward)
        members.append(score(space.mutate(parent.choice, rng, mutate_prob)))
        members.popleft()
    return list(cache.values())


def pareto_front(candidates: Sequence[Candidate]) -> List[Candidate]:
    """The candidates no other is both faster-or-equal and more accurate
    than (strictly better in one), by latency.

    Example:
        >>> from mmdet_efficientdet.models.search_space import SubnetChoice
        >>> c = lambda a, l: Candidate(SubnetChoice((), 1, 1, a), a, l, a)
        >>> [x.latency for x in pareto_front([c(1, 5.0), c(2, 4.0), c(3, 9.0)])]
        [4.0, 9.0]
    """
    front = []
    for cand in sorted(candidates, key=lambda c: (c.latency, -c.accuracy)):
        if not front or cand.accuracy > front[-1].accuracy:
            front.append(cand)
    return front
