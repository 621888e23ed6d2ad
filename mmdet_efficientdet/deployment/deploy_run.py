"""The deployment run: every requested runtime file from one trained
detector, staged and moved into place complete (the files
``tools/deployment/deploy.py`` and the benchmark build)."""
from __future__ import annotations
import os
import os.path as osp
import shutil
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch

from ..errors import UserError
from ..fileio import commit_file, plan_outputs, temp_path, write_manifest
from ..models.raw_outputs import RawOutputs
from ..utils.image_size import ImageSize
from .inference_paths import get_inference_path
from .onnx_export import export_onnx
from .runtimes import default_targets, deploy_targets, target_runtime


def size_problems(model, size: ImageSize, targets: Sequence[str]) -> Dict[str, str]:
    """Targets whose runtime cannot run ``model`` at input ``size``, with
    the reason (:meth:`~.runtimes.Runtime.size_problem`)."""

    with torch.no_grad():
        cls_scores, _ = model._forward(torch.zeros(1, 3, *size))
    maps = [tuple(m.shape[-2:]) for m in cls_scores]
    problems = {t: target_runtime(t)[0].size_problem(maps) for t in targets}
    return {t: p for t, p in problems.items() if p}


def deploy_model(model,
                 out_dir: str,
                 size: ImageSize,
                 runtimes: Optional[Sequence[str]] = None,
                 batches: Sequence[np.ndarray] = (),
                 keep_float: Sequence[str] = ('auto', ),
                 log: Callable[[str], None] = print,
                 overwrite: bool = False,
                 inputs: Sequence[str] = ()) -> Dict[str, str]:
    """Write the deployment files of an eval-mode detector.

    The detector is exported once to an fp32 ONNX graph; each requested
    target's registered runtime (:func:`~.runtimes.target_runtime`) makes its
    file from it. Everything is built in a staging folder inside ``out_dir``
    and moved into place only when every file is complete (a killed run
    leaves the earlier files as they were); files of an earlier run are
    replaced only with ``overwrite``; ``out_dir/manifest.json`` lists what this
    run wrote. A target not asked for this time leaves its earlier file
    untouched.

    Args:
        model (EfficientDet): The detector, weights loaded, ``eval()``.
        out_dir (str): Folder for the files (``model_fp32.onnx``,
            ``model_int8.onnx``, ``model_fp32.xml`` + ``.bin`` ...).
        size (tuple[int, int]): Export input ``(H, W)``.
        runtimes (Sequence[str], optional): Targets, any of
            :func:`~.runtimes.deploy_targets` (default:
            :func:`~.runtimes.default_targets`).
        batches: int8 calibration inputs ``(1, 3, H, W)``
            (:func:`calibration_batches`); needed for the int8 targets.
        keep_float (Sequence[str]): ORT int8: ``['auto']`` (measured),
            ``['none']``, or node names left in float (each must exist).
        log: Where progress lines go.
        overwrite (bool): Replace files of an earlier run.
        inputs (Sequence[str]): The run's input files (config, checkpoint):
            never overwritten.

    Returns:
        dict: target name -> file written.
    """

    requested = [t for t in deploy_targets() if t in set(runtimes or default_targets())]
    for target in runtimes or ():
        target_runtime(target)  # an unknown name is one line listing the targets
    if any(get_inference_path(t).needs_calibration for t in requested) and not batches:
        raise UserError('int8 targets need calibration batches')
    chosen = {t: target_runtime(t) for t in requested}
    problems = size_problems(model, size, requested)
    if problems:
        target, problem = next(iter(problems.items()))
        raise UserError(f'{target} at {size[0]}x{size[1]}: {problem}')
    names = {t: cls.file_names(precision) for t, (cls, precision) in chosen.items()}
    wanted = [n for t in requested for n in names[t]]
    plan_outputs([osp.join(out_dir, n) for n in wanted + ['manifest.json']], inputs, overwrite)
    os.makedirs(out_dir, exist_ok=True)
    stage = temp_path(osp.join(out_dir, 'deploy'))  # a killed run's: stale_temp_files
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    try:
        fp32 = osp.join(stage, 'model_fp32.onnx')
        export_onnx(model, fp32, size)
        for cls, precision in chosen.values():
            extra = dict(model=RawOutputs(model).eval()) if cls.needs_model else {}
            cls.export(precision, fp32, stage, batches, keep_float, log, **extra)
        written = []
        for name in wanted:  # every file complete: move them into place
            written.append(commit_file(osp.join(stage, name), osp.join(out_dir, name)))
        write_manifest(
            out_dir, written, runtimes=requested, input_size=list(size), inputs=list(inputs))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {t: osp.join(out_dir, names[t][0]) for t in requested}
