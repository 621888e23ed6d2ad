"""Inference paths: where a model runs when it is timed, evaluated or searched.

The package's vocabulary (``docs/architecture.md``, "Names"):

* a *runtime* is a registered class that runs deployed files (ONNX Runtime,
  OpenVINO, ExecuTorch: :mod:`.runtimes`);
* a *target* is a runtime plus a precision (``ort-int8``, ``ov-fp32``);
* an *inference path* is eager PyTorch, PyTorch with BN folded into the convs
  (``fused``), or a target. Each is an :class:`InferencePath` whose attributes
  say what it needs, so no code tests names by string.

Tools take an inference path with ``--target`` (``--targets`` for several);
``--target eager`` is the PyTorch model itself.
"""
from __future__ import annotations
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Type

from ..errors import UserError
from .runtimes import Runtime, runtime_classes

#: Precisions whose files are quantized on calibration images.
CALIBRATED_PRECISIONS = ('int8', )


@dataclass(frozen=True)
class InferencePath:
    """One way to run a detector.

    Attributes:
        name (str): ``eager``, ``fused`` or a target ``<runtime>-<precision>``.
        precision (str): ``fp32`` or ``int8``.
        runtime (type, optional): The registered runtime class of a target;
            None for the PyTorch paths.
        fold_bn (bool): PyTorch with BN folded into the convs (``fused``).
    """
    name: str
    precision: str = 'fp32'
    runtime: Optional[Type[Runtime]] = None
    fold_bn: bool = False

    @property
    def deployed(self) -> bool:
        """Runs a file :func:`~.deploy_run.deploy_model` builds (a target)."""
        return self.runtime is not None

    @property
    def needs_calibration(self) -> bool:
        """Its file is quantized on calibration images."""
        return self.deployed and self.precision in CALIBRATED_PRECISIONS


#: The PyTorch paths, in the order tools list them.
TORCH_PATHS = (InferencePath('eager'), InferencePath('fused', fold_bn=True))


def inference_paths() -> Dict[str, InferencePath]:
    """Every inference path whose runtime is installed, by name: the PyTorch
    paths, then each registered runtime's precisions in registration order."""
    found = {p.name: p for p in TORCH_PATHS}
    for cls in runtime_classes():
        if cls.available():
            for precision in cls.precisions:
                name = f'{cls.name}-{precision}'
                found[name] = InferencePath(name, precision, cls)
    return found


def get_inference_path(name: str, flag: str = '--target') -> InferencePath:
    """The inference path called ``name``.

    Raises:
        UserError: an unknown name, one line naming ``flag`` and the choices.
    """
    known = inference_paths()
    if name not in known:
        raise UserError(f'{flag} {name!r}: choose from {list(known)}')
    return known[name]


def check_inference_paths(names: Sequence[str], flag: str = '--target') -> None:
    """Raise :class:`UserError` naming the first unknown inference path."""
    for name in names:
        get_inference_path(name, flag)
