"""EfficientNet's step 1 on the user's data: train the phi = 1 model of each
(alpha, beta, gamma) on the grid, evaluate it, count and measure its cost,
and give the models the best coefficients make at larger phi
(``tools/analysis_tools/search_coefficients.py``)."""
from __future__ import annotations
import copy
import csv
import io
import json
import os.path as osp
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..config_utils import set_config_epochs, set_config_image_size, with_scaled_model
from ..errors import UserError
from ..fileio import plan_outputs, write_outputs
from ..measure.complexity import count_params, measure_complexity
from ..measure.latency import INFERENCE_PATHS, measure_latencies
from ..scaling import get_efficientdet_scale
from ..utils.config_loader import load_config
from ..utils.timing import timed
from .coefficients import Coefficients, coefficient_grid, scaled_level

#: Columns of the table (one row per coefficient set).
COLUMNS = ('name', 'alpha', 'beta', 'gamma', 'bifpn_factor', 'flops_factor', 'paper', 'image_size',
           'backbone_width', 'backbone_depth', 'bifpn_channels', 'bifpn_repeats', 'head_repeats',
           'gmacs', 'params_m', 'latency_ms', 'bbox_mAP', 'bbox_mAP_50', 'train_s')


@dataclass
class GridRow:
    """One trained and measured phi = 1 candidate."""
    coeffs: Coefficients
    level: dict
    gmacs: float
    params_m: float
    latency_ms: float
    bbox_mAP: float
    bbox_mAP_50: float
    train_s: float

    def to_dict(self) -> dict:
        backbone = self.level['backbone']
        return dict(
            name=self.coeffs.name,
            alpha=self.coeffs.alpha,
            beta=self.coeffs.beta,
            gamma=self.coeffs.gamma,
            bifpn_factor=self.coeffs.bifpn_factor,
            flops_factor=round(self.coeffs.flops_factor, 4),
            paper=self.coeffs.is_paper,
            image_size=self.level['image_size'],
            backbone_width=backbone['width'],
            backbone_depth=backbone['depth'],
            bifpn_channels=self.level['bifpn_channels'],
            bifpn_repeats=self.level['bifpn_repeats'],
            head_repeats=self.level['head_repeats'],
            gmacs=round(self.gmacs, 4),
            params_m=round(self.params_m, 4),
            latency_ms=round(self.latency_ms, 2),
            bbox_mAP=self.bbox_mAP,
            bbox_mAP_50=self.bbox_mAP_50,
            train_s=round(self.train_s, 1))


@dataclass
class ScaledModel:
    """A model the best coefficients give at a larger phi (counted, not
    trained)."""
    phi: float
    level: dict
    gmacs: float
    params_m: float
    config: str


@dataclass
class GridResult:
    """Everything :func:`search_coefficients` trained, measured and wrote.

    Attributes:
        config (str): The user's config.
        base_level (str | dict): Its ``level``; base_size its input side.
        epochs (int): Training epochs of each candidate.
        inference_path (str): Inference path of the latency column.
        rows (list[GridRow]): One per coefficient set, in grid order.
        best (GridRow): Highest bbox mAP (ties: fewer GMACs).
        scaled (list[ScaledModel]): The best coefficients at larger phi.
        files (list[str]): What was written.
    """
    config: str
    base_level: object
    base_size: int
    epochs: int
    inference_path: str
    rows: List[GridRow] = field(default_factory=list)
    best: Optional[GridRow] = None
    scaled: List[ScaledModel] = field(default_factory=list)
    files: List[str] = field(default_factory=list)

    @property
    def paper(self) -> Optional[GridRow]:
        return next((r for r in self.rows if r.coeffs.is_paper), None)

    def to_dict(self) -> dict:
        return dict(
            config=self.config,
            base_level=self.base_level,
            base_size=self.base_size,
            epochs=self.epochs,
            inference_path=self.inference_path,
            rows=[r.to_dict() for r in self.rows],
            best=self.best.coeffs.name if self.best else None,
            best_coefficients=asdict(self.best.coeffs) if self.best else None,
            paper_mAP=self.paper.bbox_mAP if self.paper else None,
            scaled=[
                dict(
                    phi=s.phi,
                    level=s.level,
                    gmacs=round(s.gmacs, 4),
                    params_m=round(s.params_m, 4),
                    config=osp.basename(s.config)) for s in self.scaled
            ])

    def summary(self) -> str:
        lines = [
            f'{"coefficients":<22}{"a*b^2*g^2":>10}{"size":>6}'
            f'{"GMACs":>8}{"params M":>10}{"ms " + self.inference_path:>14}'
            f'{"mAP":>8}{"AP50":>8}'
        ]
        for r in self.rows:
            mark = ' (paper)' if r.coeffs.is_paper else ''
            mark += ' <- best' if r is self.best else ''
            lines.append(f'{r.coeffs.name:<22}{r.coeffs.flops_factor:>10.3f}'
                         f'{r.level["image_size"]:>6}{r.gmacs:>8.3f}{r.params_m:>10.3f}'
                         f'{r.latency_ms:>14.1f}{r.bbox_mAP:>8.3f}{r.bbox_mAP_50:>8.3f}' + mark)
        if self.best is not None:
            paper = self.paper
            if paper is not None and paper is not self.best:
                lines.append(f'best: {self.best.coeffs.name} (mAP '
                             f'{self.best.bbox_mAP:.3f} vs the paper\'s '
                             f'{paper.bbox_mAP:.3f})')
            elif paper is self.best:
                lines.append('best: the paper\'s coefficients (nothing on the '
                             'grid did better)')
        for s in self.scaled:
            lines.append(f'phi={s.phi:g}: {s.level["image_size"]}px, BiFPN '
                         f'{s.level["bifpn_channels"]}x'
                         f'{s.level["bifpn_repeats"]}, {s.gmacs:.2f} GMACs, '
                         f'{s.params_m:.2f} M params -> {s.config}')
        return '\n'.join(lines + self.files)


def candidate_cfg(cfg, level: dict):
    """A copy of the user's config with the model and input scaled to
    ``level``; everything else (data, schedule, head, anchors) kept.

    Only what compound scaling changes is replaced
    (:func:`~mmdet_efficientdet.config_utils.scaled_model`); the backbone
    starts from random weights (no ImageNet checkpoint exists for multipliers
    no row holds) with no stage frozen, and ``load_from`` is dropped, so
    every candidate starts from the same initialisation (same seed).
    """
    out = copy.deepcopy(cfg)
    out.level = level
    out.image_size = level['image_size']
    out.model = with_scaled_model(out.model.to_dict(), level)
    out.model['backbone']['init_cfg'] = None
    # frozen random weights would stay random: train every stage
    out.model['backbone']['frozen_stages'] = -1
    out.load_from = None
    out.resume = False
    set_config_image_size(out, level['image_size'])
    return out


def _short_schedule(cfg, epochs: int, seed: int, work_dir: str, tag: str):
    """``cfg`` set to train ``epochs`` epochs from seed ``seed`` into
    ``work_dir``, validating only after training."""
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' in train_cfg or 'IterBased' in str(train_cfg.get('type')):
        raise UserError('train_cfg: the coefficient search trains by epochs; '
                        'give an epoch-based config (max_epochs)')
    set_config_epochs(cfg, epochs)
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=epochs, val_begin=epochs + 1)
    cfg.default_hooks = cfg.get('default_hooks', {})
    cfg.default_hooks['checkpoint'] = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1, save_best=None)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.work_dir = work_dir
    cfg.experiment_name = tag
    if cfg.get('visualizer'):
        cfg.visualizer['name'] = tag  # one visualizer instance per run
    return cfg


def train_and_evaluate(cfg) -> Tuple[Dict[str, float], torch.nn.Module]:
    """Train ``cfg`` and evaluate it on its validation set.

    Returns:
        tuple: The validation metrics (``coco/bbox_mAP`` ...) and the trained
        model.
    """
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()
    metrics = runner.val()
    return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}, runner.model


def _counted(model, size: int):
    return (measure_complexity(model.eval(), size, size).flops / 1e9, count_params(model) / 1e6)


def _build(cfg):
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model.eval()


def _train_point(cfg, coeffs, level: dict, epochs: int, seed: int, out_dir: str,
                 log: Callable[[str], None]) -> Tuple['GridRow', Tuple[object, int]]:
    """Train and evaluate one grid point's phi = 1 model; returns its row
    (latency still NaN) and ``(model, input size)`` for the timing run."""
    cand = candidate_cfg(cfg, level)
    run_dir = osp.join(out_dir, 'runs', coeffs.name)
    _short_schedule(cand, epochs, seed, run_dir, f'grid_{coeffs.name}_{int(time.time())}')
    log(f'    input {level["image_size"]}, backbone width {level["backbone"]["width"]:g} depth '
        f'{level["backbone"]["depth"]:g}, BiFPN {level["bifpn_channels"]}x'
        f'{level["bifpn_repeats"]}')
    (metrics, model), train_s = timed(train_and_evaluate, cand)
    gmacs, params = _counted(model, level['image_size'])
    row = GridRow(coeffs, level, gmacs, params, float('nan'),
                  metrics.get('coco/bbox_mAP', float('nan')),
                  metrics.get('coco/bbox_mAP_50', float('nan')), train_s)
    log(f'    mAP {row.bbox_mAP:.3f}, {gmacs:.3f} GMACs, {train_s:.0f} s')
    return row, (model.cpu().eval(), level['image_size'])


def _result_files(result: 'GridResult', cfg, base, base_size: int, phis: Sequence[float],
                  size_divisor: int, outputs: Sequence[str]) -> Dict[str, str]:
    """The search's files by path (``outputs``: grid.json, grid.csv,
    phi1_best.py, phi<k>_best.py ..., manifest.json): the best point's
    configs at phi 1 and at each of ``phis`` (counted into
    ``result.scaled``) and the table."""
    files = {outputs[2]: candidate_cfg(cfg, result.best.level).pretty_text}
    for phi, name in zip(phis, outputs[3:-1]):
        level = scaled_level(base, base_size, result.best.coeffs, phi, size_divisor)
        scaled = candidate_cfg(cfg, level)
        gmacs, params = _counted(_build(scaled), level['image_size'])
        files[name] = scaled.pretty_text
        result.scaled.append(ScaledModel(phi, level, gmacs, params, name))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(r.to_dict() for r in result.rows)
    files[outputs[0]] = json.dumps(result.to_dict(), indent=1) + '\n'
    files[outputs[1]] = table.getvalue()
    return files


def _check_arguments(config: str, cfg, inference_path: str, epochs: int) -> None:
    """The inference path, the epochs and the config's ``level``, before anything."""
    if inference_path not in INFERENCE_PATHS:
        raise UserError(f'--target {inference_path!r}: choose from {list(INFERENCE_PATHS)}')
    if epochs < 1:
        raise UserError(f'--epochs {epochs} must be >= 1')
    if 'level' not in cfg:
        raise UserError(f'{config}: no `level` (the row or numbers the '
                        f'config scales); the search scales a config\'s level')


def _check_later_stages(base, base_size: int, grid, phis: Sequence[float], size_divisor: int,
                        threads: int, runs: int) -> None:
    """Check every argument used after training, before any training: a
    bad ``--phis`` found after hours of runs would lose them all.

    Raises:
        UserError: naming the argument.
    """
    for name, value in (('--threads', threads), ('--runs', runs), ('--size-divisor', size_divisor)):
        if int(value) < 1:
            raise UserError(f'{name} {value} must be >= 1')
    bad = [p for p in phis if not 0 < p <= 8]
    if bad or len(set(phis)) != len(phis):
        raise UserError(f'--phis {" ".join(f"{p:g}" for p in phis)}: each phi must be in '
                        f'(0, 8] and given once')
    for coeffs in grid:  # every model the search may write, built as data
        for phi in (1, *phis):
            scaled_level(base, base_size, coeffs, phi, size_divisor)


def search_coefficients(config: str,
                        out_dir: str,
                        epochs: int,
                        alphas: Sequence[float],
                        betas: Sequence[float],
                        gammas: Sequence[float],
                        bifpn_factors: Sequence[float] = (1.35, ),
                        flops_factor: float = 2.0,
                        tolerance: float = 0.15,
                        phis: Sequence[float] = (2, 3),
                        size_divisor: int = 32,
                        inference_path: str = 'eager',
                        threads: int = 2,
                        runs: int = 10,
                        seed: int = 0,
                        cfg_options: Optional[dict] = None,
                        overwrite: bool = False,
                        log: Callable[[str], None] = print) -> GridResult:
    """EfficientNet's step 1 on ``config``'s data and schedule.

    For every (alpha, beta, gamma) of :func:`coefficient_grid` (the paper's
    included): build the phi = 1 model of the config's ``level``
    (:func:`scaled_level` at its ``image_size``), train it ``epochs``
    epochs from the same seed, evaluate on the validation set, count its
    multiply-adds and parameters; after the last one, measure every
    candidate's latency on ``inference_path`` in one interleaved run. The
    best coefficients (highest bbox mAP; ties: fewer GMACs) give the models at
    each of ``phis`` (counted, not trained). Writes ``out_dir/grid.json``,
    ``grid.csv``, ``phi1_best.py`` and ``phi<k>_best.py`` (complete configs
    to train with ``tools/train.py``) and ``manifest.json``; training work
    folders go to ``out_dir/runs/<coefficients>/``.

    Raises:
        UserError: a bad grid, a config without ``level``, an iteration-based
            schedule, an unknown inference path, or outputs of an earlier run (without
            ``overwrite``).
    """
    grid = coefficient_grid(alphas, betas, gammas, bifpn_factors, flops_factor, tolerance)
    cfg = load_config(config, cfg_options)
    _check_arguments(config, cfg, inference_path, epochs)
    base = get_efficientdet_scale(cfg.level)
    base_size = int(cfg.get('image_size', base.image_size))
    _check_later_stages(base, base_size, grid, phis, size_divisor, threads, runs)
    result = GridResult(osp.abspath(config), cfg.level, base_size, epochs, inference_path)
    names = ['phi1_best.py'] + [f'phi{p:g}_best.py' for p in phis]
    outputs = [osp.join(out_dir, n) for n in ('grid.json', 'grid.csv', *names, 'manifest.json')]
    plan_outputs(outputs, [config], overwrite)  # before hours of training
    log(f'{len(grid)} coefficient sets: ' + ', '.join(c.name for c in grid))
    earlier = [c.name for c in grid if osp.exists(osp.join(out_dir, 'runs', c.name))]
    if earlier and not overwrite:  # before any training
        raise UserError(f'{osp.join(out_dir, "runs", earlier[0])} exists (an earlier search); '
                        f'pass --overwrite or choose another --out-dir')
    trained = {}
    for i, coeffs in enumerate(grid):
        log(f'[{i + 1}/{len(grid)}] {coeffs.name}')
        level = scaled_level(base, base_size, coeffs, 1, size_divisor)
        row, trained[coeffs.name] = _train_point(cfg, coeffs, level, epochs, seed, out_dir, log)
        result.rows.append(row)
    log(f'latency on {inference_path}, all candidates in one interleaved run')
    with tempfile.TemporaryDirectory(prefix='grid-') as tmp:
        latencies = measure_latencies(trained, inference_path, tmp, threads, runs)
    for row in result.rows:
        row.latency_ms = latencies[row.coeffs.name]
    result.best = max(
        result.rows, key=lambda r: (r.bbox_mAP if r.bbox_mAP == r.bbox_mAP else -1.0, -r.gmacs))
    files = _result_files(result, cfg, base, base_size, phis, size_divisor, outputs)
    result.files = write_outputs(
        files, [config],
        overwrite,
        manifest_dir=out_dir,
        tool='search_coefficients',
        config=osp.abspath(config),
        epochs=epochs,
        inference_path=inference_path)
    return result
