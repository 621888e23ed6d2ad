"""Convert an effdet EfficientDet checkpoint into one our configs load.

    .venv/bin/python tools/model_converters/effdet_to_mmdet.py \
        tf_efficientdet_d0_34-f153e0cf.pth tf_efficientdet_d0_mmdet.pth \
        --config configs/efficientdet/ported/tf_efficientdet_d0_coco.py

Source: rwightman's effdet ``tf_efficientdet_d0`` ... ``d7x`` (ports of the
google/automl TF checkpoints) and ``efficientdet_d*`` (PyTorch-trained). The
file is read with ``torch.load(weights_only=True)`` (a downloaded file is
untrusted). The target model is built from ``--config``: a source of another
architecture is refused with the expected and found shapes; source keys that
were not used are listed.
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='effdet checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing output')
    parser.add_argument(
        '--config',
        required=True,
        help='our config the checkpoint is for (e.g. '
        'configs/efficientdet/ported/tf_efficientdet_d0_coco.py)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=None,
        help='classes of the target head (default: the '
        'config\'s; 90-id TF heads become 80 COCO classes)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    import mmdet_efficientdet  # noqa: F401  (registers modules)
    from mmdet_efficientdet.converters import (convert_effdet, load_untrusted_state_dict,
                                               save_converted)
    from mmdet_efficientdet.fileio import plan_outputs
    plan_outputs([args.dst], [args.src], args.overwrite)  # before converting
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.num_classes:
        cfg.model.bbox_head.num_classes = args.num_classes
    model = MODELS.build(cfg.model)
    source = load_untrusted_state_dict(args.src)
    state, report = convert_effdet(source, model, what=args.src)
    model.load_state_dict(state, strict=True)
    print(report.summary())
    save_converted(state, args.dst, args.src, args.overwrite, config=osp.basename(args.config))
    print(f'saved {len(state)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
