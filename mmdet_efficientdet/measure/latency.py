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
from typing import Callable, Dict, Tuple

import torch

from ..deployment import deploy_targets
from ..errors import UserError

#: Inference paths a latency can be measured on: eager PyTorch and every
#: registered deployment target (``ort-fp32`` ... ``ov-int8``).
PATHS = ('eager', *deploy_targets())
#: Untimed calls of each model before timing.
WARMUP_CALLS = 2


def measure_latency(model: torch.nn.Module,
                    size: int,
                    path: str,
                    work_dir: str,
                    threads: int = 2,
                    runs: int = 10) -> float:
    """Median batch-1 latency (ms) of one model on an inference path
    (:func:`measure_latencies` of one)."""
    return measure_latencies({'model': (model, size)}, path, work_dir, threads, runs)['model']


def path_call(model: torch.nn.Module,
              size: Tuple[int, int],
              path: str,
              folder: str,
              threads: int = 2) -> Callable[[], object]:
    """One batch-1 call of ``model`` on an inference path, ready to time.

    Args:
        model: An eval-mode detector.
        size: ``(H, W)`` input.
        path: One of :data:`PATHS`: eager PyTorch (``model._forward``), or the
            file :func:`~mmdet_efficientdet.deployment.deploy_model` builds in
            ``folder`` (int8 calibrated on random images: latency does not
            depend on the scales) run by its backend.
        folder: An empty folder for the deployed file (kept while timing).
        threads: Intra-op threads of the backend.

    Returns:
        A function of no arguments running the model on a random input.

    Raises:
        UserError: an unknown path.
    """
    from ..deployment import deploy_model, load_backend
    if path not in PATHS:
        raise UserError(f'--path {path!r}: choose from {list(PATHS)}')
    x = torch.randn(1, 3, *size)
    if path == 'eager':
        return lambda: model._forward(x)
    gen = torch.Generator().manual_seed(0)
    calib = [torch.randn(1, 3, *size, generator=gen).numpy() for _ in range(4)]
    files = deploy_model(
        model, folder, tuple(size), [path], calib, keep_float=['none'], log=lambda line: None)
    backend = load_backend(files[path], threads)
    array = x.numpy()
    return lambda: backend.run(array)


def measure_latencies(models: Dict[str, Tuple[torch.nn.Module, int]],
                      path: str,
                      work_dir: str,
                      threads: int = 2,
                      runs: int = 10) -> Dict[str, float]:
    """Median batch-1 latency (ms) of each model on an inference path,
    timed in one interleaved run (background load slows all alike).

    Args:
        models: name -> (detector, square input side).
        path: One of :data:`PATHS` (:func:`path_call`).
        work_dir: Where the temporary deployed files go.
        threads: Intra-op threads.
        runs: Timed calls of each (after :data:`WARMUP_CALLS` warm-up calls).
    """
    import os.path as osp
    import tempfile

    from .timing import median_ms
    if path not in PATHS:
        raise UserError(f'--path {path!r}: choose from {list(PATHS)}')
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        calls = {
            name: path_call(model.eval(), (size, size), path, osp.join(tmp, str(i)), threads)
            for i, (name, (model, size)) in enumerate(models.items())
        }
        with torch.no_grad():
            return median_ms(calls, runs, WARMUP_CALLS)
