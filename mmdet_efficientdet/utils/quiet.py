"""Known library noise, filtered at the command-line entry points only.

Every tool run prints lines from the libraries that a user cannot act on:
mmengine's ``"FileClient" will be deprecated`` (its own ``save_checkpoint``
builds a FileClient), ``"HardDiskBackend" is the alias of "LocalBackend"``,
``Failed to search registry with scope mmdet in the function registry
tree``, the tracer's warnings when a model is exported to ONNX, and the
visualizer's save_dir / out-of-bounds warnings when the demo draws boxes.
:func:`quiet_known_noise` drops exactly these while a tool's ``main`` runs
(:func:`~mmdet_efficientdet.utils.cli.run_cli`); a library user who imports
the package sees every message as the libraries print it. (The
``pkg_resources is deprecated`` warning is avoided at its source:
``requirements/build.txt`` keeps setuptools below 80.9, where it is a
DeprecationWarning Python does not show.)
"""
from __future__ import annotations
import builtins
import re
import sys
import warnings
from contextlib import contextmanager
from typing import Iterator, Pattern, Sequence, TextIO

import torch.jit

#: Log lines of mmengine that carry nothing a user can act on.
KNOWN_LOG_NOISE: Sequence[Pattern] = (
    re.compile(r'"FileClient" will be deprecated in future'),
    re.compile(r'"HardDiskBackend" is the alias of "LocalBackend"'),
    re.compile(r'Failed to search registry with scope \S+ in the \S+ registry tree'),
    # ONNX Runtime's quantizer on convs whose bias is computed (BN folded in
    # the graph): they stay correct, the bias is simply not pre-quantized
    re.compile(r'Expected bias \S+ to be an initializer'),
    # torchao (ExecuTorch's int8) probing for its CUDA kernels, and torch's
    # pytree deprecation of torchao's enum: nothing a CPU user can change
    re.compile(r'Failed to load \S+torchao\S+: Could not load this library'),
    re.compile(r'is an Enum subclass and is now natively supported by torch.compile'),
)
#: Python warnings (category name, message regex) dropped the same way.
KNOWN_WARNINGS = (
    ('TracerWarning', ''),
    ('UserWarning', r'pkg_resources is deprecated'),
    ('DeprecationWarning', r'`torch.jit.interface` is deprecated'),
    # mmdet's DetInferencer builds a visualizer without a save_dir, and the
    # visualizer warns about every box that touches the image border
    ('UserWarning', r'Failed to add <class .mmengine\.visualization\.vis_backend\.LocalVisBackend'),
    ('UserWarning', r'Warning: The (bbox|polygon) is out of bounds'),
    # torch.export's pytree internals, while ExecuTorch lowers a model
    ('FutureWarning', r'`isinstance\(treespec, LeafSpec\)` is deprecated'),
)


class FilteredStream:
    """A text stream that drops writes matching ``patterns`` (a logging
    record or a warning is one write; a printed line and its line end are
    two) and passes everything else on."""

    def __init__(self, stream: TextIO, patterns: Sequence[Pattern]) -> None:
        self._stream = stream
        self._patterns = patterns
        self._dropped = False

    def write(self, text: str) -> int:
        # print() writes its line end separately: it goes with a dropped line
        dropped = any(p.search(text) for p in self._patterns) or (self._dropped and text == '\n')
        self._dropped = dropped and text != '\n'
        if dropped:
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _warning_category(name: str) -> type:
    """A warning class by name: torch's ``TracerWarning`` or a builtin."""
    if name == 'TracerWarning':
        return torch.jit.TracerWarning
    return getattr(builtins, name)


#: What the runtimes print while a tool exports and quantizes many models
#: (the NAS search, the budget tools, pruning sensitivity, the benchmark):
#: NNCF's progress bars (rich's bar character), torch's ONNX constant-folding
#: note and ONNX Runtime's quantizer chatter. Dropped unless ``--verbose``
#: (:func:`quiet_runtimes`).
RUNTIME_CHATTER: Sequence[Pattern] = (
    re.compile('\u2501'),  # rich's progress bar: NNCF's statistics / bias-correction bars
    re.compile(r'Constant folding - Only steps=1 can be constant folded'),
    re.compile(r'Please consider to run pre-processing before quantization'),
)
#: Python warnings (category name, message regex) of the same chatter.
RUNTIME_WARNINGS = (('UserWarning', r'Constant folding - Only steps=1 can be constant folded'), )


@contextmanager
def quiet_runtimes(verbose: bool = False) -> Iterator[None]:
    """Unless ``verbose``, drop :data:`RUNTIME_CHATTER` and
    :data:`RUNTIME_WARNINGS` while the block runs, so a tool that times many
    deployed models prints its own lines only."""
    if verbose:
        yield
        return
    with _filtered(RUNTIME_CHATTER, RUNTIME_WARNINGS):
        yield


@contextmanager
def quiet_known_noise() -> Iterator[None]:
    """Drop :data:`KNOWN_LOG_NOISE` from stdout/stderr and
    :data:`KNOWN_WARNINGS` while the block runs; both are restored after."""
    with _filtered(KNOWN_LOG_NOISE, KNOWN_WARNINGS):
        yield


@contextmanager
def _filtered(patterns: Sequence[Pattern], warning_filters: Sequence) -> Iterator[None]:
    """stdout/stderr without writes matching ``patterns`` and without the
    warnings ``(category name, message regex)``, restored after."""
    stdout, stderr = sys.stdout, sys.stderr
    with warnings.catch_warnings():
        for category, message in warning_filters:
            warnings.filterwarnings('ignore', message=message, category=_warning_category(category))
        sys.stdout = FilteredStream(stdout, patterns)
        sys.stderr = FilteredStream(stderr, patterns)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = stdout, stderr
