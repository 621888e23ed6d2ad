"""EfficientDet class/box head: separable convs shared across levels, BN per level."""
from __future__ import annotations
from typing import Dict, List, Optional, Tuple

import torch
from mmcv.cnn import DepthwiseSeparableConvModule, build_activation_layer, build_norm_layer
from mmdet.models.dense_heads import AnchorHead
from mmdet.registry import MODELS
from torch import nn

from ..layers.tf_norm import TF_BN

#: ``loss_normalizer`` choices of :class:`EfficientDetSepBNHead`.
LOSS_NORMALIZERS = ('mmdet', 'automl')


@MODELS.register_module()
class EfficientDetSepBNHead(AnchorHead):
    """EfficientDet head (Tan et al. 2020, Sec. 3.3 and automl ``class_net``/``box_net``).

    Each branch (class and box) is ``stacked_convs`` repeats of a depthwise
    separable 3x3 conv whose weights are shared by all pyramid levels, followed
    by a BatchNorm owned by each level and swish; then a separable prediction
    conv for ``A * C`` class logits or ``A * 4`` box deltas. Losses, targets,
    anchors and post-processing are mmdet's :class:`AnchorHead`.

    Args:
        num_classes (int): Number of object classes (no background).
        in_channels (int): Channels of every input level (``W_bifpn``).
        feat_channels (int, optional): Width of the stacked convs. Defaults
            to ``in_channels``.
        stacked_convs (int): Head depth ``D_class``. Defaults to 3.
        num_levels (int): Pyramid levels (each gets its own BNs). Defaults to 5.
        norm_cfg (dict): Norm config; TF eps/momentum by default.
        act_cfg (dict): Activation config. Defaults to SiLU (swish).
        prior_prob (float): Class prior used to initialise the class bias to
            ``-log((1 - p) / p)``. Defaults to 0.01.
        init_cfg (dict, optional): Defaults to automl's: every conv
            ``Normal(0, 0.01)`` with zero bias, then the class prediction's
            bias from ``prior_prob`` (``PriorProbBias``, its weights kept).
        anchor_generator (dict): 9 anchors per location: octave scales
            ``2**(0, 1/3, 2/3)`` x ratios ``(0.5, 1, 2)``, anchor scale 4 x stride,
            centred in each cell.
        loss_normalizer (str): What the class and box losses are divided by:
            ``'mmdet'`` (default; :class:`AnchorHead`'s sum over images of
            ``max(positives, 1)``) or ``'automl'`` (google/automl
            ``det_model_fn.py`` / effdet ``loss.py``: the positive anchors
            of the whole batch ``+ 1``).
        mask_zero_box_targets (bool): Drop box-loss elements whose target is
            exactly 0, as automl's ``_box_loss`` does (``mask = targets !=
            0``). Defaults to False.
        **kwargs: Other :class:`AnchorHead` arguments (coder, losses, cfgs).

    Example:
        >>> import torch
        >>> head = EfficientDetSepBNHead(num_classes=2, in_channels=16).eval()
        >>> feats = [torch.rand(1, 16, 64 // 2**i, 64 // 2**i) for i in range(5)]
        >>> cls_scores, bbox_preds = head(feats)
        >>> tuple(cls_scores[0].shape), tuple(bbox_preds[4].shape)
        ((1, 18, 64, 64), (1, 36, 4, 4))
    """

    #: State-dict prefixes (inside the head) whose shapes depend on
    #: ``num_classes``: the only tensors a checkpoint may bring in another
    #: shape (fine-tuning on other classes re-initialises them).
    class_dependent_prefixes: Tuple[str, ...] = ('cls_pred.pointwise_conv.', )

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: Optional[int] = None,
                 stacked_convs: int = 3,
                 num_levels: int = 5,
                 norm_cfg: Dict = TF_BN,
                 act_cfg: Dict = dict(type='SiLU'),
                 prior_prob: float = 0.01,
                 anchor_generator: Dict = dict(
                     type='AnchorGenerator',
                     octave_base_scale=4,
                     scales_per_octave=3,
                     ratios=[0.5, 1.0, 2.0],
                     strides=[8, 16, 32, 64, 128],
                     center_offset=0.5),
                 bbox_coder: Dict = dict(
                     type='ConfigurableDeltaXYWHBBoxCoder',
                     target_means=(.0, .0, .0, .0),
                     target_stds=(1.0, 1.0, 1.0, 1.0)),
                 loss_cls: Dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=1.5, alpha=0.25, loss_weight=1.0),
                 loss_bbox: Dict = dict(type='SmoothL1Loss', beta=0.1, loss_weight=1.25),
                 init_cfg: Optional[dict] = None,
                 loss_normalizer: str = 'mmdet',
                 mask_zero_box_targets: bool = False,
                 **kwargs) -> None:
        if loss_normalizer not in LOSS_NORMALIZERS:
            raise ValueError(f'loss_normalizer={loss_normalizer!r} is not one '
                             f'of {LOSS_NORMALIZERS}')
        if stacked_convs < 1:
            raise ValueError(f'stacked_convs={stacked_convs} must be >= 1')
        num_strides = len(anchor_generator.get('strides', []))
        if num_strides != num_levels:
            raise ValueError(f'num_levels={num_levels} but the anchor '
                             f'generator has {num_strides} strides')
        self.stacked_convs = stacked_convs
        self.num_levels = num_levels
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.prior_prob = prior_prob
        self.loss_normalizer = loss_normalizer
        self.mask_zero_box_targets = mask_zero_box_targets
        if init_cfg is None:
            init_cfg = dict(
                type='Normal',
                layer='Conv2d',
                std=0.01,
                override=dict(type='PriorProbBias', name='cls_pred', prior_prob=prior_prob))
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            feat_channels=feat_channels or in_channels,
            anchor_generator=anchor_generator,
            bbox_coder=bbox_coder,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            init_cfg=init_cfg,
            **kwargs)

    def _separable(self, in_channels: int, out_channels: int,
                   bias: bool) -> DepthwiseSeparableConvModule:
        """3x3 depthwise + 1x1 pointwise conv; with ``bias``, one bias after
        the pointwise conv (as automl's ``SeparableConv2D``): a depthwise
        bias would be a second, redundant trainable offset."""
        conv = DepthwiseSeparableConvModule(
            in_channels, out_channels, 3, padding=1, bias=bias, norm_cfg=None, act_cfg=None)
        conv.depthwise_conv.conv.register_parameter('bias', None)
        return conv

    def _branch(self) -> Tuple[nn.ModuleList, nn.ModuleList]:
        convs, bns = nn.ModuleList(), nn.ModuleList()
        channels = self.in_channels
        for _ in range(self.stacked_convs):
            convs.append(self._separable(channels, self.feat_channels, False))
            bns.append(
                nn.ModuleList(
                    build_norm_layer(self.norm_cfg, self.feat_channels)[1]
                    for _ in range(self.num_levels)))
            channels = self.feat_channels
        return convs, bns

    def _init_layers(self) -> None:
        """Shared convs, per-level BNs and the two prediction convs."""
        self.cls_convs, self.cls_bns = self._branch()
        self.reg_convs, self.reg_bns = self._branch()
        self.act = build_activation_layer(self.act_cfg)
        self.cls_pred = self._separable(self.feat_channels,
                                        self.num_base_priors * self.cls_out_channels, True)
        self.reg_pred = self._separable(self.feat_channels, self.num_base_priors * 4, True)

    def _run_branch(self, x: torch.Tensor, level: int, convs: nn.ModuleList, bns: nn.ModuleList,
                    pred: nn.Module) -> torch.Tensor:
        for conv, level_bns in zip(convs, bns):
            x = self.act(level_bns[level](conv(x)))
        return pred(x)

    def forward_single(self, x: torch.Tensor, level: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Forward one pyramid level.

        Args:
            x (Tensor): Features ``(N, in_channels, H, W)`` of level ``level``.
            level (int): Index of the level (selects its BatchNorms).

        Returns:
            tuple[Tensor, Tensor]: Class logits ``(N, A * C, H, W)`` and box
            deltas ``(N, A * 4, H, W)``.
        """
        cls_score = self._run_branch(x, level, self.cls_convs, self.cls_bns, self.cls_pred)
        bbox_pred = self._run_branch(x, level, self.reg_convs, self.reg_bns, self.reg_pred)
        return cls_score, bbox_pred

    def get_targets(self, *args, **kwargs) -> tuple:
        """:meth:`AnchorHead.get_targets`, with automl's normaliser and
        zero-target mask when configured.

        Returns:
            tuple: As :class:`AnchorHead`: ``(labels_list, label_weights_list,
            bbox_targets_list, bbox_weights_list, avg_factor, ...)``, each list
            per level ``(N, A_l[, 4])``.
        """
        (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor,
         *rest) = super().get_targets(*args, **kwargs)
        if self.loss_normalizer == 'automl':
            avg_factor = 1 + sum(
                int(((labels >= 0) & (labels < self.num_classes)).sum()) for labels in labels_list)
        if self.mask_zero_box_targets:
            bbox_weights_list = [
                weights * (bbox_targets != 0).to(weights.dtype)
                for weights, bbox_targets in zip(bbox_weights_list, bbox_targets_list)
            ]
        return (labels_list, label_weights_list, bbox_targets_list, bbox_weights_list, avg_factor,
                *rest)

    def forward(self, x: Tuple[torch.Tensor, ...]) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Forward all levels.

        Args:
            x (tuple[Tensor]): ``num_levels`` maps ``(N, in_channels, H_l, W_l)``.

        Returns:
            tuple[list[Tensor], list[Tensor]]: Per-level class logits
            ``(N, A * C, H_l, W_l)`` and box deltas ``(N, A * 4, H_l, W_l)``.
        """
        if len(x) != self.num_levels:
            raise ValueError(f'EfficientDetSepBNHead got {len(x)} levels, '
                             f'expected num_levels={self.num_levels}')
        cls_scores, bbox_preds = [], []
        for level, feat in enumerate(x):
            cls_score, bbox_pred = self.forward_single(feat, level)
            cls_scores.append(cls_score)
            bbox_preds.append(bbox_pred)
        return cls_scores, bbox_preds
