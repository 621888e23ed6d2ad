"""An EfficientDet supernet trained with the sandwich rule (Once-for-All /
BigNAS): one set of weights for every sub-network of a search space."""
from __future__ import annotations
import random
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmengine.optim import OptimWrapper

from ..backbones.efficientnet import network_def
from ..layers.active_prefix import ActivePrefixList
from ..search_space import SearchSpace, SubnetChoice
from .efficientdet import EfficientDet


@MODELS.register_module()
class EfficientDetSupernet(EfficientDet):
    """EfficientDet whose backbone stages, BiFPN repeats and head depth are
    elastic within ``search_space``.

    The supernet is the largest sub-network: its backbone is an
    ``ElasticEfficientNetBackbone`` of the parent's block strings (``arch``:
    e.g. ``'lite0'``) with each stage's largest kernel, expansion and depth,
    its BiFPN has the most repeats and its head the most convs. These are
    filled in from the space (one home), so the config names only the space.

    Training (:meth:`train_step`) follows the sandwich rule: each iteration
    accumulates the gradients of the largest, the smallest and
    ``num_random`` random sub-networks, then steps once. With
    ``distill_weight > 0`` the smaller ones also fit the largest's class
    probabilities (in-place distillation, BigNAS). Outside training the
    active sub-network is the one :meth:`set_choice` set (the largest at
    first), so validation during training scores the largest.

    Args:
        search_space (dict): :class:`~mmdet_efficientdet.models.search_space.SearchSpace`
            as data.
        num_random (int): Random sub-networks per iteration. Defaults to 2.
        distill_weight (float): Weight of the in-place distillation loss
            (binary cross-entropy to the largest's class probabilities).
            Defaults to 0 (off).
        seed (int): Seed of the sub-network sampling. Defaults to 0.
        backbone, neck, bbox_head, **kwargs: As :class:`EfficientDet`.
    """

    def __init__(self,
                 backbone: Dict,
                 neck: Dict,
                 bbox_head: Dict,
                 search_space: Mapping,
                 num_random: int = 2,
                 distill_weight: float = 0.0,
                 seed: int = 0,
                 **kwargs) -> None:
        space = SearchSpace.from_config(search_space)
        largest = space.largest()
        parent = network_def(backbone.get('arch', 'b0')).blocks
        backbone = dict(backbone, type='ElasticEfficientNetBackbone')
        backbone['blocks'] = list(space.subnet_blocks(parent, largest))
        neck = dict(neck, num_stages=largest.neck_repeats)
        bbox_head = dict(bbox_head, stacked_convs=largest.head_depth)
        super().__init__(backbone=backbone, neck=neck, bbox_head=bbox_head, **kwargs)
        self.search_space = space
        self.num_random = num_random
        self.distill_weight = distill_weight
        self._rng = random.Random(seed)
        self.neck.stages = ActivePrefixList(self.neck.stages)
        head = self.bbox_head
        for name in ('cls_convs', 'cls_bns', 'reg_convs', 'reg_bns'):
            setattr(head, name, ActivePrefixList(getattr(head, name)))
        self.choice = largest
        self.set_choice(largest)

    def set_choice(self, choice: SubnetChoice) -> None:
        """Make ``choice`` the active sub-network (its input size is the
        data's: the caller resizes)."""
        self.search_space.check(choice)
        self.backbone.set_choice(choice.stages)
        self.neck.stages.active = choice.neck_repeats
        for name in ('cls_convs', 'cls_bns', 'reg_convs', 'reg_bns'):
            getattr(self.bbox_head, name).active = choice.head_depth
        self.choice = choice

    def sandwich(self) -> List[Tuple[str, SubnetChoice]]:
        """The sub-networks of one training iteration: largest first."""
        space = self.search_space
        return [('largest', space.largest()), ('smallest', space.smallest())] + \
            [(f'random{i}', space.sample(self._rng)) for i in range(self.num_random)]

    def _losses(self, inputs: torch.Tensor, data_samples: list,
                teacher: Optional[List[torch.Tensor]]) -> Tuple[Dict, List[torch.Tensor]]:
        """Detection losses of the active sub-network, plus the distillation
        loss to ``teacher``'s class logits when given."""
        outs = self.bbox_head(self.extract_feat(inputs))
        gt_instances, gt_ignore, img_metas = unpack_gt_instances(data_samples)
        losses = self.bbox_head.loss_by_feat(*outs, gt_instances, img_metas, gt_ignore)
        if teacher is not None:
            losses['loss_distill'] = self.distill_weight * sum(
                F.binary_cross_entropy_with_logits(s, t.sigmoid())
                for s, t in zip(outs[0], teacher)) / len(teacher)
        return losses, outs[0]

    def train_step(self, data, optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One sandwich-rule step: the gradients of every sub-network of
        :meth:`sandwich` summed, one optimizer step.

        Returns:
            dict: ``loss`` (the largest's total) and ``loss_<which>`` for
            each sub-network, for the logger.
        """
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
        log_vars: Dict[str, torch.Tensor] = {}
        teacher = None
        for tag, choice in self.sandwich():
            self.set_choice(choice)
            with optim_wrapper.optim_context(self):
                losses, logits = self._losses(data['inputs'], data['data_samples'],
                                              teacher if self.distill_weight > 0 else None)
            loss, parsed = self.parse_losses(losses)
            optim_wrapper.backward(loss)
            if tag == 'largest':
                teacher = [t.detach() for t in logits]
                log_vars.update(parsed)
            log_vars[f'loss_{tag}'] = parsed['loss']
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        self.set_choice(self.search_space.largest())
        return log_vars
