"""The pruning run ``tools/pruning/prune.py`` makes: prune to a budget,
optionally fine-tune, write a config + checkpoint; every number a field of
the result. Outputs are checked before anything is written."""
from __future__ import annotations
import copy
import io
import json
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch

from ..config_utils import set_config_epochs
from ..fileio import plan_outputs, write_outputs
from ..measure.complexity import effective_macs, measure_complexity
from ..measure.pruned_variants import OrtLatency
from ..models.trained import load_trained
from ..utils.cli import read_json
from .arguments import check_epochs, check_ratio, parse_ratios, resolve_round_to
from .channel_groups import PruningError, build_group_graph
from .schedule import choose_winner_rates, greedy_steps, search_budget
from .sensitivity import check_table
from .structured import apply_widths, prune_detector, pruned_widths

Log = Callable[[str], None]


@dataclass
class PruneResult:
    """What :func:`prune_to_budget` chose, measured and wrote.

    Attributes:
        config, checkpoint, report (str): The files written.
        round_to (int): Width multiple.
        ratios (dict): group -> ratio pruned.
        changes (dict): group -> ``(channels before, after)``.
        widths (dict): The pruned widths, as written into the config.
        winner_rates (dict): block -> activation-mask winner rate.
        image_size (int): Square input of the counts and latency.
        params (int), gmacs, base_gmacs, effective_gmacs (float): Counts.
        metric (str, optional): ``'latency'`` or ``'flops'`` for a goal.
        goal (float, optional): The budget ratio asked for.
        measured_ratio (float, optional): The ratio the budget search
            measured for the chosen ratios (the one measurement reported).
        ort_ms, base_ort_ms (float, optional): That latency measurement.
        files (list[str]): Everything written, manifest last.
    """
    config: str
    checkpoint: str
    report: str
    round_to: int
    ratios: Dict[str, float]
    changes: Dict[str, Tuple[int, int]]
    widths: dict
    winner_rates: Dict[str, float]
    image_size: int
    params: int
    gmacs: float
    base_gmacs: float
    effective_gmacs: float
    metric: Optional[str] = None
    goal: Optional[float] = None
    measured_ratio: Optional[float] = None
    ort_ms: Optional[float] = None
    base_ort_ms: Optional[float] = None
    files: List[str] = field(default_factory=list)

    @property
    def macs_ratio(self) -> float:
        return self.gmacs / self.base_gmacs

    def summary(self) -> str:
        """The lines ``tools/pruning/prune.py`` prints."""
        lines = [
            f'{name:>10}: {before} -> {after}' for name, (before, after) in self.changes.items()
        ]
        if self.winner_rates:
            lines.append('winner rates: ' + ', '.join(f'{k} {v:.2f}'
                                                      for k, v in self.winner_rates.items()))
        line = (f'params {self.params:,}, GMACs at {self.image_size}: '
                f'{self.gmacs:.3f} ({self.macs_ratio:.2f}x)')
        if self.metric == 'latency':
            line += (f', ONNX Runtime latency {self.measured_ratio:.2f}x '
                     f'({self.ort_ms:.1f} / {self.base_ort_ms:.1f} ms; goal '
                     f'{self.goal})')
        elif self.metric == 'flops':
            line += f' (goal {self.goal})'
        lines += [
            line, f'config: {self.config}', f'checkpoint: {self.checkpoint}',
            f'report: {self.report}'
        ]
        return '\n'.join(lines)


def _check_goal(latency_ratio: Optional[float], flops_ratio: Optional[float],
                ratios: Optional[Sequence[str]], sensitivity: Optional[str],
                activation_sensitivity: Optional[str]) -> Optional[float]:
    """The one budget asked for (or None for ``--ratios`` / masks only).

    Raises:
        PruningError: no goal, several, one outside ``(0, 1)``, or a
            goal without a sensitivity table.
    """
    if ratios is None and latency_ratio is None and flops_ratio is None \
            and not activation_sensitivity:
        raise PruningError('give a goal: --latency-ratio, --flops-ratio, '
                           '--ratios, or --activation-sensitivity')
    if sum(x is not None for x in (latency_ratio, flops_ratio, ratios)) > 1:
        raise PruningError('give one of --latency-ratio, --flops-ratio, '
                           '--ratios')
    check_ratio('latency-ratio', latency_ratio)
    check_ratio('flops-ratio', flops_ratio)
    goal = latency_ratio if latency_ratio is not None else flops_ratio
    if goal is not None and not sensitivity:
        raise PruningError('a goal needs --sensitivity TABLE.json '
                           '(tools/pruning/prune_sensitivity.py)')
    return goal


def _search_ratios(base, table: dict, metric: str, goal: float, size: int, threads: int,
                   round_to: int, log: Log) -> Tuple[Dict[str, float], dict]:
    """The shortest greedy prefix of ``table`` whose measured ratio (ONNX
    Runtime latency or MACs of the pruned copy / ``base``) meets ``goal``.

    Returns:
        ``(ratios, result fields)``: the chosen group ratios and the
        :class:`PruneResult` fields of that one measurement.
    """
    base_macs = measure_complexity(base, size, size).flops
    timer = OrtLatency(base, size, threads, runs=15) if metric == 'latency' else None
    measured: Dict[int, Tuple[float, float]] = {}

    def measure(candidate):
        variant = copy.deepcopy(base)
        prune_detector(variant, candidate, round_to)
        if timer is None:
            return measure_complexity(variant, size, size).flops / base_macs
        ms, base_ms = timer(variant)
        measured[id(candidate)] = (ms, base_ms)
        return ms / base_ms

    chosen, achieved = search_budget(greedy_steps(table, metric), measure, goal, log=log)
    extra = dict(metric=metric, goal=goal, measured_ratio=achieved)
    if timer is not None:
        extra['ort_ms'], extra['base_ort_ms'] = measured[id(chosen)]
    return chosen, extra


def _write_pruned(result: PruneResult, model, out_cfg, source_checkpoint: str, inputs: List[str],
                  out_dir: str, overwrite: bool) -> None:
    """Write the pruned checkpoint, config and report (manifest last) and
    record them in ``result.files``."""

    buffer = io.BytesIO()
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                pruned_from=osp.abspath(source_checkpoint),
                ratios=result.ratios,
                round_to=result.round_to)), buffer)
    report = asdict(result)
    report.pop('files')
    report['macs_ratio'] = result.macs_ratio
    result.files = write_outputs(
        {
            result.checkpoint: buffer.getvalue(),
            result.config: out_cfg.pretty_text,
            result.report: json.dumps(report, indent=1) + '\n'
        },
        inputs,
        overwrite,
        manifest_dir=out_dir,
        tool='prune',
        sources=[osp.abspath(p) for p in inputs])


def _plan_files(config: str, out_dir: str, inputs: List[str],
                overwrite: bool) -> Tuple[str, str, str]:
    """Absolute paths of the pruned config, checkpoint and report, checked
    (inputs exist, outputs free or ``overwrite``) before anything is built.
    """
    for path in inputs:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    stem = osp.splitext(osp.basename(config))[0]
    files = tuple(
        osp.abspath(osp.join(out_dir, name))
        for name in (f'{stem}_pruned.py', 'pruned.pth', 'prune_report.json'))
    plan_outputs(list(files) + [osp.join(out_dir, 'manifest.json')], inputs, overwrite)
    return files


def _describe(model, base, files: Tuple[str, str, str], round_to: int, chosen: Dict, changes: Dict,
              winner_rates: Dict, size: int, extra: Dict) -> PruneResult:
    """The :class:`PruneResult` of a pruned ``model`` of ``base``: its files
    ``(config, checkpoint, report)``, what was pruned, widths and counts."""
    counts = measure_complexity(model, size, size)
    return PruneResult(
        config=files[0],
        checkpoint=files[1],
        report=files[2],
        round_to=round_to,
        ratios=chosen,
        changes={
            k: tuple(v)
            for k, v in changes.items()
        },
        widths=pruned_widths(model),
        winner_rates=winner_rates,
        image_size=size,
        params=counts.params,
        gmacs=counts.flops / 1e9,
        base_gmacs=measure_complexity(base, size, size).flops / 1e9,
        effective_gmacs=effective_macs(model, size, size) / 1e9,
        **extra)


def prune_to_budget(config: str,
                    checkpoint: str,
                    out_dir: str,
                    *,
                    latency_ratio: Optional[float] = None,
                    flops_ratio: Optional[float] = None,
                    ratios: Optional[Sequence[str]] = None,
                    sensitivity: Optional[str] = None,
                    activation_sensitivity: Optional[str] = None,
                    max_activation_drop: float = 0.005,
                    round_to: Union[str, int] = 'auto',
                    image_size: Optional[int] = None,
                    threads: int = 2,
                    finetune_epochs: Optional[int] = None,
                    overwrite: bool = False,
                    log: Log = print) -> PruneResult:
    """Prune a trained EfficientDet to a budget; write config + checkpoint.

    With a goal, the sensitivity table gives the greedy order (least mAP
    drop per unit of saving first) and the shortest prefix whose *measured*
    ONNX Runtime latency (or MAC) ratio meets the goal is found by
    bisection (:func:`~.schedule.search_budget`); that measurement is the one
    reported. With ``ratios`` (``GROUP=R``) those are pruned as given.

    Writes ``out_dir/<config>_pruned.py`` (widths as config numbers,
    ``load_from`` = the checkpoint), ``out_dir/pruned.pth``,
    ``out_dir/prune_report.json`` and ``out_dir/manifest.json``.

    Raises:
        PruningError: no goal, a ratio/goal outside ``(0, 1)``, a
            malformed or foreign sensitivity table, an output that exists
            (without ``overwrite``) or is an input.
    """
    goal = _check_goal(latency_ratio, flops_ratio, ratios, sensitivity, activation_sensitivity)
    if finetune_epochs is not None:
        check_epochs(finetune_epochs)
    round_to = resolve_round_to(round_to)
    explicit = parse_ratios(ratios or [])
    inputs = [config, checkpoint] + [p for p in (sensitivity, activation_sensitivity) if p]
    cfg_path, ckpt, report_path = _plan_files(config, out_dir, inputs, overwrite)
    cfg, base = load_trained(config, checkpoint)
    size = image_size or cfg.image_size
    activation_table = check_table(
        read_json(activation_sensitivity, 'activation sensitivity table'),
        activation_sensitivity,
        kind='activation') if activation_sensitivity else None
    chosen, extra, winner_rates = explicit, {}, {}
    if goal is not None:
        table = check_table(
            read_json(sensitivity, 'sensitivity table'), sensitivity,
            list(build_group_graph(base).groups), 'channel')
        metric = 'latency' if latency_ratio is not None else 'flops'
        chosen, extra = _search_ratios(base, table, metric, goal, size, threads, round_to, log)
    model = copy.deepcopy(base)
    changes = prune_detector(model, chosen, round_to)
    out_cfg = copy.deepcopy(cfg)
    out_cfg.model = apply_widths(cfg.model, pruned_widths(model))
    if activation_table is not None:
        winner_rates = choose_winner_rates(activation_table, max_activation_drop)
        out_cfg.model.backbone.activation_masks = winner_rates
        model.backbone.set_activation_masks(winner_rates)
    out_cfg.load_from = ckpt
    if finetune_epochs is not None:
        set_config_epochs(out_cfg, finetune_epochs)
    result = _describe(model, base, (cfg_path, ckpt, report_path), round_to, chosen, changes,
                       winner_rates, size, extra)
    _write_pruned(result, model, out_cfg, checkpoint, inputs, out_dir, overwrite)
    return result
