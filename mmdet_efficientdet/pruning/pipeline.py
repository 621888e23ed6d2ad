"""The pruning runs the tools make, each returning a result object.

:func:`run_sensitivity` (``tools/pruning/prune_sensitivity.py``) measures a
sensitivity table; :func:`prune_to_budget` (``tools/pruning/prune.py``) prunes
to a budget and writes a config + checkpoint; :func:`compare_models`
(``tools/analysis_tools/compare_models.py``) measures several trained models
side by side. Every number a tool prints or writes is a field of the result,
measured once. Outputs are checked before anything is written and never
replace an input or an earlier run's files without ``overwrite``.
"""
from __future__ import annotations
import copy
import io
import json
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from .channel_groups import PruningError

Log = Callable[[str], None]


def resolve_round_to(round_to: Union[str, int]) -> int:
    """``'auto'`` -> this CPU's fp32 SIMD lanes; an int >= 1 as given."""
    from ..utils.cpu_isa import simd_width
    if round_to == 'auto':
        return simd_width()
    if isinstance(round_to, bool) or not isinstance(round_to, int) or \
            round_to < 1:
        raise PruningError(f'--round-to {round_to!r} must be auto or an '
                           f'integer >= 1')
    return round_to


def _check_ratio(name: str, value: Optional[float]) -> None:
    if value is not None and not 0 < value < 1:
        raise PruningError(f'--{name} {value} must be in (0, 1)')


def parse_ratios(items: Sequence[str]) -> Dict[str, float]:
    """``['s3.out=0.5', 'head=0.25']`` -> ``{'s3.out': 0.5, 'head': 0.25}``."""
    ratios = {}
    for item in items:
        name, sep, value = item.partition('=')
        try:
            ratios[name] = float(value)
        except ValueError:
            sep = ''
        if not sep or not name:
            raise PruningError(f'--ratios {item!r}: expected GROUP=RATIO')
    return ratios


def finetune_schedule(cfg, epochs: int) -> None:
    """Shorten the config's schedule to ``epochs`` (epoch-based schedulers
    end there)."""
    _check_epochs(epochs)
    old = cfg.train_cfg.max_epochs
    cfg.max_epochs = cfg.train_cfg.max_epochs = epochs
    for scheduler in cfg.param_scheduler:
        if scheduler.get('by_epoch', True):
            for key in ('end', 'T_max'):
                if scheduler.get(key) == old:
                    scheduler[key] = epochs
    cfg.train_cfg.val_interval = min(cfg.train_cfg.get('val_interval', 1), epochs)


@dataclass
class SensitivityResult:
    """What :func:`run_sensitivity` measured and wrote.

    Attributes:
        rows (list[dict]): The table (first row: the unpruned model).
        files (list[str]): ``OUT.json``, ``OUT.csv``, ``OUT.png``, manifest.
        num_images (int): Val images scored per variant.
        round_to (int): Width multiple.
        image_size (int): Square input of the latency and MAC counts.
    """
    rows: List[dict]
    files: List[str]
    num_images: int
    round_to: int
    image_size: int


def run_sensitivity(config: str,
                    checkpoint: str,
                    out: str,
                    ratios: Sequence[float] = (0.25, 0.5, 0.75),
                    groups: Optional[Sequence[str]] = None,
                    proxy: Optional[int] = None,
                    image_size: Optional[int] = None,
                    activations: bool = False,
                    latency: bool = True,
                    round_to: Union[str, int] = 'auto',
                    threads: int = 2,
                    runs: int = 10,
                    overwrite: bool = False,
                    log: Log = print) -> SensitivityResult:
    """Measure and write a pruning sensitivity table (``OUT.json/.csv/.png``).

    Args:
        config, checkpoint: The trained model.
        out: Output path prefix.
        ratios: Pruning ratios in ``(0, 1)``.
        groups: Group names/patterns (default: all).
        proxy: Score on the first N val images only.
        image_size: Square input of latency/MACs (default: config's).
        activations: Activation masks per MBConv block instead of channels.
        latency: Measure ONNX Runtime latency (channel tables).
        round_to: ``'auto'`` or a width multiple.
        threads, runs: Latency measurement settings.
        overwrite: Replace an earlier table with the same prefix.
        log: Progress lines.
    """
    import torch

    from ..evaluation import DetectionEvaluator
    from ..fileio import plan_outputs, write_outputs
    from ..utils import load_trained
    from .measure import OrtLatency
    from .report import table_files
    from .sensitivity import activation_sensitivity_table, sensitivity_table
    bad = [r for r in ratios if not 0 < r < 1]
    if bad:
        raise PruningError(f'--ratios {bad}: each must be in (0, 1)')
    round_to = resolve_round_to(round_to)
    planned = [out + ext for ext in ('.json', '.csv', '.png')]
    manifest_dir = osp.dirname(osp.abspath(out))
    plan_outputs(planned + [osp.join(manifest_dir, 'manifest.json')], [config, checkpoint],
                 overwrite)  # before hours of work
    torch.set_num_threads(threads)
    cfg, model = load_trained(config, checkpoint)
    evaluate = DetectionEvaluator(cfg, proxy)
    size = image_size or cfg.image_size
    if activations:
        rows = activation_sensitivity_table(model, evaluate, ratios, size, groups, log=log)
    else:
        timer = OrtLatency(model, size, threads, runs) if latency else None
        log(f'round_to {round_to}, scoring {evaluate.num_images} val images' +
            (f', latency at {size}x{size}' if timer else ''))
        rows = sensitivity_table(model, evaluate, timer, ratios, round_to, size, groups, log=log)
    files = write_outputs(
        table_files(rows, out), [config, checkpoint],
        overwrite,
        manifest_dir=manifest_dir,
        tool='prune_sensitivity',
        config=config,
        checkpoint=checkpoint)
    return SensitivityResult(rows, files, evaluate.num_images, round_to, size)


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
        metric (str, optional): ``'latency'`` or ``'flops'`` for a target.
        target (float, optional): The budget ratio asked for.
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
    target: Optional[float] = None
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
                     f'({self.ort_ms:.1f} / {self.base_ort_ms:.1f} ms; target '
                     f'{self.target})')
        elif self.metric == 'flops':
            line += f' (target {self.target})'
        lines += [
            line, f'config: {self.config}', f'checkpoint: {self.checkpoint}',
            f'report: {self.report}'
        ]
        return '\n'.join(lines)


def prune_to_budget(config: str,
                    checkpoint: str,
                    out_dir: str,
                    *,
                    target_latency: Optional[float] = None,
                    target_flops: Optional[float] = None,
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

    With a target, the sensitivity table gives the greedy order (least mAP
    drop per unit of saving first) and the shortest prefix whose *measured*
    ONNX Runtime latency (or MAC) ratio meets the target is found by
    bisection (:func:`~.budget.search_budget`); that measurement is the one
    reported. With ``ratios`` (``GROUP=R``) those are pruned as given.

    Writes ``out_dir/<config>_pruned.py`` (widths as config numbers,
    ``load_from`` = the checkpoint), ``out_dir/pruned.pth``,
    ``out_dir/prune_report.json`` and ``out_dir/manifest.json``.

    Raises:
        PruningError: no target, a ratio/target outside ``(0, 1)``, a
            malformed or foreign sensitivity table, an output that exists
            (without ``overwrite``) or is an input.
    """
    import torch

    from ..fileio import plan_outputs, write_outputs
    from ..measure.complexity import measure_complexity
    from ..utils import load_trained
    from ..utils.cli import read_json
    from .budget import choose_winner_rates, greedy_steps, search_budget
    from .channel_groups import build_group_graph
    from .measure import OrtLatency
    from .sensitivity import check_table
    from .structured import apply_widths, prune_detector, pruned_widths
    from .unstructured import effective_macs
    if ratios is None and target_latency is None and target_flops is None \
            and not activation_sensitivity:
        raise PruningError('give a target: --target-latency, --target-flops, '
                           '--ratios, or --activation-sensitivity')
    if sum(x is not None for x in (target_latency, target_flops, ratios)) > 1:
        raise PruningError('give one of --target-latency, --target-flops, '
                           '--ratios')
    _check_ratio('target-latency', target_latency)
    _check_ratio('target-flops', target_flops)
    target = target_latency if target_latency is not None else target_flops
    if target is not None and not sensitivity:
        raise PruningError('a target needs --sensitivity TABLE.json '
                           '(tools/pruning/prune_sensitivity.py)')
    if finetune_epochs is not None:
        _check_epochs(finetune_epochs)
    round_to = resolve_round_to(round_to)
    explicit = parse_ratios(ratios or [])
    inputs = [config, checkpoint] + [p for p in (sensitivity, activation_sensitivity) if p]
    for path in inputs:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    stem = osp.splitext(osp.basename(config))[0]
    cfg_path = osp.join(out_dir, f'{stem}_pruned.py')
    ckpt = osp.abspath(osp.join(out_dir, 'pruned.pth'))
    report_path = osp.join(out_dir, 'prune_report.json')
    plan_outputs([cfg_path, ckpt, report_path,
                  osp.join(out_dir, 'manifest.json')], inputs, overwrite)
    cfg, base = load_trained(config, checkpoint)
    size = image_size or cfg.image_size
    groups = list(build_group_graph(base).groups)
    table = check_table(
        read_json(sensitivity, 'sensitivity table'), sensitivity, groups,
        'channel') if sensitivity else None
    activation_table = check_table(
        read_json(activation_sensitivity, 'activation sensitivity table'),
        activation_sensitivity, kind='activation') \
        if activation_sensitivity else None
    base_macs = measure_complexity(base, size, size).flops

    def pruned(chosen):
        model = copy.deepcopy(base)
        return model, prune_detector(model, chosen, round_to)

    result_extra: dict = {}
    if target is None:
        chosen = explicit
    else:
        metric = 'latency' if target_latency is not None else 'flops'
        timer = OrtLatency(base, size, threads, runs=15) \
            if metric == 'latency' else None
        measured: Dict[int, Tuple[float, float]] = {}

        def measure(candidate):
            variant, _ = pruned(candidate)
            if timer is None:
                return measure_complexity(variant, size, size).flops / \
                    base_macs
            ms, base_ms = timer(variant)
            measured[id(candidate)] = (ms, base_ms)
            return ms / base_ms

        chosen, achieved = search_budget(greedy_steps(table, metric), measure, target, log=log)
        result_extra = dict(metric=metric, target=target, measured_ratio=achieved)
        if timer is not None:
            result_extra['ort_ms'], result_extra['base_ort_ms'] = \
                measured[id(chosen)]
    model, changes = pruned(chosen)
    widths = pruned_widths(model)
    out_cfg = copy.deepcopy(cfg)
    out_cfg.model = apply_widths(cfg.model, widths)
    winner_rates = {}
    if activation_table is not None:
        winner_rates = choose_winner_rates(activation_table, max_activation_drop)
        out_cfg.model.backbone.activation_masks = winner_rates
        model.backbone.set_activation_masks(winner_rates)
    out_cfg.load_from = ckpt
    if finetune_epochs is not None:
        finetune_schedule(out_cfg, finetune_epochs)
    counts = measure_complexity(model, size, size)
    result = PruneResult(
        config=osp.abspath(cfg_path),
        checkpoint=ckpt,
        report=osp.abspath(report_path),
        round_to=round_to,
        ratios=chosen,
        changes={
            k: tuple(v)
            for k, v in changes.items()
        },
        widths=widths,
        winner_rates=winner_rates,
        image_size=size,
        params=counts.params,
        gmacs=counts.flops / 1e9,
        base_gmacs=base_macs / 1e9,
        effective_gmacs=effective_macs(model, size, size) / 1e9,
        **result_extra)
    buffer = io.BytesIO()
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(pruned_from=osp.abspath(checkpoint), ratios=chosen, round_to=round_to)),
        buffer)
    report = asdict(result)
    report.pop('files')
    report['macs_ratio'] = result.macs_ratio
    result.files = write_outputs(
        {
            ckpt: buffer.getvalue(),
            cfg_path: out_cfg.pretty_text,
            report_path: json.dumps(report, indent=1) + '\n'
        },
        inputs,
        overwrite,
        manifest_dir=out_dir,
        tool='prune',
        sources=[osp.abspath(p) for p in inputs])
    return result


def _check_epochs(epochs) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise PruningError(f'--finetune-epochs {epochs!r} must be an integer '
                           f'>= 1')


@dataclass
class CompareResult:
    """What :func:`compare_models` measured.

    Attributes:
        image_size (int): Square input.
        threads (int): Threads of every path.
        rows (dict): name -> :func:`~.measure.measure_variants` row.
    """
    image_size: int
    threads: int
    rows: Dict[str, dict]

    def table(self) -> str:
        from .report import format_rows
        return (f'{self.image_size}x{self.image_size}, {self.threads} '
                f'threads, batch 1; ratios to {next(iter(self.rows))}\n' + format_rows(self.rows))


def parse_models(items: Sequence[str]) -> Dict[str, Tuple[str, str]]:
    """``['a=CFG:CKPT', ...]`` -> ``{'a': (CFG, CKPT)}``; names must differ."""
    models: Dict[str, Tuple[str, str]] = {}
    for item in items:
        name, sep, rest = item.partition('=')
        config, sep2, ckpt = rest.rpartition(':')
        if not (sep and sep2 and name and config and ckpt):
            raise PruningError(f'{item!r}: expected NAME=CONFIG:CKPT')
        if name in models:
            raise PruningError(f'model name {name!r} is given twice: names '
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
    from ..evaluation import DetectionEvaluator
    from ..fileio import plan_outputs, write_json
    from ..utils import load_trained
    from .measure import measure_variants
    from .unstructured import effective_macs
    parsed = parse_models(models)
    inputs = [p for pair in parsed.values() for p in pair]
    if json_out:
        plan_outputs([json_out], inputs, overwrite)
    variants, configs = {}, {}
    for name, (config, ckpt) in parsed.items():
        configs[name], variants[name] = load_trained(config, ckpt)
    size = image_size or next(iter(configs.values())).image_size
    by_id = {id(m): n for n, m in variants.items()}
    rows = measure_variants(
        variants,
        size,
        threads,
        runs,
        macs=lambda m: effective_macs(m, size, size),
        evaluate=(lambda m: DetectionEvaluator(configs[by_id[id(m)]])(m)) if with_map else None)
    result = CompareResult(size, threads, rows)
    if json_out:
        write_json(json_out, dict(size=size, threads=threads, rows=rows), inputs, overwrite)
    return result


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
    from .measure import measure_variants
    from .structured import prune_detector
    from .unstructured import effective_macs, magnitude_prune_
    _check_ratio('ratio', ratio)
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
    rows = measure_variants(
        variants,
        size,
        threads,
        runs,
        macs=lambda m: effective_macs(m, size, size),
        evaluate=DetectionEvaluator(cfg) if with_map else None)
    rows[names[2]]['ratio'], rows[names[3]]['ratio'] = ratio, high
    return CompareResult(size, threads, rows)
