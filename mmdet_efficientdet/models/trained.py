"""Build a trained detector from a config and a checkpoint (for tools)."""
from __future__ import annotations
import os.path as osp
from typing import Dict, Optional, Tuple

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .detectors.efficientdet import CheckpointShapeError

#: Missing tensors a :class:`CheckpointShapeError` names.
MAX_NAMED = 3


def checkpoint_state_dict(checkpoint: str) -> Dict[str, object]:
    """The model tensors of a checkpoint file (``state_dict`` of an mmengine
    checkpoint, or a bare state dict), ``module.`` prefixes removed; loaded
    with the package's safe loader."""
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded) if isinstance(loaded, dict) else {}
    return {(k[7:] if k.startswith('module.') else k): v for k, v in state.items()}


def check_checkpoint_fits(model, checkpoint: str, what: str = 'testing') -> None:
    """Refuse a checkpoint that would leave any weight of ``model`` random.

    Training's ``load_from`` may start the class-prediction layer afresh
    (other classes); testing, inference and deployment may not: a random
    class layer gives a believable but meaningless mAP. Checked before
    anything runs.

    Args:
        model: The detector built from the config (an ``EfficientDet``).
        checkpoint: Path of the checkpoint.
        what: What the weights are for, in the message (``'testing'``).

    Raises:
        CheckpointShapeError: The class layer was trained for another number
            of classes (the message gives both counts and the key to change),
            a tensor outside it differs in shape, or the checkpoint lacks
            some of the model's tensors.
    """
    state = checkpoint_state_dict(checkpoint)
    class_layer = model.check_state_dict_shapes(state)
    if class_layer:
        head = model.bbox_head
        key = class_layer[0].split(':')[0]
        per_class = model.state_dict()[key].shape[0] // head.num_classes
        trained_for = state[key].shape[0] / max(per_class, 1)
        raise CheckpointShapeError(
            f'checkpoint {checkpoint!r} was trained for {trained_for:g} classes ({key} has '
            f'{state[key].shape[0]} outputs = {per_class} anchors x classes), the config has '
            f'model.bbox_head.num_classes={head.num_classes}: {what} with a randomly '
            f'initialised class layer would report a meaningless result; use the config the '
            f'checkpoint was trained with (its classes), or fine-tune from it first '
            f'(load_from=...)')
    missing = [
        k for k in model.state_dict() if k not in state and not k.endswith('num_batches_tracked')
    ]
    if missing:
        raise CheckpointShapeError(f'checkpoint {checkpoint!r} lacks {len(missing)} of the '
                                   f"model's tensors ({what} would leave them random), first: "
                                   f'{", ".join(missing[:MAX_NAMED])}')


def build_for_checkpoint(cfg, checkpoint: Optional[str], what: str = 'testing'):
    """The detector of ``cfg`` (no ImageNet download), with ``checkpoint``
    checked against it (:func:`check_checkpoint_fits`) when given."""
    register_all_modules()
    model_cfg = cfg.model.copy()
    model_cfg.backbone = dict(model_cfg.backbone, init_cfg=None)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint!r} not found')
        check_checkpoint_fits(model, checkpoint, what)
    return model


def load_trained(config: str, checkpoint: Optional[str]) -> Tuple[object, object]:
    """The config and its model with every weight from ``checkpoint``.

    The backbone's ``init_cfg`` is dropped (no ImageNet download: the
    checkpoint holds every weight), the checkpoint must fit every tensor
    (:func:`check_checkpoint_fits`: the class layer included), and the model
    is in eval mode. Without a checkpoint the model keeps its random
    initialisation (``init_weights``; e.g. to export or time a level).

    Raises:
        FileNotFoundError: ``config`` or ``checkpoint`` is missing.
        CheckpointShapeError: the checkpoint does not fit the config.

    Returns:
        tuple: ``(Config, EfficientDet)``.
    """
    for path in (config, checkpoint):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    cfg = Config.fromfile(config)
    model = build_for_checkpoint(cfg, checkpoint, 'inference')
    if checkpoint is None:
        model.init_weights()
    else:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return cfg, model.eval()
