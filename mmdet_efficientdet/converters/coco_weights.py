"""effdet's published COCO checkpoints -> a checkpoint the templates load.

A small data set fine-tunes best from detection weights: every layer but the
class-prediction conv starts trained. effdet publishes ports of automl's COCO
checkpoints for D0-D7x and Lite0-Lite4 (:data:`EFFDET_COCO_FILES`);
:func:`convert_coco_weights` fetches one (or takes the file given / already
in the cache folder), converts it with :func:`~.effdet.convert_effdet`
against the level's ported config and writes a checkpoint for ``load_from``.
With another class count, training's ``load_from`` then starts only the
class conv afresh (mmengine logs its size mismatch; every other tensor loads).
"""
from __future__ import annotations
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Optional

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

from ..errors import UserError
from ..fileio import download_file, plan_outputs
from ..utils.config_loader import load_config
from .common import load_untrusted_state_dict, save_converted
from .effdet import convert_effdet

#: effdet's release folder of the COCO checkpoints.
EFFDET_RELEASE = 'https://github.com/rwightman/efficientdet-pytorch/releases/download/v0.1/'
#: effdet's COCO checkpoint file of each level (``tf_efficientdet_<level>``).
EFFDET_COCO_FILES = {
    'd0': 'tf_efficientdet_d0_34-f153e0cf.pth',
    'd1': 'tf_efficientdet_d1_40-a30f94af.pth',
    'd2': 'tf_efficientdet_d2_43-8107aa99.pth',
    'd3': 'tf_efficientdet_d3_47-0b525f35.pth',
    'd4': 'tf_efficientdet_d4_49-f56376d9.pth',
    'd5': 'tf_efficientdet_d5_51-c79f9be6.pth',
    'd6': 'tf_efficientdet_d6_52-4eda3773.pth',
    'd7': 'tf_efficientdet_d7_53-6d1d7a95.pth',
    'd7x': 'tf_efficientdet_d7x-f390b87c.pth',
    'lite0': 'tf_efficientdet_lite0-dfacfc78.pth',
    'lite1': 'tf_efficientdet_lite1-6dc7ab30.pth',
    'lite2': 'tf_efficientdet_lite2-86c5d55b.pth',
    'lite3': 'tf_efficientdet_lite3-506852cb.pth',
    'lite3x': 'tf_efficientdet_lite3x-8404c57b.pth',
    'lite4': 'tf_efficientdet_lite4-391ddabc.pth',
}


@dataclass
class CocoWeightsResult:
    """What :func:`convert_coco_weights` did.

    Attributes:
        level (str): The level.
        source (str): The effdet file converted.
        out (str): The checkpoint written.
        tensors (int): Tensors in it.
        report (str): The conversion report (unused source keys).
        input_norm (dict): The normalisation the weights expect.
    """
    level: str
    source: str
    out: str
    tensors: int
    report: str
    input_norm: dict

    def summary(self) -> str:
        return '\n'.join([
            self.report, f'saved {self.tensors} tensors to {self.out}',
            f"fine-tune from it: load_from = {self.out!r} in the {self.level} template; the "
            f"weights expect mean={self.input_norm['mean']}, std={self.input_norm['std']} "
            f'(the template sets that when load_from is given)'
        ])


def effdet_coco_source(level: str,
                       cache_dir: str,
                       src: Optional[str] = None,
                       timeout: float = 60.0) -> str:
    """The effdet COCO checkpoint of ``level``: ``src`` if given, else the
    file in ``cache_dir`` (downloaded there when missing).

    Raises:
        UserError: an unknown level, a missing ``src``, or no network (one
            line naming the file to place).
    """
    if level not in EFFDET_COCO_FILES:
        raise UserError(f'no published COCO checkpoint for {level!r}; choose from '
                        f'{", ".join(EFFDET_COCO_FILES)}')
    if src is not None:
        if not osp.isfile(src):
            raise FileNotFoundError(f'--src {src!r} not found')
        return src
    cached = osp.join(cache_dir, EFFDET_COCO_FILES[level])
    if osp.isfile(cached):
        return cached
    return download_file(
        EFFDET_RELEASE + EFFDET_COCO_FILES[level], cached,
        f'offline, download it elsewhere and place it at {cached} (or pass --src FILE)', timeout)


def convert_coco_weights(level: str,
                         out: str,
                         ported_config: str,
                         cache_dir: str = 'checkpoints',
                         src: Optional[str] = None,
                         overwrite: bool = False,
                         log: Callable[[str], None] = print) -> CocoWeightsResult:
    """Fetch (or take) effdet's COCO checkpoint of ``level`` and write it as a
    checkpoint of the level's configs at ``out``.

    Args:
        level: ``d0`` ... ``d7x``, ``lite0`` ... ``lite4``, ``lite3x``.
        out: The checkpoint to write (never replaced without ``overwrite``).
        ported_config: The level's ported config (``configs/efficientdet/
            ported/tf_efficientdet_<level>_coco.py``): the target model.
        cache_dir: Where the effdet file is looked for / downloaded.
        src: The effdet file, if already at hand.
        overwrite: Replace ``out``.

    Raises:
        UserError: as :func:`effdet_coco_source`, an existing ``out``, or a
            source that does not fit the level.
    """

    if level not in EFFDET_COCO_FILES:  # before anything is fetched
        effdet_coco_source(level, cache_dir, src)
    plan_outputs([out], [src] if src else [], overwrite)
    cfg = load_config(ported_config)
    register_all_modules()
    model = MODELS.build(cfg.model)
    source = effdet_coco_source(level, cache_dir, src)
    log(f'converting {source}')
    state, report = convert_effdet(load_untrusted_state_dict(source), model, what=source)
    model.load_state_dict(state, strict=True)
    norm = dict(
        mean=list(cfg.model.data_preprocessor.mean), std=list(cfg.model.data_preprocessor.std))
    save_converted(state, out, source, overwrite, config=osp.basename(ported_config), level=level)
    return CocoWeightsResult(level, source, out, len(state), report.summary(), norm)
