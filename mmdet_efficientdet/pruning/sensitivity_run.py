"""The sensitivity run ``tools/pruning/prune_sensitivity.py`` makes: a
sensitivity table measured once, as a result object."""
from __future__ import annotations
import os.path as osp
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Union

import torch

from ..evaluation import DetectionEvaluator
from ..fileio import plan_outputs, write_outputs
from ..measure.pruned_variants import OrtLatency
from ..models.trained import load_trained
from .arguments import resolve_round_to
from .channel_groups import PruningError
from .report import table_files
from .sensitivity import activation_sensitivity_table, sensitivity_table

Log = Callable[[str], None]


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
