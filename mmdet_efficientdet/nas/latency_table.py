"""Latency of any sub-network from a table measured once on the deploy path.

Per input size the table holds the measured latency of a reference (the
space's smallest sub-network at that size) and, for every other value of
every stage / neck / head choice, how much that one change adds when
measured as a whole network on the path (so fusion, layouts and the
runtime's own overheads are in the numbers). A sub-network's prediction is
the reference plus the added latency of each of its choices (MnasNet and
Once-for-All predict from per-layer tables the same way). The table is
checked against direct measurement of random sub-networks
(:func:`prediction_errors`).
"""
from __future__ import annotations
import dataclasses
import statistics
from typing import Callable, Dict, List, Mapping, Optional

from mmdet.registry import MODELS

from ..search_space import SearchSpace, SubnetChoice
from .subnet import subnet_config

#: ``{name: choice}`` -> ``{name: ms}``, all timed in one interleaved run.
Measure = Callable[[Mapping[str, SubnetChoice]], Dict[str, float]]


def choice_keys(space: SearchSpace, choice: SubnetChoice) -> List[str]:
    """The table entries of ``choice``: one per stage, the neck and the head
    (``'stage3:k5e6d2'``, ``'neck:3'``, ``'head:2'``)."""
    keys = [f'stage{i}:k{k}e{e:g}d{d}' for i, (k, e, d) in enumerate(choice.stages)]
    return keys + [f'neck:{choice.neck_repeats}', f'head:{choice.head_depth}']


def single_changes(space: SearchSpace, image_size: int) -> Dict[str, SubnetChoice]:
    """The reference (smallest at ``image_size``) and, per table entry, the
    reference with only that entry changed."""
    ref = dataclasses.replace(space.smallest(), image_size=image_size)
    out = {'reference': ref}
    for i in range(len(space.stages)):
        for option in space.stage_options(i):
            if option != ref.stages[i]:
                changed = dataclasses.replace(
                    ref, stages=ref.stages[:i] + (option, ) + ref.stages[i + 1:])
                out[choice_keys(space, changed)[i]] = changed
    for repeats in space.neck_repeats[1:]:
        out[f'neck:{repeats}'] = dataclasses.replace(ref, neck_repeats=repeats)
    for depth in space.head_depth[1:]:
        out[f'head:{depth}'] = dataclasses.replace(ref, head_depth=depth)
    return out


@dataclasses.dataclass
class LatencyTable:
    """Measured reference latency and added latency per choice, per size.

    Attributes:
        path: The inference path it was measured on (``ov-int8``, ...).
        reference: Input size -> ms of the reference sub-network.
        added: Input size -> table entry -> ms the entry adds (0 for the
            reference's own entries, which are not stored).
    """
    path: str
    reference: Dict[int, float]
    added: Dict[int, Dict[str, float]]

    def predict(self, space: SearchSpace, choice: SubnetChoice) -> float:
        """Predicted latency (ms) of ``choice``."""
        added = self.added[choice.image_size]
        return self.reference[choice.image_size] + sum(
            added.get(key, 0.0) for key in choice_keys(space, choice))

    def to_dict(self) -> Dict:
        """JSON form (:meth:`from_dict`)."""
        return dict(
            path=self.path,
            reference={
                str(k): v
                for k, v in self.reference.items()
            },
            added={
                str(k): v
                for k, v in self.added.items()
            })

    @classmethod
    def from_dict(cls, data: Mapping) -> 'LatencyTable':
        """Read :meth:`to_dict`'s form."""
        return cls(data['path'], {
            int(k): float(v)
            for k, v in data['reference'].items()
        }, {
            int(k): dict(v)
            for k, v in data['added'].items()
        })


def build_latency_table(space: SearchSpace, path: str, measure: Measure) -> LatencyTable:
    """Measure the table: per input size, one interleaved run of the
    reference and its single changes (:func:`single_changes`).

    Args:
        space: The search space.
        path: Name of the path ``measure`` times on (recorded).
        measure: Times named sub-networks (:func:`choice_measure`).
    """
    reference, added = {}, {}
    for size in space.image_size:
        ms = measure(single_changes(space, size))
        reference[size] = ms.pop('reference')
        added[size] = {key: value - reference[size] for key, value in ms.items()}
    return LatencyTable(path, reference, added)


def prediction_errors(table: LatencyTable,
                      space: SearchSpace,
                      measured: Mapping[SubnetChoice, float],
                      references: Optional[Mapping[int, float]] = None) -> Dict:
    """Relative error of the table's predictions against direct measurements.

    On a shared virtual CPU the same network can time 30 % apart in two runs
    of one process, so an error against a measurement taken in another run
    mixes the table's own error with the machine's drift between the runs.
    With ``references`` (the reference sub-network of each input size,
    timed in the same run as ``measured``) the errors are also given after
    scaling every prediction by that run's drift,
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


def choice_measure(cfg, path: str, work_dir: str, threads: int = 2, runs: int = 10) -> Measure:
    """A :data:`Measure` timing the plain models of a supernet config's
    sub-networks (random weights: latency does not depend on them) with
    :func:`~mmdet_efficientdet.measure.measure_latencies`."""
    from ..measure import measure_latencies

    def measure(choices: Mapping[str, SubnetChoice]) -> Dict[str, float]:
        models = {}
        for name, choice in choices.items():
            model = MODELS.build(subnet_config(cfg, choice).model)
            models[name] = (model.eval(), choice.image_size)
        return measure_latencies(models, path, work_dir, threads, runs)

    return measure
