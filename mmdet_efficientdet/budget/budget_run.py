"""Scale to a budget: the run ``tools/analysis_tools/scale_to_budget.py`` makes."""
from __future__ import annotations
import os.path as osp
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..deployment import get_inference_path
from ..errors import UserError
from ..fileio import plan_outputs, write_outputs
from .candidates import FAMILIES, Candidate, candidate_config, family_candidates
from .costs import CostMeter
from .family_choice import FamilySearch, largest_under_budget
from .report import budget_files


@dataclass
class BudgetResult:
    """What :func:`scale_to_budget` measured and chose.

    Attributes:
        metric, unit, inference_path (str): The budget's metric (``inference_path``: for
            latency).
        budget (float): The budget.
        batch (int): Training batch of a memory budget.
        families (list[FamilySearch]): Each family's search.
        candidates (list[Candidate]): Everything enumerated.
        chosen (Candidate, optional): The best fitting model: among the
            families' largest fitting ones, the highest published COCO val
            AP when all have one, else the most multiply-adds
            (:func:`choose_winner`).
        chosen_by (str): What decided the choice.
        chosen_cost (float, optional): Its measured cost.
        chosen_gmacs (dict): family winner -> counted GMACs (the choice).
        files (list[str]): What was written.
    """
    metric: str
    unit: str
    inference_path: Optional[str]
    budget: float
    batch: int
    families: List[FamilySearch]
    candidates: List[Candidate]
    chosen: Optional[Candidate] = None
    chosen_cost: Optional[float] = None
    chosen_gmacs: dict = field(default_factory=dict)
    chosen_by: str = ''
    files: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(
            metric=self.metric,
            unit=self.unit,
            inference_path=self.inference_path,
            budget=self.budget,
            batch=self.batch,
            chosen=self.chosen.name if self.chosen else None,
            chosen_level=self.chosen.level if self.chosen else None,
            chosen_image_size=self.chosen.image_size if self.chosen else None,
            chosen_cost=self.chosen_cost,
            winners_gmacs=self.chosen_gmacs,
            chosen_by=self.chosen_by,
            families={
                s.family:
                dict(
                    chosen=s.chosen.name if s.chosen else None,
                    above=s.above.name if s.above else None,
                    measured=s.measured)
                for s in self.families
            })

    def summary(self) -> str:
        what = self.metric + (f' on {self.inference_path}' if self.inference_path else
                              '') + (f' at batch {self.batch}' if self.metric == 'memory' else '')
        lines = [f'budget: {what} <= {self.budget:g} {self.unit}']
        for s in self.families:
            measured = ', '.join(f'{n} {v:.3g}' for n, v in s.measured.items())
            pick = s.chosen.name if s.chosen else 'none fits'
            lines.append(f'  {s.family:<5} largest within budget: {pick}' +
                         (f' (next: {s.above.name})' if s.above else '') +
                         f'; measured: {measured}')
        if self.chosen is not None:
            lines.append(f'chosen: {self.chosen.name} ({self.chosen.image_size}px, '
                         f'{self.chosen_cost:.3g} {self.unit}' +
                         (f', {self.chosen_gmacs[self.chosen.name]:.3g} GMACs' if self.metric !=
                          'gflops' else '') +
                         (f', published COCO val AP {self.chosen.coco_ap_val}' if self.chosen.
                          coco_ap_val else '') + f'; chosen by {self.chosen_by})')
        lines += self.files
        return '\n'.join(lines)


def is_int8_path(inference_path: Optional[str]) -> bool:
    """Whether an inference path runs an int8 model (``ort-int8``, ``ov-int8``)."""
    return bool(inference_path) and get_inference_path(inference_path).precision == 'int8'


def choose_winner(winners: List[Candidate],
                  gmacs: Dict[str, float],
                  int8: bool = False) -> Tuple[Candidate, str]:
    """The overall choice among the families' largest fitting models.

    By published COCO val AP (the int8 number on an int8 path) when every
    winner has one; otherwise by counted multiply-adds, saying which winner
    has no published AP.

    Returns:
        tuple: ``(chosen, what it was chosen by)``.
    """
    aps = {w.name: w.published_ap(int8) for w in winners}
    if len(winners) > 1 and all(ap is not None for ap in aps.values()):
        chosen = max(winners, key=lambda w: (aps[w.name], gmacs[w.name]))
        return chosen, f'published COCO val AP{" (int8)" if int8 else ""}'
    chosen = max(winners, key=lambda w: gmacs[w.name])
    if len(winners) == 1:
        return chosen, 'the only model within budget'
    without = ', '.join(n for n, ap in aps.items() if ap is None)
    return chosen, f'multiply-adds (no published AP for {without})'


def scale_to_budget(budget: float,
                    metric: str,
                    base_config: str,
                    out_dir: str,
                    inference_path: Optional[str] = None,
                    families: Sequence[str] = FAMILIES,
                    phi_step: float = 0.25,
                    max_phi: float = 7.0,
                    batch: int = 2,
                    threads: int = 2,
                    runs: int = 10,
                    overwrite: bool = False,
                    log: Callable[[str], None] = print) -> BudgetResult:
    """Find the largest EfficientDet under ``budget``; write its config.

    Enumerates the families (:func:`family_candidates`), finds each
    family's largest model whose *measured* cost is within the budget
    (:func:`largest_under_budget`: a few measurements near the boundary) and
    picks the winner with the most multiply-adds. Writes
    ``out_dir/budget.{json,csv,png}``, ``out_dir/<chosen>.py`` (a config to
    train) and ``out_dir/manifest.json``.

    Raises:
        UserError: a budget <= 0, an unknown metric/inference path/family, an output
            of an earlier run (without ``overwrite``), or a budget that
            nothing meets (the smallest candidates' costs are given).
    """
    if not budget > 0:
        raise UserError(f'--budget {budget:g} must be > 0')
    if not osp.isfile(base_config):
        raise FileNotFoundError(f'base config {base_config!r} not found')
    candidates = family_candidates(families, phi_step, max_phi)
    prefix = osp.join(out_dir, 'budget')
    fixed = [prefix + ext
             for ext in ('.json', '.csv', '.png')] + [osp.join(out_dir, 'manifest.json')]
    plan_outputs(fixed, [base_config], overwrite)  # before measuring
    with tempfile.TemporaryDirectory(prefix='budget-') as work_dir:
        meter = CostMeter(metric, osp.abspath(base_config), work_dir, inference_path, batch,
                          threads, runs)
        searches = []
        for family in dict.fromkeys(c.family for c in candidates):
            members = [c for c in candidates if c.family == family]
            log(f'{family}: {len(members)} candidates, {members[0].name} ... '
                f'{members[-1].name}')
            searches.append(largest_under_budget(members, meter, budget))
        result = BudgetResult(metric, meter.unit, inference_path if metric == 'latency' else None,
                              budget, batch, searches, candidates)
        winners = [s.chosen for s in searches if s.chosen is not None]
        if not winners:
            smallest = ', '.join(f'{s.family}: {n} {v:.3g} {meter.unit}' for s in searches
                                 for n, v in list(s.measured.items())[:1])
            raise UserError(f'no model meets {metric} <= {budget:g} '
                            f'{meter.unit}; the smallest cost {smallest}')
        result.chosen_gmacs = {w.name: meter.count_gmacs(w) for w in winners}
        result.chosen, result.chosen_by = choose_winner(winners, result.chosen_gmacs,
                                                        is_int8_path(inference_path))
        result.chosen_cost = meter.costs[result.chosen.name]
    config_path = osp.join(out_dir, f'{result.chosen.name}.py')
    files = budget_files(result, prefix)
    files[config_path] = candidate_config(result.chosen, osp.abspath(base_config))
    result.files = write_outputs(
        files, [base_config],
        overwrite,
        manifest_dir=out_dir,
        tool='scale_to_budget',
        budget=budget,
        metric=metric,
        inference_path=inference_path)
    return result
