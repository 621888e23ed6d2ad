"""Fused-MBConv block of EfficientNetV2 (Tan & Le, ICML 2021, Fig. 2)."""
from __future__ import annotations
from typing import Optional

import torch
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks import DropPath
from mmdet.models.layers import SELayer
from mmengine.model import BaseModule
from torch import nn


class FusedMBConv(BaseModule):
    """Fused inverted residual: the MBConv expansion 1x1 + depthwise kxk
    replaced by one regular kxk conv.

    With ``mid_channels == in_channels`` (expansion 1, the paper's
    "Fused-MBConv1") the block is a single kxk conv + BN + activation, as in
    the official ``FusedMBConvBlock``; otherwise it is kxk expand conv (BN,
    activation), optional squeeze-excitation, 1x1 projection (BN, no
    activation). A residual with stochastic depth is added when the stride is
    1 and the channel count is unchanged.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        mid_channels (int): Channels after the fused expansion conv;
            ``in_channels`` means no expansion.
        kernel_size (int): Kernel of the fused conv. Defaults to 3.
        stride (int): Stride of the fused conv, 1 or 2. Defaults to 1.
        se_cfg (dict, optional): :class:`mmdet.models.layers.SELayer` config
            for the expanded features; only with expansion. Defaults to None.
        conv_cfg (dict, optional): Conv layer config (e.g. TF ``'SAME'``
            padding). Defaults to None.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to SiLU.
        drop_path_rate (float): Stochastic depth rate of the residual branch.
            Defaults to 0.
        with_cp (bool): Gradient checkpointing. Defaults to False.
        init_cfg (dict, optional): Initialization config.

    Example:
        >>> block = FusedMBConv(24, 48, 96, stride=2)
        >>> tuple(block(torch.rand(2, 24, 32, 32)).shape)
        (2, 48, 16, 16)
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 se_cfg: Optional[dict] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='SiLU'),
                 drop_path_rate: float = 0.0,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if stride not in (1, 2):
            raise ValueError(f'stride={stride} must be 1 or 2')
        self.with_expansion = mid_channels != in_channels
        if se_cfg is not None and not self.with_expansion:
            raise ValueError('squeeze-excitation needs an expansion '
                             '(mid_channels != in_channels)')
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_cp = with_cp
        self.drop_path = (DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity())
        self.fused_conv = ConvModule(
            in_channels,
            mid_channels if self.with_expansion else out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.se = SELayer(**se_cfg) if se_cfg is not None else None
        self.linear_conv = ConvModule(
            mid_channels, out_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
            act_cfg=None) if self.with_expansion else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): ``(N, C_in, H, W)``.

        Returns:
            Tensor: ``(N, C_out, ceil(H / stride), ceil(W / stride))``.
        """

        def _inner_forward(x: torch.Tensor) -> torch.Tensor:
            out = self.fused_conv(x)
            if self.se is not None:
                out = self.se(out)
            if self.linear_conv is not None:
                out = self.linear_conv(out)
            if self.with_res_shortcut:
                return x + self.drop_path(out)
            return out

        if self.with_cp and x.requires_grad:
            return cp.checkpoint(_inner_forward, x, use_reentrant=False)
        return _inner_forward(x)
