"""Latency of models on an inference path, measured in one interleaved run.

The one home of "how long does this model take on this path": the budget
search, the coefficient search and any new search call it. A path is eager
PyTorch or a file :func:`~mmdet_efficientdet.deployment.deploy_model` builds
(ONNX Runtime / OpenVINO, fp32 / int8); every model is timed in the same
interleaved run (:func:`~.timing.median_ms`: warm-up calls, then rounds
calling each once), so ratios between them come from one run on a noisy
machine.
"""
from __future__ import annotations
import copy
import functools
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..deployment import (check_inference_paths, deploy_model, fold_bn_into_convs,
                          get_inference_path, inference_paths, open_deployed)
from ..utils.image_size import ImageSize, ImageSizeLike, to_image_size
from ..utils.timing import median_ms

#: Names of the inference paths a latency can be measured on: eager PyTorch,
#: PyTorch with BN folded into the convs, and every registered deployment
#: target (``ort-fp32`` ... ``ov-int8``;
#: :func:`~mmdet_efficientdet.deployment.inference_paths`).
INFERENCE_PATHS = tuple(inference_paths())
#: Untimed calls of each model before timing.
WARMUP_CALLS = 2
#: A raw forward: ``(N, 3, H, W)`` images -> ``(class maps, box maps)``.
Runner = Callable[[torch.Tensor], Tuple[Sequence, Sequence]]


def measure_latency(model: torch.nn.Module,
                    size: ImageSizeLike,
                    inference_path: str,
                    work_dir: str,
                    threads: int = 2,
                    runs: int = 10) -> float:
    """Median batch-1 latency (ms) of one model on an inference path
    (:func:`measure_latencies` of one)."""
    return measure_latencies({'model': (model, size)}, inference_path, work_dir, threads,
                             runs)['model']


def random_calibration(size: ImageSize, count: int = 4) -> List[np.ndarray]:
    """Seeded random ``(1, 3, H, W)`` int8 calibration inputs: a latency
    does not depend on the quantization scales."""
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(1, 3, *size, generator=gen).numpy() for _ in range(count)]


def inference_runners(model: torch.nn.Module,
                      size: ImageSize,
                      inference_names: Sequence[str],
                      folder: str,
                      threads: int = 2,
                      calibration: Optional[Sequence[np.ndarray]] = None) -> Dict[str, Runner]:
    """The raw forward of ``model`` on each inference path.

    Args:
        model: An eval-mode detector (left unchanged).
        size: ``(H, W)`` input of the deployed files.
        inference_names: Any of :data:`INFERENCE_PATHS`: ``eager`` (``model._forward``),
            ``fused`` (a BN-folded copy), or targets whose files
            :func:`~mmdet_efficientdet.deployment.deploy_model` builds in
            ``folder`` in one export (every int8 node quantized) and the
            registered runtime runs.
        folder: A folder for the deployed files (kept while they run).
        threads: Intra-op threads of the runtimes.
        calibration: int8 calibration inputs (default:
            :func:`random_calibration`).

    Returns:
        path -> function of an image batch returning the raw
        ``(class maps, box maps)`` of every level.

    Raises:
        UserError: an unknown path.
    """
    runners: Dict[str, Runner] = {}
    for inference_path in inference_names:
        spec = get_inference_path(inference_path)  # an unknown name is a UserError
        if not spec.deployed:
            runners[inference_path] = (fold_bn_into_convs(copy.deepcopy(model))
                                       if spec.fold_bn else model)._forward
    targets = [p for p in inference_names if p not in runners]
    if targets:
        calibration = calibration or random_calibration(size)
        files = deploy_model(
            model,
            folder,
            tuple(size),
            targets,
            calibration,
            keep_float=['none'],
            log=lambda line: None)
        for target in targets:
            runtime = open_deployed(files[target], threads)
            runners[target] = functools.partial(_run_deployed, runtime)
    return {inference_path: runners[inference_path] for inference_path in inference_names}


def _run_deployed(runtime, images: torch.Tensor) -> Tuple[Sequence, Sequence]:
    """A runtime's outputs ``cls_0.., box_0..`` as ``(class maps, box maps)``."""
    outputs = runtime.run(images.numpy())
    levels = len(outputs) // 2
    return outputs[:levels], outputs[levels:]


def inference_call(model: torch.nn.Module,
                   size: ImageSize,
                   inference_path: str,
                   folder: str,
                   threads: int = 2) -> Callable[[], object]:
    """One batch-1 call of ``model`` on an inference path, on a fixed random
    input, ready to time (:func:`inference_runners` of one path)."""
    runner = inference_runners(model, size, [inference_path], folder, threads)[inference_path]
    x = torch.randn(1, 3, *size)
    return lambda: runner(x)


def measure_latencies(models: Dict[str, Tuple[torch.nn.Module, ImageSizeLike]],
                      inference_path: str,
                      work_dir: str,
                      threads: int = 2,
                      runs: int = 10) -> Dict[str, float]:
    """Median batch-1 latency (ms) of each model on an inference path,
    timed in one interleaved run (background load slows all alike).

    Args:
        models: name -> (detector, input size: a square side or ``(H, W)``).
        inference_path: One of :data:`INFERENCE_PATHS` (:func:`inference_call`).
        work_dir: Where the temporary deployed files go.
        threads: Intra-op threads.
        runs: Timed calls of each (after :data:`WARMUP_CALLS` warm-up calls).
    """

    check_inference_paths([inference_path])
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        calls = {
            name:
            inference_call(model.eval(), to_image_size(size), inference_path, osp.join(tmp, str(i)),
                           threads)
            for i, (name, (model, size)) in enumerate(models.items())
        }
        with torch.no_grad():
            return median_ms(calls, runs, WARMUP_CALLS)
