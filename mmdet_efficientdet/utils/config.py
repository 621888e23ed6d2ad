"""Load a config for a tool, as a one-line error when it cannot be."""
from __future__ import annotations

import os.path as osp
from typing import Optional


def load_config(path: str, options: Optional[dict] = None):
    """``Config.fromfile(path)`` with ``--cfg-options`` merged in.

    Raises:
        UserError: the file is missing or is not a loadable config.
    """
    from mmengine.config import Config

    from .errors import UserError
    if not osp.isfile(path):
        raise UserError(f'config {path!r} not found')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # noqa: BLE001  (syntax, import, base errors)
        raise UserError(f'config {path!r} cannot be loaded: '
                        f'{type(err).__name__}: {err}') from None
    if options:
        cfg.merge_from_dict(options)
    return cfg
