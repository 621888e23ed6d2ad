"""Several trained models side by side (``tools/analysis_tools/
compare_models.py``): params, GMACs, eager and ONNX Runtime latency in one
interleaved run, mAP."""
from __future__ import annotations
from typing import Dict, Optional, Sequence, Tuple

from ..errors import UserError
from ..evaluation import DetectionEvaluator
from ..fileio import plan_outputs, write_json
from ..measure.pruned_variants import CompareResult, measure_effective
from ..models.trained import load_trained


def parse_models(items: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """``['a=CFG:CKPT', ...]`` -> ``{'a': (CFG, CKPT)}``; names must differ."""
    models: Dict[str, Tuple[str, str]] = {}
    for item in items:
        name, sep, rest = item.partition('=')
        config, sep2, ckpt = rest.rpartition(':')
        if not (sep and sep2 and name and config and ckpt):
            raise UserError(f'{item!r}: expected NAME=CONFIG:CKPT')
        if name in models:
            raise UserError(f'model name {name!r} is given twice: names '
                            f'must differ')
        models[name] = (config, ckpt)
    return models


def compare_models(models: Sequence[str],
                   image_size: Optional[int] = None,
                   threads: int = 2,
                   runs: int = 15,
                   with_map: bool = True,
                   json_out: Optional[str] = None,
                   overwrite: bool = False) -> CompareResult:
    """Params, GMACs (effective, with activation masks), eager and ONNX
    Runtime latency in one interleaved run, and each model's mAP on its own
    config's val set; optionally written to ``json_out``."""
    parsed = parse_models(models)
    inputs = [p for pair in parsed.values() for p in pair]
    if json_out:
        plan_outputs([json_out], inputs, overwrite)
    variants, configs = {}, {}
    for name, (config, ckpt) in parsed.items():
        configs[name], variants[name] = load_trained(config, ckpt)
    size = image_size or next(iter(configs.values())).image_size
    by_id = {id(m): n for n, m in variants.items()}
    rows = measure_effective(
        variants,
        size,
        threads,
        runs,
        evaluate=(lambda m: DetectionEvaluator(configs[by_id[id(m)]])(m)) if with_map else None)
    result = CompareResult(size, threads, rows)
    if json_out:
        write_json(json_out, dict(size=size, threads=threads, rows=rows), inputs, overwrite)
    return result
