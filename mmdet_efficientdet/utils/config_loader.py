"""Load a config for a tool, as a one-line error when it cannot be."""
from __future__ import annotations
import difflib
import glob
import os.path as osp
from typing import Optional

from mmengine.config import Config

from ..errors import UserError
from .config_text import FormattedOnceConfig


def load_config(path: str, options: Optional[dict] = None):
    """``Config.fromfile(path)`` with ``--cfg-options`` merged in, as a
    :class:`~.config_text.FormattedOnceConfig` (a Runner built from it
    formats the config's text once, not at every checkpoint).

    Raises:
        UserError: the file is missing or is not a loadable config.
    """

    if not osp.isfile(path):
        raise UserError(f'config {path!r} not found')
    try:
        cfg = FormattedOnceConfig.of(Config.fromfile(path))
    except Exception as err:  # noqa: BLE001  (syntax, import, base errors)
        raise UserError(f'config {path!r} cannot be loaded: '
                        f'{type(err).__name__}: {err}') from None
    if options:
        check_options(cfg, options)
        cfg.merge_from_dict(options)
    return cfg


def check_options(cfg, options: dict) -> None:
    """Refuse ``--cfg-options`` whose path does not lead into the config.

    A new *leaf* key is allowed (``model.test_cfg.nms.sigma=0.5`` adds
    soft-NMS's sigma), but every key above it must exist, so a typo such as
    ``modle.bbox_head.num_classes=3`` or ``train_dataloader.batchsize=4``
    under a dict that has no such key is named instead of silently added;
    ``batch_size`` and ``max_epochs``-like counts must be positive.

    Raises:
        UserError: naming the option and what exists at that level.
    """
    for key, value in options.items():
        node, parts = cfg, key.split('.')
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, (list, tuple)) and part.isdigit():
                if int(part) >= len(node):
                    raise UserError(f'--cfg-options {key}: index {part} past '
                                    f'the end ({len(node)} entries)')
                node = node[int(part)]
                continue
            if not hasattr(node, 'keys') or part not in node:
                where = '.'.join(parts[:depth]) or 'the config'
                have = sorted(node.keys())[:12] if hasattr(node, 'keys') else []
                raise UserError(f'--cfg-options {key}: {where} has no key '
                                f'{part!r} (it has: {", ".join(have)})')
            node = node[part]
        leaf = parts[-1]
        if hasattr(node, 'keys') and leaf not in node and \
                _close_match(leaf, list(node.keys())):
            raise UserError(f'--cfg-options {key}: no key {leaf!r} there; '
                            f'did you mean {_close_match(leaf, list(node.keys()))!r}?')
        if leaf in POSITIVE_KEYS and (not isinstance(value, int) or value < 1):
            raise UserError(f'--cfg-options {key}={value!r}: must be a '
                            f'positive integer')


#: Option leaves that must be positive integers.
POSITIVE_KEYS = ('batch_size', 'max_epochs', 'max_iters', 'val_interval', 'interval', 'num_classes')


def _close_match(name: str, keys) -> str:
    found = difflib.get_close_matches(name, [str(k) for k in keys], n=1, cutoff=0.8)
    return found[0] if found else ''


def level_config(config_dir: str, level: str) -> str:
    """The repository's config of a table row: ``config_dir/efficientdet_
    <level>_8xb16-<epochs>e_coco.py`` (300 epochs, 600 for D7/D7x).

    Raises:
        UserError: no such config, or more than one.
    """

    found = sorted(glob.glob(osp.join(config_dir, f'efficientdet_{level}_8xb16-*e_coco.py')))
    if len(found) != 1:
        raise UserError(f'no config of level {level!r} in {config_dir}')
    return found[0]
