"""Test-only access to rwightman's ``effdet`` (the reference implementation).

``effdet`` and ``timm`` import ``torchvision``, whose PyPI wheel is linked
against CUDA torch: its C ops cannot load with our CPU torch. ``effdet`` only
needs ``torchvision::nms`` (and torchvision's import registers fake kernels for
``nms``/``qnms``), so we define those two operators ourselves, backed by mmcv's
CPU NMS, before ``torchvision`` is imported, and then tell torchvision its ops
are available (before effdet, whose post-processing is TorchScript'ed at import,
is imported).

The packages live in ``.refenv/`` at the repo root (``make refenv``, pinned in
``requirements/reference.txt``), outside ``.venv``: the product never imports
torchvision, timm or effdet; only tests and ``tools/analysis`` scripts that
compare against the reference do, through :func:`import_effdet`.
"""
from __future__ import annotations

import os.path as osp
import sys
from types import ModuleType

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REFENV = osp.join(REPO, '.refenv')

_LIBRARY = []  # keeps the torch.library.Library alive


def _nms_cpu(dets: torch.Tensor, scores: torch.Tensor,
             iou_threshold: float) -> torch.Tensor:
    """``torchvision.ops.nms`` semantics: kept indices by decreasing score."""
    from mmcv.ops import nms
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long)
    _, keep = nms(dets.float().contiguous(), scores.float().contiguous(),
                  float(iou_threshold))
    return keep.long()


def _ops_available() -> bool:
    """Replacement for ``torchvision.extension._has_ops`` (TorchScript-able)."""
    return True


def _register_torchvision_ops() -> None:
    if _LIBRARY or hasattr(torch.ops, 'torchvision') and hasattr(
            torch.ops.torchvision, 'nms'):
        return
    lib = torch.library.Library('torchvision', 'DEF')  # noqa: TOR901
    lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.impl('nms', _nms_cpu, 'CPU')
    _LIBRARY.append(lib)


def import_effdet() -> ModuleType:
    """Import ``effdet`` from ``.refenv`` with the torchvision shim.

    Raises:
        RuntimeError: ``.refenv`` does not exist (run ``make refenv``).
    """
    if not osp.isdir(osp.join(REFENV, 'effdet')):
        raise RuntimeError(
            f'reference environment missing: {REFENV} has no effdet; create '
            f'it with `make refenv` (make test does it)')
    if REFENV not in sys.path:
        sys.path.append(REFENV)
    _register_torchvision_ops()
    import torchvision.extension

    # torchvision decided at import that its C ops are missing; nms is now
    # provided (above), and effdet's TorchScript'ed post-processing is
    # compiled at effdet's import, after this
    torchvision.extension._has_ops = _ops_available
    import effdet
    return effdet


def create_reference_model(name: str, seed: int = 0,
                           image_size: int = None) -> torch.nn.Module:
    """``effdet``'s raw EfficientDet (no bench wrapper), random weights, eval.

    Args:
        name: effdet model name, e.g. ``'tf_efficientdet_d0'``.
        seed: torch seed for the random initialisation.
        image_size: Square input size if not the model's native one (effdet
            fixes its resampling sizes at construction).
    """
    effdet = import_effdet()
    torch.manual_seed(seed)
    kwargs = dict(image_size=(image_size, image_size)) if image_size else {}
    model = effdet.create_model(name, pretrained=False,
                                pretrained_backbone=False, **kwargs)
    return model.eval()
