#!/usr/bin/env python
"""Print the EfficientDet D0–D7x (and V2-backbone) table measured on the configs.

For each config: the numbers read from the config, and params / multiply-adds
measured on the built model at its native square input, next to the paper's
Table 1 (``mmdet_efficientdet.scaling``). Params must be within 2% and FLOPs
within 5%; the last column says whether they are. Exit status 1 if any is not.
The EfficientNetV2-backbone variants (``v2-b0``, ``v2-b3``, ``v2-s``) have no
published numbers: they are measured and listed with ``-`` for the paper.

    python tools/analysis_tools/model_table.py            # all of D0-D7x and V2
    python tools/analysis_tools/model_table.py --levels d0 d3 v2-s --num-classes 90
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time

from mmdet_efficientdet.utils.cli import add_threads

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_GLOB = osp.join(REPO, 'configs', 'efficientdet',
                       'efficientdet_{}_8xb16-*e_coco.py')


def level_config(level: str) -> str:
    """The config file of a level (``..._8xb16-300e_coco.py``, 600e for D7/D7x)."""
    import glob
    found = sorted(glob.glob(CONFIG_GLOB.format(level)))
    if len(found) != 1:
        raise FileNotFoundError(f'expected one config for level {level!r}, '
                                f'found {found}')
    return found[0]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--levels', nargs='+', default=None,
                        help='D-levels to measure (default: all)')
    parser.add_argument('--num-classes', type=int, default=90,
                        help='classes of the head; the paper counts COCO with '
                        '90 class slots (default: 90)')
    add_threads(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.utils.complexity import measure_complexity
    from mmdet_efficientdet.scaling import (EFFICIENTDET_LITE_SCALES,
                                            EFFICIENTDET_SCALES,
                                            EFFICIENTDET_V2_SCALES,
                                            get_efficientdet_scale)

    torch.set_num_threads(args.threads)
    MMLogger.get_instance('mmengine', log_level='ERROR')
    register_all_modules()
    levels = args.levels or (list(EFFICIENTDET_SCALES) +
                             list(EFFICIENTDET_V2_SCALES) +
                             list(EFFICIENTDET_LITE_SCALES))
    header = (f'{"model":5} {"input":>5} {"bb":>5} {"W":>4} {"D":>2} {"Dc":>3} '
              f'{"fusion":>6} {"levels":>6} {"anc":>3} | {"params(M)":>9} '
              f'{"paper":>6} {"diff":>6} | {"GFLOPs":>7} {"paper":>6} '
              f'{"diff":>6} | ok')
    print(f'threads={args.threads}, num_classes={args.num_classes}')
    print(header)
    print('-' * len(header))
    all_ok = True
    for level in levels:
        ref = get_efficientdet_scale(level)
        cfg = Config.fromfile(level_config(level))
        cfg.model.bbox_head.num_classes = args.num_classes
        model = MODELS.build(cfg.model)
        start = time.time()
        size = cfg.image_size
        cx = measure_complexity(model, size, size)
        m = cfg.model
        strides = m.bbox_head.anchor_generator.strides
        lv = f'P3-P{strides[-1].bit_length() - 1}'
        if ref.params_m is None:  # V2 backbones: no published numbers
            paper = f'{"-":>6} {"-":>6} | {{:>7.2f}} {"-":>6} {"-":>6} | -'
            p_col = f'{cx.params / 1e6:>9.3f} ' + paper.format(cx.flops / 1e9)
        else:
            p_diff = cx.params / 1e6 / ref.params_m - 1
            ok = abs(p_diff) <= 0.02
            if ref.flops_g is None:  # Lite: effdet's params, no FLOPs
                f_col = f'{cx.flops / 1e9:>7.2f} {"-":>6} {"-":>6}'
            else:
                f_diff = cx.flops / 1e9 / ref.flops_g - 1
                ok = ok and abs(f_diff) <= 0.05
                f_col = (f'{cx.flops / 1e9:>7.2f} {ref.flops_g:>6.4g} '
                         f'{f_diff:>+6.1%}')
            all_ok &= ok
            p_col = (f'{cx.params / 1e6:>9.3f} {ref.params_m:>6.2f} '
                     f'{p_diff:>+6.1%} | {f_col} | '
                     f'{"yes" if ok else "NO"}')
        print(f'{level.upper():5} {size:>5} {m.backbone.arch:>5} '
              f'{m.neck.out_channels:>4} {m.neck.num_stages:>2} '
              f'{m.bbox_head.stacked_convs:>3} {m.neck.fusion:>6} {lv:>6} '
              f'{m.bbox_head.anchor_generator.octave_base_scale:>3} | '
              f'{p_col}  ({time.time() - start:.0f}s)', flush=True)
    return 0 if all_ok else 1


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
