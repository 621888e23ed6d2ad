"""Regularised evolution finds a planted best; reward and Pareto front."""
import random

import pytest

from mmdet_efficientdet.models.search_space import SearchSpace, SubnetChoice
from mmdet_efficientdet.nas import Candidate, mnas_reward, pareto_front, regularized_evolution

SPACE = SearchSpace.from_config(
    dict(
        stages=[dict(kernel=[3, 5], expand=[3, 4, 6], depth=[1, 2, 3])] * 3,
        neck_repeats=[1, 2, 3],
        head_depth=[1, 2, 3],
        image_size=[256, 320]))
#: 18**3 * 18 = 104976 sub-networks; the best one is planted inside the space.
PLANTED = SubnetChoice(((5, 4.0, 2), (3, 6.0, 1), (5, 3.0, 3)), 2, 3, 320)


def _accuracy(choice):
    """1 at the planted choice, less the more stages / parts differ."""
    misses = sum(a != b for a, b in zip(choice.stages, PLANTED.stages))
    misses += (choice.neck_repeats != PLANTED.neck_repeats) + \
        (choice.head_depth != PLANTED.head_depth) + (choice.image_size != PLANTED.image_size)
    return 1.0 - 0.1 * misses


def test_finds_the_planted_best():
    calls = []

    def evaluate(choice):
        calls.append(choice)
        acc = _accuracy(choice)
        return Candidate(choice, acc, 10.0, mnas_reward(acc, 10.0, 10.0))

    history = regularized_evolution(
        SPACE, evaluate, random.Random(0), cycles=400, population=20, sample=5, mutate_prob=0.15)
    assert max(history, key=lambda c: c.reward).choice == PLANTED
    assert len(calls) == len(set(calls)) == len(history)  # each evaluated once


def test_reward_hard_and_soft():
    assert mnas_reward(0.4, 5.0, 10.0) == 0.4  # faster than the target: no bonus
    assert mnas_reward(0.4, 20.0, 10.0) == pytest.approx(0.2)
    assert mnas_reward(0.4, 20.0, 10.0, -0.07, -0.07) == pytest.approx(0.4 * 2**-0.07)


def test_pareto_front():

    def cand(acc, ms):
        return Candidate(SubnetChoice((), 1, 1, 1), acc, ms, acc)

    points = [cand(0.3, 5), cand(0.2, 6), cand(0.5, 9), cand(0.5, 12), cand(0.1, 1)]
    assert [(c.accuracy, c.latency) for c in pareto_front(points)] == [(0.1, 1), (0.3, 5), (0.5, 9)]
