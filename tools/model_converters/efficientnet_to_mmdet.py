"""Convert a timm / TF-ported EfficientNet ImageNet checkpoint into a backbone
checkpoint for ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    .venv/bin/python tools/model_converters/efficientnet_to_mmdet.py \
        tf_efficientnet_b0_aa-827b6e33.pth b0_backbone.pth --arch b0

(EfficientNetV2: `tf_efficientnetv2_s` weights with `--arch v2_s`, ...)

then in a config::

    model = dict(backbone=dict(
        same_padding=True,  # for tf_* (TF-ported) weights
        init_cfg=dict(type='Pretrained', checkpoint='b0_backbone.pth')))

The file is read with ``torch.load(weights_only=True)``. The classifier head
(``conv_head``, ``bn2``, ``classifier``) is dropped and listed; a checkpoint of
another width/depth is refused with the expected and found shapes.
"""
from __future__ import annotations
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='timm EfficientNet checkpoint (.pth)')
    parser.add_argument('dst', help='output backbone checkpoint')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing output')
    parser.add_argument(
        '--arch',
        required=True,
        help='EfficientNetBackbone arch: b0 ... b7, v2_s, v2_m, v2_l, '
        'v2_b0 ... v2_b3')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.converters import (convert_timm_efficientnet, load_untrusted_state_dict,
                                               save_converted)
    from mmdet_efficientdet.fileio import plan_outputs
    from mmdet_efficientdet.models.backbones import EfficientNetBackbone
    plan_outputs([args.dst], [args.src], args.overwrite)  # before converting
    target = EfficientNetBackbone(arch=args.arch).state_dict()
    source = load_untrusted_state_dict(args.src)
    state, report = convert_timm_efficientnet(source, target, what=args.src)
    print(report.summary())
    save_converted(state, args.dst, args.src, args.overwrite, arch=args.arch)
    print(f'saved {len(state)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
