"""Compound-scaling coefficients: the grid of EfficientNet's step 1 and the
levels a set of coefficients gives at any phi.

EfficientNet (Tan & Le, ICML 2019, Sec. 3.3) scales depth ``d = alpha**phi``,
width ``w = beta**phi`` and resolution ``r = gamma**phi`` with
``alpha * beta**2 * gamma**2 ~= 2`` (FLOPs double per unit of phi); step 1
fixes ``phi = 1`` and grid-searches (alpha, beta, gamma) -- the paper found
1.2, 1.1, 1.15. EfficientDet (Tan, Pang, Le, CVPR 2020, Eq. 1-3) scales the
BiFPN width by ``1.35**phi``, adds one BiFPN layer per unit of phi and one
head layer per three. :func:`scaled_level` applies both to a user's base
level, as data a config can hold (``level = dict(backbone=dict(width=...,
depth=...), ...)``).
"""
from __future__ import annotations
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from ..errors import UserError
from ..scaling import EfficientDetScale, compound_numbers, efficientnet_scale

#: EfficientNet's coefficients (paper Sec. 3.3).
PAPER_ALPHA, PAPER_BETA, PAPER_GAMMA = 1.2, 1.1, 1.15
#: EfficientDet's BiFPN width factor (paper Eq. 1).
PAPER_BIFPN_FACTOR = 1.35


@dataclass(frozen=True)
class Coefficients:
    """One point of the grid.

    Attributes:
        alpha (float): Depth coefficient (backbone repeats).
        beta (float): Width coefficient (backbone channels).
        gamma (float): Resolution coefficient.
        bifpn_factor (float): BiFPN width factor (1.35 in the paper).
    """
    alpha: float
    beta: float
    gamma: float
    bifpn_factor: float = PAPER_BIFPN_FACTOR

    @property
    def flops_factor(self) -> float:
        """``alpha * beta**2 * gamma**2``: the backbone's FLOPs per unit phi."""
        return self.alpha * self.beta**2 * self.gamma**2

    @property
    def is_paper(self) -> bool:
        """Whether these are the papers' coefficients."""
        return (self.alpha, self.beta, self.gamma,
                self.bifpn_factor) == (PAPER_ALPHA, PAPER_BETA, PAPER_GAMMA, PAPER_BIFPN_FACTOR)

    @property
    def name(self) -> str:
        """E.g. ``a1.2_b1.1_g1.15`` (``_w1.35`` when a BiFPN factor is
        searched too)."""
        text = f'a{self.alpha:g}_b{self.beta:g}_g{self.gamma:g}'
        if self.bifpn_factor != PAPER_BIFPN_FACTOR:
            text += f'_w{self.bifpn_factor:g}'
        return text


def coefficient_grid(alphas: Sequence[float],
                     betas: Sequence[float],
                     gammas: Sequence[float],
                     bifpn_factors: Sequence[float] = (PAPER_BIFPN_FACTOR, ),
                     flops_factor: float = 2.0,
                     tolerance: float = 0.15,
                     include_paper: bool = True) -> List[Coefficients]:
    """Every (alpha, beta, gamma[, bifpn factor]) with ``alpha * beta**2 *
    gamma**2`` within ``tolerance`` of ``flops_factor``, each >= 1.

    The paper's coefficients are added (once) when ``include_paper``, so a
    search always says how they compare.

    Example:
        >>> [c.name for c in coefficient_grid([1.0, 1.2, 1.4], [1.0, 1.1, 1.2],
        ...                                   [1.0, 1.15, 1.3])]  # doctest: +NORMALIZE_WHITESPACE
        ['a1_b1.1_g1.3', 'a1_b1.2_g1.15', 'a1.2_b1_g1.3', 'a1.2_b1.1_g1.15',
         'a1.4_b1_g1.15', 'a1.4_b1.2_g1']

    Raises:
        UserError: a coefficient < 1, a FLOPs factor <= 1, or no point of the
            given values near it (the paper's point is not counted).
    """
    values = [*alphas, *betas, *gammas, *bifpn_factors]
    if not values or min(values) < 1:
        raise UserError(f'coefficients must be >= 1 (scaling up), got '
                        f'{sorted(values)[:1]}')
    if not flops_factor > 1 or tolerance < 0:
        raise UserError(f'--flops-factor {flops_factor:g} must be > 1 and --tolerance '
                        f'{tolerance:g} >= 0')
    grid = [
        Coefficients(a, b, g, w) for a in sorted(set(alphas)) for b in sorted(set(betas))
        for g in sorted(set(gammas)) for w in sorted(set(bifpn_factors))
        if abs(a * b * b * g * g - flops_factor) <= tolerance + 1e-9
    ]
    if not grid:
        raise UserError(f'no (alpha, beta, gamma) on the grid has alpha * beta^2 * gamma^2 '
                        f'within {tolerance:g} of {flops_factor:g}')
    paper = Coefficients(PAPER_ALPHA, PAPER_BETA, PAPER_GAMMA)
    if include_paper and paper not in grid:
        grid.append(paper)
        grid.sort(key=lambda c: (c.alpha, c.beta, c.gamma, c.bifpn_factor))
    return grid


def scaled_level(base: EfficientDetScale,
                 base_size: int,
                 coeffs: Coefficients,
                 phi: float,
                 size_divisor: int = 128) -> Dict[str, Any]:
    """The level ``coeffs`` give at ``phi`` from ``base``, as config data.

    Backbone width ``base width * beta**phi`` and depth ``base depth *
    alpha**phi`` (rounded when the network is planned: channels to multiples
    of 8 never below 90%, repeats up); input, BiFPN width and depth and head
    depth by the compound rule from the base's numbers
    (:func:`~mmdet_efficientdet.scaling.compound_numbers` with
    ``size_factor=gamma`` and ``width_factor=bifpn_factor``). Fusion, levels,
    anchors, activation and normalisation stay the base's.

    Args:
        base: The level being scaled (the user's config's ``level``).
        base_size: Its input side (the user's config's ``image_size``).
        coeffs: The coefficients.
        phi: Compound coefficient, >= 0.
        size_divisor: 128 as automl; 32 for small images.

    Returns:
        dict: What a config's ``level`` holds
        (:func:`~mmdet_efficientdet.scaling.custom_level`).

    Example:
        >>> from mmdet_efficientdet.scaling import get_efficientdet_scale
        >>> paper = Coefficients(1.2, 1.1, 1.15)
        >>> lvl = scaled_level(get_efficientdet_scale('d0'), 512, paper, 1)
        >>> lvl['backbone'], lvl['bifpn_channels'], lvl['image_size']
        ({'width': 1.1, 'depth': 1.2, 'blocks': 'v1', 'round_limit': 0.9}, 88, 640)
    """
    if phi < 0:
        raise UserError(f'phi={phi:g} must be >= 0')
    backbone = efficientnet_scale(base.backbone)
    rule = compound_numbers(
        phi,
        image_size=base_size,
        bifpn_channels=base.bifpn_channels,
        bifpn_repeats=base.bifpn_repeats,
        head_repeats=base.head_repeats,
        width_factor=coeffs.bifpn_factor,
        size_factor=coeffs.gamma,
        size_divisor=size_divisor)
    level = dict(
        backbone=dict(
            width=round(backbone.width * coeffs.beta**phi, 4),
            depth=round(backbone.depth * coeffs.alpha**phi, 4),
            blocks=backbone.blocks,
            round_limit=backbone.round_limit),
        bifpn_channels=rule.bifpn_channels,
        bifpn_repeats=rule.bifpn_repeats,
        head_repeats=rule.head_repeats,
        image_size=rule.image_size,
        phi=float(phi),
        fusion=base.fusion,
        min_level=base.min_level,
        max_level=base.max_level,
        anchor_scale=base.anchor_scale,
        act=base.act,
        pixel_mean=tuple(base.pixel_mean),
        pixel_std=tuple(base.pixel_std))
    if size_divisor != 128:
        level['size_divisor'] = size_divisor
    return level
