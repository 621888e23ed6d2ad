"""A sub-network of a supernet as an ordinary config and a plain checkpoint."""
from __future__ import annotations
import copy
import math
from typing import Dict

from torch import nn

from ..config_utils import set_config_image_size
from ..errors import UserError
from ..models.backbones.efficientnet import network_def
from ..models.backbones.elastic_efficientnet import crop_tensor
from ..models.search_space import SearchSpace, SubnetChoice

#: Supernet-only ``model`` keys a plain config drops.
SUPERNET_KEYS = ('search_space', 'num_random', 'distill_weight', 'seed')


def search_space_of(cfg) -> SearchSpace:
    """The search space of a supernet config (``model.search_space``)."""
    if cfg.model.get('type') != 'EfficientDetSupernet' or 'search_space' not in cfg.model:
        raise UserError(f'model.type={cfg.model.get("type")!r}: expected a supernet config '
                        f'(model.type=\'EfficientDetSupernet\' with model.search_space)')
    return SearchSpace.from_config(cfg.model.search_space)


def subnet_config(cfg, choice: SubnetChoice):
    """The plain config of one sub-network of a supernet config.

    The model becomes an ``EfficientDet`` with an ``EfficientNetBackbone`` of
    the choice's block strings, its BiFPN repeats and head depth; every
    pipeline takes the choice's input size and the data preprocessor pads to
    the coarsest stride that divides it. Data, schedule, anchors and losses
    are the supernet config's. The backbone's ImageNet init is dropped: the
    weights come from :func:`extract_subnet`'s checkpoint.

    Args:
        cfg (Config): A supernet config (``model.type='EfficientDetSupernet'``).
        choice: A sub-network of its space.

    Returns:
        Config: A new config; ``cfg`` is unchanged.
    """
    space = search_space_of(cfg)
    sub = copy.deepcopy(cfg)
    model = sub.model
    blocks = space.subnet_blocks(network_def(model.backbone.get('arch', 'b0')).blocks, choice)
    for key in SUPERNET_KEYS:
        model.pop(key, None)
    sub.pop('search_space', None)  # the config's own variable for model.search_space
    model.type = 'EfficientDet'
    model.backbone.update(type='EfficientNetBackbone', blocks=list(blocks), init_cfg=None)
    model.neck.num_stages = choice.neck_repeats
    model.bbox_head.stacked_convs = choice.head_depth
    coarsest = max(
        s if isinstance(s, int) else max(s) for s in model.bbox_head.anchor_generator.strides)
    model.data_preprocessor.pad_size_divisor = math.gcd(choice.image_size, coarsest)
    sub.image_size = choice.image_size
    set_config_image_size(sub, choice.image_size)
    return sub


def extract_subnet(supernet: nn.Module, choice: SubnetChoice, plain: nn.Module) -> Dict:
    """Cut the weights of one sub-network out of a supernet.

    Every tensor of ``plain`` (the model of :func:`subnet_config`) is taken
    from the supernet's tensor of the same key: leading channels, centre
    kernel (:func:`~mmdet_efficientdet.models.backbones.elastic_efficientnet.crop_tensor`);
    the blocks, BiFPN repeats and head convs it lacks are left out.

    Args:
        supernet: An ``EfficientDetSupernet`` (its active choice is not changed).
        choice: The sub-network.
        plain: The plain model of ``subnet_config(cfg, choice)``.

    Returns:
        dict: ``plain``'s state dict with the supernet's weights.
    """
    supernet.search_space.check(choice)
    source = supernet.state_dict()
    state = {}
    for key, target in plain.state_dict().items():
        if key not in source:
            raise KeyError(f'{key}: not in the supernet (is the plain model of this choice?)')
        state[key] = crop_tensor(source[key], target.shape).clone() if target.dim() else \
            source[key].clone()
    return state
