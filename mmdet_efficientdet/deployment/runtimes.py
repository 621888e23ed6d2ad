"""Deployed-model runtimes: one registered class per runtime, same interface.

Every exported EfficientDet graph (``export_onnx``, raw outputs) takes the
normalised image batch ``(N, 3, H, W)`` at the export size and returns
``cls_0 .. cls_{L-1}``, ``box_0 .. box_{L-1}``. A runtime runs such a file and
gives those outputs back as torch tensors, so mmdet's post-processing
(``bbox_head.predict_by_feat``: decoding, NMS) runs on them exactly as on the
PyTorch model's.
"""
from __future__ import annotations
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Type

import numpy as np
import torch

from ..errors import UserError

#: The registered runtime classes by short name, in registration order.
_REGISTERED: Dict[str, Type['Runtime']] = {}


def register_runtime(cls: Type['Runtime']) -> Type['Runtime']:
    """Class decorator: make a runtime known to deployment, loading,
    benchmarking and profiling (its ``name`` and ``suffix`` must be new)."""
    for other in _REGISTERED.values():
        if other is not cls and (other.name == cls.name or other.suffix == cls.suffix):
            raise ValueError(f'runtime {cls.__name__}: name {cls.name!r} or suffix '
                             f'{cls.suffix!r} is taken by {other.__name__}')
    _REGISTERED[cls.name] = cls
    return cls


def runtime_classes() -> List[Type['Runtime']]:
    """The registered runtimes, in registration order."""
    return list(_REGISTERED.values())


def deploy_targets() -> Tuple[str, ...]:
    """Every deployment target whose runtime is installed,
    ``<runtime>-<precision>`` (``ort-fp32`` ...)."""
    return tuple(f'{cls.name}-{p}' for cls in runtime_classes() if cls.available()
                 for p in cls.precisions)


def default_targets() -> Tuple[str, ...]:
    """The targets ``deploy.py`` builds when none are named: those of the
    runtimes deployed by default (an optional edge runtime only on request)."""
    return tuple(t for t in deploy_targets() if target_runtime(t)[0].by_default)


def target_runtime(target: str) -> Tuple[Type['Runtime'], str]:
    """``(runtime class, precision)`` of a target name.

    Raises:
        UserError: an unknown target (the message lists them), or one whose
            optional runtime is not installed (the message says how).
    """
    name, _, precision = target.rpartition('-')
    cls = _REGISTERED.get(name)
    if cls is None or precision not in cls.precisions:
        raise UserError(f'unknown deployment target {target!r}; choose from '
                        f'{list(deploy_targets())}')
    if not cls.available():
        raise UserError(f'deployment target {target!r}: {cls.missing_reason()}')
    return cls, precision


#: Lines of a runtime's message that locate its C++ source, not the problem.
_NOISE = re.compile(r'^(Exception from \S+:\d+:?|\[ ?[A-Z_]* ?\]|Check .* failed at \S+:\d+:?)$')


def runtime_reason(err: BaseException, limit: int = 600) -> str:
    """A runtime's error message on one line, without the source-location
    lines ONNX Runtime / OpenVINO put first (their first line alone often
    says nothing: ``Exception from src/inference/src/cpp/core.cpp:92:``).

    Example:
        >>> runtime_reason(RuntimeError('Exception from src/core.cpp:92:\\n'
        ...                             'Weights file m.bin cannot be opened!'))
        'Weights file m.bin cannot be opened!'
    """
    lines = [line.strip() for line in str(err).splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    text = ' '.join(kept) or ' '.join(lines) or type(err).__name__
    return text if len(text) <= limit else text[:limit] + ' ...'


class DeployedModelError(UserError, ValueError):
    """A deployed model file is missing, unreadable or does not fit."""


class Runtime:
    """Base of a runtime: one class holds everything of one runtime.

    A subclass (registered with :func:`register_runtime`, one file each:
    ``ort_runtime.py``, ``openvino_runtime.py``) gives its short
    ``name`` (targets are ``<name>-<precision>``: ``ort-int8``), the file
    ``suffix`` (and ``companions``, e.g. OpenVINO's ``.bin``), the
    ``precisions`` it deploys, how a target's file is made from the exported
    fp32 ONNX graph (:meth:`export`), how a file is opened (``__init__``:
    session options, threads, profiling), run (:meth:`run`) and profiled
    (:meth:`op_times`). :func:`deploy_model`, :func:`open_deployed`, the
    benchmark, the budget tool, ``test_deployed.py`` and
    ``profile_deployed.py`` reach runtimes only through the registry. An
    optional runtime (``executorch_runtime.py``) says whether it is
    installed (:meth:`available`).

    Attributes:
        path (str): The model file.
        input_hw (tuple[int, int]): The input size the graph was exported at.
        output_names (list[str]): Output names, ``cls_*`` then ``box_*``.
    """

    name: str = ''
    suffix: str = ''
    companions: Tuple[str, ...] = ()
    precisions: Tuple[str, ...] = ()
    #: :meth:`export` takes the PyTorch network (``model=``), not only the
    #: fp32 ONNX graph.
    needs_model: bool = False
    #: Built by ``deploy.py`` when no target is named (:func:`default_targets`).
    by_default: bool = True

    path: str
    input_hw: Tuple[int, int]
    output_names: List[str]

    def __init__(self,
                 path: str,
                 threads: Optional[int] = None,
                 profile: Optional[str] = None) -> None:
        raise NotImplementedError

    @classmethod
    def available(cls) -> bool:
        """Whether this runtime's runtime is installed (optional runtimes
        are left out of :func:`deploy_targets` without it)."""
        return True

    @classmethod
    def missing_reason(cls) -> str:
        """What to install when :meth:`available` is False."""
        return ''

    @classmethod
    def size_problem(cls, map_sizes: Sequence[Tuple[int, int]]) -> Optional[str]:
        """Why this runtime cannot run a model whose output maps have
        ``map_sizes`` (``(h, w)`` per level, finest first), or None."""
        return None

    @classmethod
    def file_names(cls, precision: str) -> List[str]:
        """The files a target writes: ``model_<precision><suffix>`` first."""
        return [f'model_{precision}{ext}' for ext in (cls.suffix, *cls.companions)]

    @classmethod
    def export(cls, precision: str, onnx_fp32: str, stage: str, batches: Sequence[np.ndarray],
               keep_float: Sequence[str], log: Callable[[str], None]) -> str:
        """Make the ``precision`` file of this runtime in ``stage`` from the
        exported fp32 ONNX graph ``onnx_fp32`` (int8: calibrated on
        ``batches``); returns its path (:meth:`file_names`). A runtime with
        ``needs_model`` also takes ``model=`` (images -> tuple of outputs)."""
        raise NotImplementedError

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        raise NotImplementedError

    def op_times(self, images: np.ndarray, runs: int,
                 warmup: int) -> Tuple[Dict[str, float], Dict[str, int]]:
        """Kernel ms per op kind (mean over ``runs``) and node counts, from
        the runtime's own profiler (the file opened with ``profile``)."""
        raise NotImplementedError

    def __call__(self, images: torch.Tensor) -> List[torch.Tensor]:
        """Run ``(N, 3, H, W)`` float images; raise if the size is not the
        export size."""
        height, width = (int(s) for s in images.shape[-2:])
        if (height, width) != tuple(self.input_hw):
            raise DeployedModelError(f'{self.path} takes {self.input_hw[0]}x{self.input_hw[1]} '
                                     f'inputs (its export size), got {height}x{width}: export it '
                                     f'at the config\'s image_size, or test with a config whose '
                                     f'pipeline gives that size')
        array = images.detach().float().contiguous().cpu().numpy()
        return [torch.from_numpy(np.ascontiguousarray(o)) for o in self.run(array)]


def open_deployed(path: str,
                  threads: Optional[int] = None,
                  profile: Optional[str] = None,
                  raw: bool = True) -> Runtime:
    """Open a deployed model with the registered runtime of its suffix
    (``.onnx``: ONNX Runtime, ``.xml``: OpenVINO, ...).

    Every runtime session of the package is made here.

    Args:
        path (str): The file.
        threads (int, optional): Runtime threads.
        profile (str, optional): Profile kernels (a path prefix for the
            runtime's trace files, where it writes any).
        raw (bool): Require raw ``cls_*``/``box_*`` head outputs (False for
            an ``--decode`` export).

    Raises:
        DeployedModelError: missing file, unknown suffix, unreadable model,
            or outputs that are not raw ``cls_*``/``box_*`` head outputs.
    """
    if not osp.isfile(path):
        raise DeployedModelError(f'deployed model {path!r} not found')
    suffix = osp.splitext(path)[1].lower()
    by_suffix = {cls.suffix: cls for cls in runtime_classes()}
    if suffix not in by_suffix:
        raise DeployedModelError(f'{path}: unknown model format {suffix!r}; expected one of '
                                 f'{sorted(by_suffix)}')
    runtime = by_suffix[suffix](path, threads, profile)
    if not raw:
        return runtime
    names = runtime.output_names
    levels = len(names) // 2
    if len(names) < 2 or len(names) % 2 or names != [f'cls_{i}' for i in range(levels)
                                                     ] + [f'box_{i}' for i in range(levels)]:
        raise DeployedModelError(f'{path}: outputs {names} are not raw head outputs cls_0.., '
                                 f'box_0..: export without --decode')
    return runtime
