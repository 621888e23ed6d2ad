"""Parameters and multiply-adds of every level's config against the paper
(``tools/analysis_tools/model_table.py``)."""
from __future__ import annotations
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

from ..measure.complexity import measure_complexity
from ..scaling import (EFFICIENTDET_LITE_SCALES, EFFICIENTDET_P2_SCALES, EFFICIENTDET_SCALES,
                       EFFICIENTDET_V2_SCALES, get_efficientdet_scale)
from ..utils.config_loader import level_config, load_config

#: Allowed relative difference from the published params / FLOPs.
PARAMS_TOLERANCE, FLOPS_TOLERANCE = 0.02, 0.05


@dataclass
class ModelRow:
    """One level: what its config builds, measured, next to the paper.

    Attributes:
        level (str): ``d0`` ... ``lite4``, ``v2-s`` ...
        image_size (int): Native square input.
        arch (str): Backbone variant.
        bifpn_channels, bifpn_repeats, head_repeats (int): W, D, D_class.
        fusion (str): BiFPN fusion.
        min_level, max_level (int): Lowest (P3, P2) and highest pyramid
            level (P7, P8).
        anchor_scale (float): Anchor octave base scale.
        params_m, gflops (float): Measured params (M) and multiply-adds (G).
        paper_params_m, paper_gflops (float, optional): Published numbers.
        seconds (float): Time to count.
    """
    level: str
    image_size: int
    arch: str
    bifpn_channels: int
    bifpn_repeats: int
    head_repeats: int
    fusion: str
    min_level: int
    max_level: int
    anchor_scale: float
    params_m: float
    gflops: float
    paper_params_m: Optional[float]
    paper_gflops: Optional[float]
    seconds: float

    @property
    def params_diff(self) -> Optional[float]:
        if self.paper_params_m is None:
            return None
        return self.params_m / self.paper_params_m - 1

    @property
    def flops_diff(self) -> Optional[float]:
        if self.paper_gflops is None:
            return None
        return self.gflops / self.paper_gflops - 1

    @property
    def ok(self) -> Optional[bool]:
        """Within 2% params and 5% FLOPs of the paper; None without a
        published number."""
        if self.params_diff is None:
            return None
        return abs(self.params_diff) <= PARAMS_TOLERANCE and (self.flops_diff is None or abs(
            self.flops_diff) <= FLOPS_TOLERANCE)

    def format(self) -> str:

        def num(value, spec):
            return format(value, spec) if value is not None else \
                f'{"-":>{spec.split(".")[0].lstrip("+>")}}'

        ok = {None: '-', True: 'yes', False: 'NO'}[self.ok]
        return (f'{self.level.upper():8} {self.image_size:>5} {self.arch:>5} '
                f'{self.bifpn_channels:>4} {self.bifpn_repeats:>2} '
                f'{self.head_repeats:>3} {self.fusion:>6} '
                f'{f"P{self.min_level}-P{self.max_level}":>6} {self.anchor_scale:>3} | '
                f'{self.params_m:>9.3f} {num(self.paper_params_m, ">6.2f")} '
                f'{num(self.params_diff, "+6.1%")} | {self.gflops:>7.2f} '
                f'{num(self.paper_gflops, ">6.4g")} '
                f'{num(self.flops_diff, "+6.1%")} | {ok}  '
                f'({self.seconds:.0f}s)')


HEADER = (f'{"model":8} {"input":>5} {"bb":>5} {"W":>4} {"D":>2} {"Dc":>3} '
          f'{"fusion":>6} {"levels":>6} {"anc":>3} | {"params(M)":>9} '
          f'{"paper":>6} {"diff":>6} | {"GFLOPs":>7} {"paper":>6} '
          f'{"diff":>6} | ok')


def measure_level(config_dir: str, level: str, num_classes: int = 90) -> ModelRow:
    """Build ``level``'s config with ``num_classes`` and count it."""

    ref = get_efficientdet_scale(level)
    cfg = load_config(level_config(config_dir, level))
    cfg.model.bbox_head.num_classes = num_classes
    cfg.model.backbone.init_cfg = None
    start = time.time()
    size = cfg.image_size
    cx = measure_complexity(MODELS.build(cfg.model), size, size)
    m = cfg.model
    strides = m.bbox_head.anchor_generator.strides
    return ModelRow(level, size, str(m.backbone.arch), m.neck.out_channels, m.neck.num_stages,
                    m.bbox_head.stacked_convs, m.neck.fusion, strides[0].bit_length() - 1,
                    strides[-1].bit_length() - 1, m.bbox_head.anchor_generator.octave_base_scale,
                    cx.params / 1e6, cx.flops / 1e9, ref.params_m, ref.flops_g,
                    time.time() - start)


def model_table(config_dir: str,
                levels: Optional[Sequence[str]] = None,
                num_classes: int = 90,
                log=None) -> List[ModelRow]:
    """Every level of the scaling tables (or ``levels``), counted; ``log``
    gets each row as it is done."""

    register_all_modules()
    levels = levels or (list(EFFICIENTDET_SCALES) + list(EFFICIENTDET_V2_SCALES) +
                        list(EFFICIENTDET_LITE_SCALES) + list(EFFICIENTDET_P2_SCALES))
    rows = []
    for level in levels:
        rows.append(measure_level(config_dir, level, num_classes))
        if log is not None:
            log(rows[-1].format())
    return rows
