"""The dev-only Scalpel check (``tools/dev/scalpel.py``): does a pruning
saving measured on this CPU follow from the widths?"""
from __future__ import annotations
import copy
from typing import Optional, Sequence, Union

from ..benchmarking.compare_models import CompareResult
from .arguments import check_ratio, resolve_round_to


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
    unaligned at the ratio that gives the aligned model's parameter count
    (bisection). Measured like :func:`compare_models` (mAP without
    fine-tuning); each structured row carries its ``ratio``.
    """
    import torch

    from ..evaluation import DetectionEvaluator
    from ..measure.complexity import count_params
    from ..utils import load_trained
    from .measure import measure_effective
    from .structured import prune_detector
    from .unstructured import magnitude_prune_
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
    low, high = 0.0, 0.95
    for _ in range(30):  # unaligned ratio with the aligned param count
        mid = (low + high) / 2
        if count_params(structured(mid, 1)) > want:
            low = mid
        else:
            high = mid
    masked = copy.deepcopy(dense)
    magnitude_prune_(masked, count_params(dense) - want)
    names = ('dense', 'mask (unstructured)', f'structured, {lanes}-aligned',
             'structured, unaligned')
    variants = dict(zip(names, (dense, masked, aligned, structured(high, 1))))
    rows = measure_effective(variants, size, threads, runs,
                             DetectionEvaluator(cfg) if with_map else None)
    rows[names[2]]['ratio'], rows[names[3]]['ratio'] = ratio, high
    return CompareResult(size, threads, rows)
