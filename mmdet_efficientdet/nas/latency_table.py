"""Latency of any sub-network from a per-block table measured once on the
deploy path.

A sub-network's latency on a path is predicted as a base (stem, fixed
layers, the runtime's own overhead) plus, per backbone stage, its depth times
the cost of one block of its kernel and expansion, plus the cost of a BiFPN
repeat times the repeats and of a head conv times the head depth (the
per-layer lookup of MnasNet and Once-for-All). The costs are not measured one
change at a time: on a CPU path the latency of a whole network is not the
sum of single changes (measured on ov-int8 at 320 px: each of Lite0's eight
choices added to the smallest network costs 0 ms within the noise, while
taking each one away from Lite0 saves 0.5-1.7 ms, 9.2 ms in all against the
6.3 ms between the two networks). Per input size, the table times a set of
sub-networks - the smallest, the largest and random ones covering every
block - in one interleaved run and fits the costs by least squares, so they
are right where the networks lie rather than next to the smallest. The
table is checked against direct measurement of other random sub-networks
(:func:`prediction_errors`).
"""
from __future__ import annotations
import dataclasses
import random
import statistics
from typing import Callable, Dict, List, Mapping, Optional

import numpy as np
from mmdet.registry import MODELS

from ..errors import UserError
from ..measure import measure_latencies
from ..models.search_space import SearchSpace, SubnetChoice
from .subnet import subnet_config

#: ``{name: choice}`` -> ``{name: ms}``, all timed in one interleaved run.
Measure = Callable[[Mapping[str, SubnetChoice]], Dict[str, float]]


def block_keys(space: SearchSpace) -> List[str]:
    """The table's costs: one per (stage, kernel, expansion) of the stages
    with a choice (``'stage3:k5e6'``, ms per block), ``'neck'`` (ms per BiFPN
    repeat) and ``'head'`` (ms per head conv) when they can change."""
    keys = []
    for i, stage in enumerate(space.stages):
        if len(space.stage_options(i)) > 1:
            keys += [f'stage{i}:k{k}e{e:g}' for k in stage['kernel'] for e in stage['expand']]
    if len(space.neck_repeats) > 1:
        keys.append('neck')
    if len(space.head_depth) > 1:
        keys.append('head')
    return keys


def block_counts(space: SearchSpace, choice: SubnetChoice) -> Dict[str, int]:
    """How many of each :func:`block_keys` block ``choice`` has."""
    counts = dict.fromkeys(block_keys(space), 0)
    for i, (k, e, d) in enumerate(choice.stages):
        key = f'stage{i}:k{k}e{e:g}'
        if key in counts:
            counts[key] = d
    if 'neck' in counts:
        counts['neck'] = choice.neck_repeats
    if 'head' in counts:
        counts['head'] = choice.head_depth
    return counts


def fit_subnets(space: SearchSpace, image_size: int, count: int,
                rng: random.Random) -> List[SubnetChoice]:
    """The sub-networks a table times at ``image_size``: the smallest, the
    largest, random ones up to ``count`` different (fewer in a smaller
    space), and for any block none of them has one more random sub-network
    with it, so every cost is determined."""

    chosen = list(
        dict.fromkeys(
            dataclasses.replace(c, image_size=image_size)
            for c in (space.smallest(), space.largest())))
    chosen += space.sample_distinct(rng, count - len(chosen), chosen, image_size)
    for i in range(len(space.stages)):
        seen = {(k, e) for c in chosen for k, e, _ in [c.stages[i]]}
        for option in space.stage_options(i):
            if option[:2] not in seen:
                base = dataclasses.replace(space.sample(rng), image_size=image_size)
                chosen.append(
                    dataclasses.replace(
                        base, stages=base.stages[:i] + (option, ) + base.stages[i + 1:]))
                seen.add(option[:2])
    return list(dict.fromkeys(chosen))


@dataclasses.dataclass
class LatencyTable:
    """Per input size: a base and the cost of each block (ms), fitted to
    sub-networks measured in one run.

    Attributes:
        inference_path: The inference path it was measured on (``ov-int8``, ...).
        reference: Input size -> ms of the smallest sub-network in the
            table's run (a second run times it again to see the machine's
            drift, :func:`prediction_errors`).
        base: Input size -> ms of what no choice changes.
        costs: Input size -> :func:`block_keys` -> ms per block. Where a
            stage's depth cannot change, its block costs and the base are
            not separable; the minimum-norm split is stored (predictions
            are unique).
        measured: Input size -> the fitted sub-networks as
            ``[(choice dict, ms), ...]``.
    """
    inference_path: str
    reference: Dict[int, float]
    base: Dict[int, float]
    costs: Dict[int, Dict[str, float]]
    measured: Dict[int, List] = dataclasses.field(default_factory=dict)

    def predict(self, space: SearchSpace, choice: SubnetChoice) -> float:
        """Predicted latency (ms) of ``choice``."""
        costs = self.costs[choice.image_size]
        return self.base[choice.image_size] + sum(costs[key] * n
                                                  for key, n in block_counts(space, choice).items())

    def fitted_on(self) -> List[SubnetChoice]:
        """The sub-networks the costs were fitted to (kept out of checks)."""
        return [SubnetChoice.from_dict(c) for rows in self.measured.values() for c, _ in rows]

    def to_dict(self) -> Dict:
        """JSON form (:meth:`from_dict`)."""

        def by_size(values):
            return {str(k): v for k, v in values.items()}

        return dict(
            inference_path=self.inference_path,
            reference=by_size(self.reference),
            base=by_size(self.base),
            costs=by_size(self.costs),
            measured=by_size(self.measured))

    @classmethod
    def from_dict(cls, data: Mapping) -> 'LatencyTable':
        """Read :meth:`to_dict`'s form.

        Raises:
            UserError: a table of another form (the earlier single-change
                table has no ``costs``).
        """
        data = dict(data)
        if 'path' in data and 'inference_path' not in data:  # written before the key's rename
            data['inference_path'] = data.pop('path')
        if not {'inference_path', 'reference', 'base', 'costs'} <= set(data):
            raise UserError(f'latency table: expected the keys inference_path, reference, base, '
                            f'costs; got {sorted(data)} (an older table: measure it again)')

        def by_size(values, kind=lambda v: v):
            return {int(k): kind(v) for k, v in values.items()}

        return cls(data['inference_path'], by_size(data['reference'], float),
                   by_size(data['base'], float), by_size(data['costs']),
                   by_size(data.get('measured', {})))


def fit_costs(space: SearchSpace, measured: Mapping[SubnetChoice, float]):
    """Least-squares base and block costs of measured sub-networks of one size.

    Returns:
        tuple: ``(base ms, {block key: ms per block})``.
    """
    keys = block_keys(space)
    rows = [[1.0] + [float(block_counts(space, c)[k]) for k in keys] for c in measured]
    solution = np.linalg.lstsq(np.array(rows), np.array(list(measured.values())), rcond=None)[0]
    return float(solution[0]), {k: float(v) for k, v in zip(keys, solution[1:])}


def build_latency_table(space: SearchSpace,
                        inference_path: str,
                        measure: Measure,
                        count: Optional[int] = None,
                        seed: int = 0) -> LatencyTable:
    """Measure the table: per input size, one interleaved run of
    :func:`fit_subnets`, then :func:`fit_costs`.

    Args:
        space: The search space.
        inference_path: Name of the inference path ``measure`` times on (recorded).
        measure: Times named sub-networks (:func:`choice_measure`).
        count: Sub-networks per size (default: twice the unknowns, base
            and block costs).
        seed: Seed of the random sub-networks.
    """
    count = count or 2 * (len(block_keys(space)) + 1)
    rng = random.Random(seed)
    reference, base, costs, measured = {}, {}, {}, {}
    for size in space.image_size:
        choices = fit_subnets(space, size, count, rng)
        ms = measure({f'fit{i}': c for i, c in enumerate(choices)})
        timed = {c: ms[f'fit{i}'] for i, c in enumerate(choices)}
        reference[size] = timed[choices[0]]
        base[size], costs[size] = fit_costs(space, timed)
        measured[size] = [(c.to_dict(), t) for c, t in timed.items()]
    return LatencyTable(inference_path, reference, base, costs, measured)


def prediction_errors(table: LatencyTable,
                      space: SearchSpace,
                      measured: Mapping[SubnetChoice, float],
                      references: Optional[Mapping[int, float]] = None) -> Dict:
    """Relative error of the table's predictions against direct measurements.

    On a shared virtual CPU the same network can time 30 % apart in two runs
    of one process, so an error against a measurement taken in another run
    mixes the table's own error with the machine's drift between the runs.
    With ``references`` (the smallest sub-network of each input size, timed
    in the same run as ``measured``) the errors are also given after scaling
    every prediction by that run's drift,
    ``references[size] / table.reference[size]``.

    Returns:
        dict: ``median`` and ``max`` of ``|predicted - measured| / measured``
        and the number of sub-networks ``count``; with ``references`` also
        ``median_same_run``, ``max_same_run`` (drift-scaled predictions) and
        ``drift`` (input size -> scale).
    """
    errors = [abs(table.predict(space, c) - ms) / ms for c, ms in measured.items()]
    out = dict(median=statistics.median(errors), max=max(errors), count=len(errors))
    if references:
        drift = {size: references[size] / table.reference[size] for size in references}
        scaled = [
            abs(table.predict(space, c) * drift[c.image_size] - ms) / ms
            for c, ms in measured.items()
        ]
        out.update(median_same_run=statistics.median(scaled), max_same_run=max(scaled), drift=drift)
    return out


def choice_measure(cfg,
                   inference_path: str,
                   work_dir: str,
                   threads: int = 2,
                   runs: int = 10) -> Measure:
    """A :data:`Measure` timing the plain models of a supernet config's
    sub-networks (random weights: latency does not depend on them) with
    :func:`~mmdet_efficientdet.measure.measure_latencies`."""

    def measure(choices: Mapping[str, SubnetChoice]) -> Dict[str, float]:
        models = {}
        for name, choice in choices.items():
            model = MODELS.build(subnet_config(cfg, choice).model)
            models[name] = (model.eval(), choice.image_size)
        return measure_latencies(models, inference_path, work_dir, threads, runs)

    return measure
