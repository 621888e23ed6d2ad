"""The dev-only Scalpel check (``tools/dev/scalpel.py``): does a pruning
saving measured on this CPU follow from the widths?"""
from __future__ import annotations
import copy
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from ..evaluation import DetectionEvaluator
from ..measure.complexity import count_params
from ..measure.pruned_variants import CompareResult, measure_effective
from ..models.trained import load_trained
from ..utils.boundary_search import bisect_boundary
from .arguments import check_ratio, resolve_round_to
from .channel_groups import build_group_graph, expand_groups
from .structured import kept_channels, prune_detector
from .unstructured import magnitude_prune_

#: Steps per unit of the unaligned ratio's search grid: finer than one
#: channel of any group, so the grid holds every width plan.
RATIO_STEPS = 10**6


def scalpel_check(config: str,
                  checkpoint: str,
                  ratio: float = 0.5,
                  groups: Sequence[str] = ('s*.mid', 'bifpn', 'head'),
                  image_size: Optional[int] = None,
                  round_to: Union[str, int] = 'auto',
                  threads: int = 2,
                  runs: int = 15,
                  with_map: bool = True) -> CompareResult:
    """Scalpel's question on this CPU: at the same parameter count, is a
    weight mask (unstructured) or structured pruning faster, and do
    SIMD-aligned widths beat unaligned ones?

    Variants: the dense model; a magnitude mask; ``groups`` pruned at
    ``ratio`` with widths rounded to ``round_to``; the same groups pruned
    unaligned at the smallest ratio that gives at most the aligned model's
    parameter count (:func:`unaligned_ratio`). Measured like :func:`compare_models` (mAP without
    fine-tuning); each structured row carries its ``ratio``.
    """

    check_ratio('ratio', ratio)
    lanes = resolve_round_to(round_to)
    torch.set_num_threads(threads)
    cfg, dense = load_trained(config, checkpoint)
    size = image_size or cfg.image_size

    def structured(r, multiple):
        model = copy.deepcopy(dense)
        prune_detector(model, {g: r for g in groups}, multiple)
        return model.eval()

    aligned = structured(ratio, lanes)
    want = count_params(aligned)
    unaligned = unaligned_ratio(dense, groups, want, lambda r: count_params(structured(r, 1)))
    masked = copy.deepcopy(dense)
    magnitude_prune_(masked, count_params(dense) - want)
    names = ('dense', 'mask (unstructured)', f'structured, {lanes}-aligned',
             'structured, unaligned')
    variants = dict(zip(names, (dense, masked, aligned, structured(unaligned, 1))))
    rows = measure_effective(variants, size, threads, runs,
                             DetectionEvaluator(cfg) if with_map else None)
    rows[names[2]]['ratio'], rows[names[3]]['ratio'] = ratio, unaligned
    return CompareResult(size, threads, rows)


def unaligned_ratio(dense: nn.Module,
                    groups: Sequence[str],
                    want: int,
                    params_at: Callable[[float], int],
                    highest: float = 0.95) -> float:
    """The smallest ratio in ``[0, highest]`` (a multiple of
    ``1 / RATIO_STEPS``) at which pruning ``groups`` of ``dense`` unaligned
    leaves at most ``want`` parameters.

    The count falls with the ratio and depends only on the kept widths, so
    the search bisects the grid (:func:`~mmdet_efficientdet.utils.boundary_search.bisect_boundary`)
    and calls ``params_at`` (a pruning, seconds) once per width plan.

    Args:
        dense: The unpruned detector (not modified).
        groups: Group names or patterns pruned.
        want: Parameter count to reach.
        params_at: Parameter count after pruning ``groups`` by a ratio.
        highest: Largest ratio tried (assumed to reach ``want``).

    Returns:
        float: The ratio; 0.0 when ``dense`` already has at most ``want``.
    """
    found = build_group_graph(copy.deepcopy(dense))
    widths = [found.groups[name].channels for name in expand_groups(groups, list(found.groups))]
    counts: Dict[Tuple[int, ...], int] = {}

    def reached(step: int) -> bool:
        ratio = step / RATIO_STEPS
        plan = tuple(kept_channels(channels, ratio) for channels in widths)
        if plan not in counts:
            counts[plan] = params_at(ratio)
        return counts[plan] <= want

    if reached(0):
        return 0.0
    return bisect_boundary(reached, 0, int(highest * RATIO_STEPS)) / RATIO_STEPS
