"""``tools/nas/search.py``'s run: a trained supernet -> the Pareto front and
the chosen sub-network as a plain config + checkpoint.

Steps: the latency table on the deploy path (:mod:`.latency_table`), checked
against direct measurements of random sub-networks; regularised evolution
(:mod:`.evolution`) scoring each sub-network by COCO mAP on the val split
with the supernet's weights after BN recalibration and by the table's
latency; the Pareto front's finalists and the parent network measured
directly in one interleaved run; the best finalist within the target is cut
out (:func:`~.subnet.extract_subnet`) with a config ready for
``tools/train.py``.
"""
from __future__ import annotations
import copy
import dataclasses
import io
import itertools
import json
import os
import os.path as osp
import random
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.runner import Runner

from ..config_utils import set_config_epochs
from ..errors import UserError
from ..evaluation import DetectionEvaluator
from ..fileio import atomic_write, commit_folder, temp_path
from ..measure import check_inference_paths
from ..models.backbones.efficientnet import network_def
from ..models.layers.block_string import parse_block_string
from ..models.search_space import SearchSpace, SubnetChoice
from ..models.trained import load_trained
from ..utils.config_loader import load_config
from .bn_recalibration import recalibrate_bn
from .evolution import Candidate, mnas_reward, pareto_front, regularized_evolution
from .latency_table import (LatencyTable, block_keys, build_latency_table, choice_measure,
                            prediction_errors)
from .pareto_plot import plot_pareto
from .subnet import extract_subnet, search_space_of, subnet_config


@dataclasses.dataclass
class SearchSettings:
    """How the search runs (the tool's options)."""
    inference_path: str = 'ov-int8'
    latency_ms: Optional[float] = None
    latency_ratio: Optional[float] = None
    cycles: int = 48
    population: int = 16
    sample: int = 4
    calib_batches: int = 4
    check_subnets: int = 10
    finalists: int = 6
    threads: int = 2
    runs: int = 10
    seed: int = 0
    latency_table: Optional[str] = None
    #: Sub-networks the table times per input size (None: twice its unknowns).
    table_subnets: Optional[int] = None
    #: Epochs of the fine-tune ``subnet_config.py`` is written for (the Lite0
    #: template's 40; small networks gained from 80, docs/architecture_search.md).
    finetune_epochs: int = 40


@dataclasses.dataclass
class SearchResult:
    """Everything the search measured (``search.json``)."""
    inference_path: str
    #: The limit the finalists are held to: ``--latency-ms``, or R times
    #: the parent measured in the finalists' run.
    limit_ms: float
    #: The limit the evolution used on the table's predictions (R times the
    #: parent's prediction for a ratio target).
    search_limit_ms: float
    parent: Dict
    parent_sizes: List[Dict]
    table_error: Dict
    candidates: List[Dict]
    front: List[Dict]
    finalists: List[Dict]
    chosen: Dict
    files: Dict[str, str]
    #: Wall seconds of each phase: ``latency_table`` (0 when reused),
    #: ``direct_check``, ``evolution``, ``finalists`` (with the files).
    seconds: Dict[str, float] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        """Readable lines for the tool to print."""
        c, err = self.chosen, self.table_error
        lines = [
            f'latency table on {self.inference_path}: median error {err["median"]:.1%} '
            f'(max {err["max"]:.1%}) over {err["count"]} '
            f'sub-networks measured directly; scaled by the reference measured in the same run '
            f'{err["median_same_run"]:.1%} (max {err["max_same_run"]:.1%})',
            f'parent {self.parent["name"]}: {self.parent["measured_ms"]:.2f} ms, '
            f'mAP {self.parent["mAP"]:.3f} (supernet weights)',
            *(f'parent at {r["choice"]["image_size"]} px: {r["measured_ms"]:.2f} ms, mAP '
              f'{r["mAP"]:.3f}' for r in self.parent_sizes),
            f'limit {self.limit_ms:.2f} ms in the finalists\' run ({self.search_limit_ms:.2f} '
            f'ms on the table\'s predictions); {len(self.candidates)} sub-networks scored, '
            f'{len(self.front)} on the Pareto front',
            f'chosen {c["name"]}: {c["measured_ms"]:.2f} ms, mAP {c["mAP"]:.3f} '
            f'(supernet weights, before fine-tuning)'
        ]
        if self.seconds:
            lines.append('wall time: ' + ', '.join(f'{k.replace("_", " ")} {v:.0f} s'
                                                   for k, v in self.seconds.items()))
        return '\n'.join(lines + [f'{k}: {v}' for k, v in self.files.items()])


def _row(space: SearchSpace, cand: Candidate, **extra) -> Dict:
    return dict(
        name=cand.choice.name(),
        choice=cand.choice.to_dict(),
        mAP=cand.accuracy,
        predicted_ms=cand.latency,
        reward=cand.reward,
        **extra)


def parent_choice(cfg, space: SearchSpace) -> SubnetChoice:
    """The supernet's parent network (e.g. Lite0) as a choice of the space,
    at the config's own image size: its block strings' kernels, expansions
    and repeats, the config's BiFPN repeats and head depth."""
    blocks = network_def(cfg.model.backbone.get('arch', 'b0')).blocks
    stages = tuple(
        (a.kernel_size, a.expand_ratio, a.repeats) for a in (parse_block_string(b) for b in blocks))
    choice = SubnetChoice(stages, cfg.model.neck.get('num_stages', 0),
                          cfg.model.bbox_head.get('stacked_convs', 0),
                          int(cfg.get('image_size', max(space.image_size))))
    try:
        space.check(choice)
    except UserError as err:
        raise UserError(f'search_space must contain the parent network as configured '
                        f'({choice.name()}), the point every result is compared with: '
                        f'{err}') from None
    return choice


class SubnetScorer:
    """COCO mAP of sub-networks with the supernet's weights: per input size a
    val evaluator and calibration batches of training images (test
    pipeline), BN statistics recalibrated before each score."""

    def __init__(self, cfg, supernet, calib_batches: int) -> None:
        self.cfg, self.supernet, self.calib_batches = cfg, supernet, calib_batches
        self._evaluators: Dict[int, object] = {}
        self._batches: Dict[int, list] = {}

    def _for_size(self, size: int):
        if size not in self._evaluators:

            sub = subnet_config(self.cfg,
                                dataclasses.replace(self.supernet.choice, image_size=size))
            self._evaluators[size] = DetectionEvaluator(sub)
            loader_cfg = copy.deepcopy(sub.train_dataloader)
            loader_cfg.dataset.pipeline = sub.val_dataloader.dataset.pipeline
            loader_cfg.update(num_workers=0, persistent_workers=False)
            loader_cfg.sampler = dict(type='DefaultSampler', shuffle=True, seed=0)
            loader = Runner.build_dataloader(loader_cfg, seed=0)
            self._batches[size] = list(itertools.islice(loader, self.calib_batches))
        return self._evaluators[size], self._batches[size]

    def __call__(self, choice: SubnetChoice) -> float:
        evaluator, batches = self._for_size(choice.image_size)
        self.supernet.set_choice(choice)
        recalibrate_bn(self.supernet, batches)
        return evaluator(self.supernet)


def _parent_sizes(parent: SubnetChoice, space: SearchSpace) -> List[SubnetChoice]:
    """The parent network at the space's other input sizes (the family's
    points next to it: e.g. Lite0 at 256 px)."""
    return [
        dataclasses.replace(parent, image_size=s) for s in space.image_size
        if s != parent.image_size
    ]


def _check_request(settings: SearchSettings, out_dir: str) -> None:
    check_inference_paths([settings.inference_path])
    if (settings.latency_ms is None) == (settings.latency_ratio is None):
        raise UserError('give one of --latency-ms MS and --latency-ratio R')
    if osp.exists(out_dir):
        raise UserError(f'--out-dir {out_dir}: exists; give a new folder (nothing is '
                        f'overwritten)')


def _check_limit(table: LatencyTable, space: SearchSpace, limit_ms: float,
                 inference_path: str) -> None:
    smallest = table.predict(space, space.smallest())
    if smallest > limit_ms:
        raise UserError(f'latency target {limit_ms:.2f} ms is below the smallest '
                        f'sub-network\'s {smallest:.2f} ms on {inference_path}')


def _latency_table(cfg, space, settings, work_dir) -> LatencyTable:
    if settings.latency_table:
        with open(settings.latency_table) as f:
            data = json.load(f)
        try:
            table = LatencyTable.from_dict(data)
        except UserError as e:
            raise UserError(f'--latency-table {settings.latency_table}: {e}') from None
        if table.inference_path != settings.inference_path or set(table.reference) != set(
                space.image_size):
            raise UserError(f'--latency-table {settings.latency_table}: measured on '
                            f'{table.inference_path} for sizes {sorted(table.reference)}, not '
                            f'{settings.inference_path} for {list(space.image_size)}')
        if any(set(costs) != set(block_keys(space)) for costs in table.costs.values()):
            raise UserError(f'--latency-table {settings.latency_table}: its blocks are not '
                            f'those of this search space; measure it again')
        return table
    measure = choice_measure(cfg, settings.inference_path, work_dir, settings.threads,
                             settings.runs)
    return build_latency_table(space, settings.inference_path, measure, settings.table_subnets,
                               settings.seed)


def _held_out(space: SearchSpace, table: LatencyTable, rng: random.Random,
              count: int) -> Dict[str, SubnetChoice]:
    """``count`` random sub-networks the table was not fitted to (fewer
    when the space has no more)."""
    drawn = space.sample_distinct(rng, count, table.fitted_on())
    return {f'check{i}': choice for i, choice in enumerate(drawn)}


def _direct_check(cfg, space: SearchSpace, table: LatencyTable, settings: SearchSettings,
                  parent: SubnetChoice, rng: random.Random, work: str) -> Tuple[float, Dict]:
    """Random sub-networks the table was not fitted to, the parent and
    each size's reference timed in one run: ``(parent ms, the table's
    errors)`` (:func:`prediction_errors`)."""
    checks = _held_out(space, table, rng, settings.check_subnets)
    references = {
        f'reference{s}': dataclasses.replace(space.smallest(), image_size=s)
        for s in space.image_size
    }
    measure = choice_measure(cfg, settings.inference_path, work, settings.threads, settings.runs)
    measured = measure(dict(checks, parent=parent, **references))
    errors = prediction_errors(table, space, {
        c: measured[k]
        for k, c in checks.items()
    }, {
        c.image_size: measured[k]
        for k, c in references.items()
    })
    return measured['parent'], errors


def search_architecture(config: str, checkpoint: str, out_dir: str,
                        settings: SearchSettings) -> SearchResult:
    """Search a trained supernet for the best sub-network within a latency
    target on an inference path.

    Args:
        config: A supernet config (``model.type='EfficientDetSupernet'``).
        checkpoint: The supernet's trained weights.
        out_dir: A new folder for ``search.json``, ``pareto.png``,
            ``latency_table.json``, ``subnet_config.py`` and ``subnet.pth``.
        settings: Inference path, limit (``latency_ms``, or ``latency_ratio``
            times the parent's latency measured in the same run) and search
            sizes.

    Raises:
        UserError: an unknown path, no or two limits, an existing
            ``out_dir``, a target below the smallest sub-network's latency,
            a config that is not a supernet.
    """
    space = search_space_of(load_config(config))
    _check_request(settings, out_dir)
    cfg, supernet = load_trained(config, checkpoint)
    work = tempfile.gettempdir()  # deployed files while they are timed
    clock = [time.perf_counter()]
    seconds: Dict[str, float] = {}

    def lap(phase: str) -> None:
        clock.append(time.perf_counter())
        seconds[phase] = round(clock[-1] - clock[-2], 1)

    table = _latency_table(cfg, space, settings, work)
    lap('latency_table')
    if settings.latency_ms is not None:
        _check_limit(table, space, settings.latency_ms, settings.inference_path)
    # staged beside out_dir and committed whole at the end, like a deploy; a
    # killed search leaves its table in the stage (.OUT.tmp-PID/) to reuse
    stage = temp_path(out_dir)
    os.makedirs(stage)
    atomic_write(osp.join(stage, 'latency_table.json'), json.dumps(table.to_dict(), indent=1))
    rng = random.Random(settings.seed)
    parent = parent_choice(cfg, space)
    parent_ms, table_error = _direct_check(cfg, space, table, settings, parent, rng, work)
    # the search compares the table's predictions, so a ratio target is the
    # parent's prediction times R (the same units); the finalists are then
    # held to R times the parent measured in their own run (_finish)
    limit_ms = settings.latency_ms or settings.latency_ratio * table.predict(space, parent)
    _check_limit(table, space, limit_ms, settings.inference_path)
    lap('direct_check')
    scorer = SubnetScorer(cfg, supernet, settings.calib_batches)

    def evaluate(choice: SubnetChoice) -> Candidate:
        acc, lat = scorer(choice), table.predict(space, choice)
        return Candidate(choice, acc, lat, mnas_reward(acc, lat, limit_ms))

    history = regularized_evolution(
        space,
        evaluate,
        rng,
        settings.cycles,
        settings.population,
        settings.sample,
        seeds=[parent, space.smallest()] + _parent_sizes(parent, space))
    lap('evolution')
    result = _finish(cfg, supernet, space, table, history, parent, parent_ms, limit_ms, table_error,
                     settings, (out_dir, stage))
    lap('finalists')
    result.seconds = seconds
    atomic_write(osp.join(stage, 'search.json'), json.dumps(dataclasses.asdict(result), indent=1))
    commit_folder(stage, out_dir)
    return result


def _finish(cfg, supernet, space, table, history, parent, parent_ms, limit_ms, table_error,
            settings, folders: Tuple[str, str]) -> SearchResult:
    """Measure the finalists directly, choose, write the files."""
    front = pareto_front(history)
    under = [c for c in front if c.latency <= limit_ms * 1.1]
    finalists = (under[-settings.finalists:] if under else front[:settings.finalists])
    measure = choice_measure(cfg, settings.inference_path, tempfile.gettempdir(), settings.threads,
                             settings.runs)
    names = {f'final{i}': c for i, c in enumerate(finalists)}
    others = {f'parent{c.image_size}': c for c in _parent_sizes(parent, space)}
    ms = measure(dict({k: c.choice for k, c in names.items()}, parent=parent, **others))
    search_limit, limit_ms = limit_ms, settings.latency_ms or settings.latency_ratio * ms['parent']
    rows = [_row(space, c, measured_ms=ms[k]) for k, c in names.items()]
    fits = [r for r in rows if r['measured_ms'] <= limit_ms] or sorted(
        rows, key=lambda r: r['measured_ms'])[:1]
    chosen = max(fits, key=lambda r: (r['mAP'], -r['measured_ms']))
    scored = {c.choice: c for c in history}
    parent_row = _row(space, scored[parent], measured_ms=ms['parent'], measured_ms_search=parent_ms)
    parent_sizes = [_row(space, scored[c], measured_ms=ms[k]) for k, c in others.items()]
    files = _write_outputs(cfg, supernet, SubnetChoice.from_dict(chosen['choice']), history, front,
                           search_limit, [parent_row] + parent_sizes, folders,
                           settings.finetune_epochs)
    return SearchResult(settings.inference_path, limit_ms, search_limit, parent_row, parent_sizes,
                        table_error, [_row(space, c) for c in history],
                        [_row(space, c) for c in front], rows, chosen, files)


def _write_outputs(cfg, supernet, choice: SubnetChoice, history: Sequence[Candidate],
                   front: Sequence[Candidate], limit_ms: float, parents: List[Dict],
                   folders: Tuple[str, str], finetune_epochs: int) -> Dict[str, str]:
    """The chosen sub-network's config (its schedule set to
    ``finetune_epochs``) + checkpoint (BN recalibrated) and the Pareto
    plot, written into the stage of ``folders = (out_dir, stage)``; the
    returned paths and the config's ``load_from`` are those in ``out_dir``."""
    out_dir, stage = folders

    sub = subnet_config(cfg, choice)
    set_config_epochs(sub, finetune_epochs)
    ckpt = osp.join(out_dir, 'subnet.pth')
    sub.load_from = ckpt
    sub.work_dir = osp.join('work_dirs', osp.basename(osp.normpath(out_dir)) + '_finetune')
    scorer = SubnetScorer(cfg, supernet, 4)
    scorer(choice)  # BN statistics of the chosen one
    plain = MODELS.build(sub.model)
    state = extract_subnet(supernet, choice, plain)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state, meta=dict(search_choice=choice.to_dict())), buffer)
    atomic_write(osp.join(stage, 'subnet.pth'), buffer.getvalue())
    atomic_write(osp.join(stage, 'subnet_config.py'), sub.pretty_text)
    plot_pareto(history, front, limit_ms, parents, osp.join(stage, 'pareto.png'))
    return {
        key: osp.join(out_dir, name)
        for key, name in (('config', 'subnet_config.py'), ('checkpoint', 'subnet.pth'),
                          ('plot', 'pareto.png'))
    }
