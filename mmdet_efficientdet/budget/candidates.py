"""The model family a budget chooses from, in order of size, as config data."""
from __future__ import annotations
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

from ..errors import UserError
from ..scaling import (EFFICIENTDET_LITE_SCALES, EFFICIENTDET_SCALES, EFFICIENTDET_V2_SCALES,
                       PUBLISHED_COCO_AP_VAL, PUBLISHED_COCO_AP_VAL_INT8, get_efficientdet_scale)
from ..utils.config_loader import level_config

#: Families a budget can choose from.
FAMILIES = ('d', 'lite', 'v2')


@dataclass(frozen=True)
class Candidate:
    """One model of the family.

    Attributes:
        name (str): ``d2``, ``phi2.25``, ``lite1``, ``v2-s`` ...
        family (str): One of :data:`FAMILIES`.
        order (float): Position in its family; cost grows with it (``phi``;
            D7x and Lite3x sit half a step above D7 and Lite3).
        level (str | dict): What a config's ``level`` holds: a table row
            name or ``{'phi': x}`` (:func:`~mmdet_efficientdet.scaling.
            compound_level`).
        image_size (int): Square input.
        coco_ap_val (float, optional): Published COCO val AP.
        coco_ap_val_int8 (float, optional): Published COCO val AP of the
            int8-quantised checkpoint (Lite rows).
    """
    name: str
    family: str
    order: float
    level: Union[str, dict]
    image_size: int
    coco_ap_val: Optional[float] = None
    coco_ap_val_int8: Optional[float] = None

    def published_ap(self, int8: bool = False) -> Optional[float]:
        """The published COCO val AP for a float or an int8 path (the
        float number when no int8 one is published), or None."""
        return (self.coco_ap_val_int8 or self.coco_ap_val) if int8 else self.coco_ap_val


def _row(name: str, family: str, order: float) -> Candidate:
    return Candidate(name, family, order, name,
                     get_efficientdet_scale(name).image_size, PUBLISHED_COCO_AP_VAL.get(name),
                     PUBLISHED_COCO_AP_VAL_INT8.get(name))


def family_candidates(families: Sequence[str] = FAMILIES,
                      phi_step: float = 0.25,
                      max_phi: float = 7.0) -> List[Candidate]:
    """Every candidate of ``families``, each family sorted by size.

    ``d``: the D0-D7x rows and, between them, the paper's rule at every
    fractional ``phi`` on a ``phi_step`` grid up to ``max_phi``; ``lite``:
    Lite0-Lite4 (with Lite3x); ``v2``: the EfficientNetV2-backbone rows.
    Every family keeps only rows whose compound coefficient is at most
    ``max_phi`` (D7x counts as 7, Lite3x as 3).

    Raises:
        UserError: an unknown family, a step outside ``(0, 1]``, a
            ``max_phi`` outside ``[0, 8]`` or one that leaves no candidate.
    """
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown or not families:
        raise UserError(f'--families {list(families)}: choose from '
                        f'{list(FAMILIES)}')
    if not 0 < phi_step <= 1:
        raise UserError(f'--phi-step {phi_step} must be in (0, 1]')
    if not 0 <= max_phi <= 8:
        raise UserError(f'--max-phi {max_phi:g} must be in [0, 8]')
    out: List[Candidate] = []
    if 'd' in families:
        rows = [
            _row(n, 'd', 7.5 if n == 'd7x' else s.phi) for n, s in EFFICIENTDET_SCALES.items()
            if s.phi <= max_phi
        ]
        steps = int(round(max_phi / phi_step))
        for i in range(1, steps + 1):
            phi = round(i * phi_step, 6)
            if abs(phi - round(phi)) > 1e-9:
                level = dict(phi=phi)
                rows.append(
                    Candidate(f'phi{phi:g}', 'd', phi, level,
                              get_efficientdet_scale(level).image_size))
        out += sorted(rows, key=lambda c: c.order)
    if 'lite' in families:
        out += [
            _row(n, 'lite', s.phi + (0.5 if n == 'lite3x' else 0))
            for n, s in EFFICIENTDET_LITE_SCALES.items() if s.phi <= max_phi
        ]
    if 'v2' in families:
        out += [_row(n, 'v2', s.phi) for n, s in EFFICIENTDET_V2_SCALES.items() if s.phi <= max_phi]
    if not out:
        raise UserError(f'--max-phi {max_phi:g}: no candidate of --families '
                        f'{" ".join(families)} is that small')
    return out


def candidate_config(candidate: Candidate, base_config: str) -> str:
    """The text of a config for ``candidate``.

    A table row is its own config in the repository (next to the complete D0
    config ``base_config``, an absolute path), inherited unchanged; a
    fractional ``phi`` names the level as data in a thin child of the D0
    config, as ``configs/efficientdet/scaled/`` does.
    """
    header = f'# {candidate.name}: written by tools/analysis_tools/scale_to_budget.py\n'
    if isinstance(candidate.level, str):
        base = level_config(osp.dirname(base_config), candidate.level)
        return header + f'_base_ = {base!r}\n'
    level = dict(_delete_=True, **candidate.level)  # replaces the parent's 'd0'
    return header + f'''_base_ = {base_config!r}
from mmdet_efficientdet.config_utils import (level_image_size,  # noqa: E402
                                             level_model, with_image_size)

level = {level!r}
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
'''
