"""rwightman ``effdet`` EfficientDet checkpoints -> our EfficientDet.

Key layout of the source (effdet 0.4): ``backbone.*`` (timm EfficientNet),
``fpn.resample.{i}`` (P6.. from the top backbone map),
``fpn.cell.{r}.fnode.{n}.combine.{edge_weights,resample.{offset}.conv.*}``,
``fpn.cell.{r}.fnode.{n}.after_combine.conv.{conv_dw,conv_pw,bn}``,
``{class,box}_net.{conv_rep.{i},bn_rep.{i}.{level}.bn,predict}``.

Differences handled here (all exact):

* conv biases right before a BN (effdet's ``redundant_bias``) are folded into
  the BN's running mean; shared head convs fold into every level's BN;
* effdet's box outputs per anchor are ``(ty, tx, th, tw)``, mmdet's
  ``(dx, dy, dw, dh)``: the predict conv's output channels are permuted;
* the 90 COCO ids of the TF head can be reduced to mmdet's 80 classes
  (:data:`COCO80_INDEX_IN_90`);
* the prediction convs' depthwise bias (absent in effdet) is zero.

Anchors must be automl's (``TFAnchorGenerator``: ``(1.4, 0.7)`` pairs,
scale-major order) — the ported configs set that.
"""
from __future__ import annotations
import re
from typing import Dict, List, Mapping, Sequence, Tuple

from torch import Tensor, nn

from .common import (CheckpointMismatchError, ConversionReport, check_against_target,
                     fold_bias_into_bn)
from .timm_efficientnet import convert_timm_efficientnet

# COCO category ids 1..90 that exist (80); index in the 90-way TF head = id - 1
_COCO_MISSING_IDS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
COCO80_INDEX_IN_90: List[int] = [i - 1 for i in range(1, 91) if i not in _COCO_MISSING_IDS]
_BOX_ORDER = (1, 0, 3, 2)  # (ty, tx, th, tw) -> (dx, dy, dw, dh)


def _permute_predict(weight: Tensor, num_anchors: int, index: Sequence[int]) -> Tensor:
    """Select/permute output channels per anchor: ``(A*K, ...) -> (A*k, ...)``."""
    per_anchor = weight.shape[0] // num_anchors
    grouped = weight.reshape(num_anchors, per_anchor, *weight.shape[1:])
    picked = grouped[:, list(index)]
    return picked.reshape(num_anchors * len(index), *weight.shape[1:])


def _map_extra_levels(src: Mapping[str, Tensor], num_backbone_levels: int, out: dict, used: set,
                      biases: list) -> None:
    """effdet's ``fpn.resample.{offset}`` (P6.. from the top backbone map) ->
    our ``neck.extra_levels``; conv biases go to ``biases`` for folding."""
    for key in list(src):
        match = re.match(r'^fpn\.resample\.(\d+)\.conv\.(conv|bn)\.(\w+)$', key)
        if not match:
            continue
        offset, part, leaf = match.groups()
        extra = int(offset) - num_backbone_levels
        dst = f'neck.extra_levels.{extra}.0.{part}'
        if part == 'conv' and leaf == 'bias':
            biases.append((src[key], key, f'{dst[:-5]}.bn'))
        else:
            out[f'{dst}.{leaf}'] = src[key]
        used.add(key)


def _map_bifpn(src: Mapping[str, Tensor], nodes: Sequence, what: str, out: dict, used: set,
               biases: list) -> None:
    """effdet's ``fpn.cell.{rep}.fnode.{i}`` -> our ``neck.stages`` by the
    target's BiFPN node list (``nodes[i].inputs`` places each resample).

    Raises:
        CheckpointMismatchError: a resample of a feature the node does not
            fuse.
    """
    node_re = re.compile(r'^fpn\.cell\.(\d+)\.fnode\.(\d+)\.(.+)$')
    for key in list(src):
        match = node_re.match(key)
        if not match:
            continue
        rep, index, rest = match.groups()
        node_prefix = f'neck.stages.{rep}.nodes.{index}'
        if int(index) >= len(nodes):
            continue  # reported unused below
        if rest == 'combine.edge_weights':
            out[f'{node_prefix}.fusion.weight'] = src[key]
        elif rest.startswith('combine.resample.'):
            m = re.match(r'combine\.resample\.(\d+)\.conv\.(conv|bn)\.(\w+)$', rest)
            if not m:
                continue
            offset, part, leaf = int(m.group(1)), m.group(2), m.group(3)
            inputs = nodes[int(index)].inputs
            if offset not in inputs:
                raise CheckpointMismatchError(f'{what}: {key} resamples feature {offset}, but node '
                                              f'{index} of the target BiFPN fuses {inputs}')
            dst = f'{node_prefix}.adapters.{inputs.index(offset)}.{part}'
            if part == 'conv' and leaf == 'bias':
                biases.append((src[key], key, dst[:-5] + '.bn'))
            else:
                out[f'{dst}.{leaf}'] = src[key]
        elif rest.startswith('after_combine.conv.'):
            leaf = rest[len('after_combine.conv.'):]
            conv = f'{node_prefix}.conv'
            if leaf == 'conv_dw.weight':
                out[f'{conv}.depthwise_conv.conv.weight'] = src[key]
            elif leaf == 'conv_pw.weight':
                out[f'{conv}.pointwise_conv.conv.weight'] = src[key]
            elif leaf == 'conv_pw.bias':
                biases.append((src[key], key, f'{conv}.pointwise_conv.bn'))
            elif leaf.startswith('bn.'):
                out[f'{conv}.pointwise_conv.bn.{leaf[3:]}'] = src[key]
            else:
                continue
        else:
            continue
        used.add(key)


def _map_heads(src: Mapping[str, Tensor], num_levels: int, class_index: Sequence[int],
               num_anchors: int, out: dict, used: set, biases: list) -> None:
    """effdet's ``class_net`` / ``box_net`` -> our ``bbox_head`` (shared
    convs, per-level BNs, predictors with classes / box order permuted)."""
    for net, ours, index in (('class_net', 'cls', class_index), ('box_net', 'reg', _BOX_ORDER)):
        for key in [k for k in src if k.startswith(net + '.')]:
            rest = key[len(net) + 1:]
            m_conv = re.match(r'conv_rep\.(\d+)\.(conv_dw|conv_pw)\.(weight|bias)$', rest)
            m_bn = re.match(r'bn_rep\.(\d+)\.(\d+)\.bn\.(\w+)$', rest)
            m_pred = re.match(r'predict\.(conv_dw|conv_pw)\.(weight|bias)$', rest)
            if m_conv:
                layer, conv, leaf = m_conv.groups()
                part = 'depthwise_conv' if conv == 'conv_dw' else 'pointwise_conv'
                if leaf == 'bias':
                    for level in range(num_levels):
                        biases.append((src[key], key, f'bbox_head.{ours}_bns.{layer}.{level}'))
                else:
                    out[f'bbox_head.{ours}_convs.{layer}.{part}.conv.{leaf}'] = \
                        src[key]
            elif m_bn:
                layer, level, leaf = m_bn.groups()
                out[f'bbox_head.{ours}_bns.{layer}.{level}.{leaf}'] = src[key]
            elif m_pred:
                conv, leaf = m_pred.groups()
                part = 'depthwise_conv' if conv == 'conv_dw' else 'pointwise_conv'
                value = src[key]
                if conv == 'conv_pw':
                    value = _permute_predict(value, num_anchors, index)
                out[f'bbox_head.{ours}_pred.{part}.conv.{leaf}'] = value
            else:
                continue
            used.add(key)


def convert_effdet(
    source: Mapping[str, Tensor],
    model: nn.Module,
    what: str = 'effdet checkpoint',
) -> Tuple[Dict[str, Tensor], ConversionReport]:
    """Convert an ``effdet`` EfficientDet state dict to ours.

    Everything the mapping needs is read from ``model``: the target shapes,
    the pyramid levels and the BiFPN node list (``model.neck``), the anchors
    per location (``model.bbox_head.num_base_priors``), how many backbone
    maps feed the BiFPN, and whether the class head has 80 or 90 classes.

    Args:
        source: effdet state dict (``tf_efficientdet_d*``/``efficientdet_d*``).
        model: Our ``EfficientDet``, built from the config the result is for.
        what: Name of the source for messages.

    Returns:
        tuple[dict, ConversionReport]: Our state dict and what was done.

    Raises:
        CheckpointMismatchError: The source has another architecture than the
            target (messages name the expected and found shapes).
    """
    target = model.state_dict()
    num_anchors = model.bbox_head.num_base_priors
    num_backbone_levels = len(model.neck.in_channels)
    src = dict(source)
    if not any(k.startswith('fpn.cell.')
               for k in src) or not any(k.startswith('class_net.') for k in src):
        raise CheckpointMismatchError(
            f'{what} is not an effdet EfficientDet state dict (no fpn.cell.* '
            f'/ class_net.* keys; found e.g. {list(src)[:3]})')
    out, report = convert_timm_efficientnet(
        src, {
            k: v
            for k, v in target.items() if k.startswith('backbone.')
        },
        src_prefix='backbone.',
        dst_prefix='backbone.',
        what=what)
    used = {f'backbone.{k[len("backbone."):]}'
            for k in src if k.startswith('backbone.')} - set(report.unused)
    biases: List[Tuple[Tensor, str, str]] = []  # (bias, src key, bn prefix)

    _map_extra_levels(src, num_backbone_levels, out, used, biases)
    _map_bifpn(src, model.neck.nodes, what, out, used, biases)
    num_cls_target = target['bbox_head.cls_pred.pointwise_conv.conv.bias'].shape[0]
    num_cls_source = src['class_net.predict.conv_pw.bias'].shape[0]
    if num_cls_source == num_anchors * 90 and num_cls_target == num_anchors * 80:
        class_index: Sequence[int] = COCO80_INDEX_IN_90
        report.notes.append('class head: 90 TF COCO ids -> 80 mmdet classes')
    else:
        class_index = range(num_cls_source // num_anchors)
    report.notes.append('box head: (ty, tx, th, tw) -> (dx, dy, dw, dh)')
    _map_heads(src, model.bbox_head.num_levels, class_index, num_anchors, out, used, biases)

    check_against_target(out, target, what)
    for bias, key, bn_prefix in biases:
        fold_bias_into_bn(out, bias, bn_prefix)
        if key not in report.folded:
            report.folded.append(key)
    report.unused = sorted(set(report.unused) | (set(src) - used))
    return out, report
