"""Shared pieces of the weight converters: safe loading, checks, report."""
from __future__ import annotations
import io
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Mapping

import torch
from torch import Tensor

from ..checkpoint import load_checkpoint_safely
from ..errors import UserError
from ..fileio import plan_outputs, write_outputs

StateDict = Dict[str, Tensor]


class CheckpointMismatchError(UserError, ValueError):
    """The checkpoint does not fit the target model (wrong architecture)."""


@dataclass
class ConversionReport:
    """What a conversion did besides renaming.

    Attributes:
        unused (list[str]): Source keys that map to nothing in the target.
        folded (list[str]): Source conv biases folded into the following BN's
            running mean (``BN(x + b) == BN'(x)`` with ``mean' = mean - b``).
        filled (list[str]): Target keys with no source, set to an exact
            neutral value (zero biases of convs the source has without bias).
        notes (list[str]): Other transformations (channel permutations).
    """
    unused: List[str] = field(default_factory=list)
    folded: List[str] = field(default_factory=list)
    filled: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """Human-readable multi-line summary."""
        lines = [
            f'folded {len(self.folded)} conv bias(es) into BN',
            f'filled {len(self.filled)} key(s) with zeros: '
            f'{", ".join(self.filled) or "-"}'
        ]
        lines += self.notes
        lines.append(f'{len(self.unused)} source key(s) not used' +
                     (': ' + ', '.join(self.unused) if self.unused else ''))
        return '\n'.join(lines)


def load_untrusted_state_dict(path: str) -> StateDict:
    """Load a downloaded checkpoint with ``weights_only=True``.

    Accepts a plain state dict or one wrapped under ``state_dict``/``model``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointMismatchError: the file holds no tensor state dict.
        UnsafeCheckpointError: the file holds objects outside the allow-list
            (``weights_only=True``), named in the message.
        CorruptCheckpointError: the file is truncated or not a checkpoint.
    """
    obj = load_checkpoint_safely(path, map_location='cpu')
    for key in ('state_dict', 'model', 'state_dict_ema'):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping) or not obj or not all(
            isinstance(v, Tensor) for v in obj.values()):
        raise CheckpointMismatchError(f'{path} does not hold a state dict of tensors')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in obj.items()}


def check_against_target(converted: Mapping[str, Tensor], target: Mapping[str, Tensor],
                         what: str) -> None:
    """Raise naming every shape mismatch and every target key not produced.

    Args:
        converted: Converted state dict.
        target: The target model's own state dict (expected keys/shapes).
        what: Name of the source for messages.
    """
    wrong = [
        f'{k}: expected {tuple(target[k].shape)}, found '
        f'{tuple(v.shape)}' for k, v in converted.items()
        if k in target and tuple(v.shape) != tuple(target[k].shape)
    ]
    missing = [k for k in target if k not in converted and not k.endswith('num_batches_tracked')]
    extra = [k for k in converted if k not in target]
    problems = []
    if wrong:
        problems.append(f'{len(wrong)} shape mismatch(es): ' + '; '.join(wrong[:10]) +
                        (' ...' if len(wrong) > 10 else ''))
    if missing:
        problems.append(f'{len(missing)} target key(s) without a source: ' +
                        ', '.join(missing[:10]) + (' ...' if len(missing) > 10 else ''))
    if extra:
        problems.append(f'{len(extra)} converted key(s) unknown to the '
                        f'target: ' + ', '.join(extra[:10]) + (' ...' if len(extra) > 10 else ''))
    if problems:
        raise CheckpointMismatchError(
            f'{what} does not fit the target architecture (check the config '
            f'and the model name):\n  ' + '\n  '.join(problems))


def fold_bias_into_bn(state: StateDict, bias: Tensor, bn_prefix: str) -> None:
    """``BN(conv(x) + b) == BN'(conv(x))`` with ``running_mean' = mean - b``.

    Exact in eval mode; in training mode BN subtracts the batch mean, which
    removes any per-channel constant anyway.
    """
    key = f'{bn_prefix}.running_mean'
    state[key] = state[key] - bias.to(state[key].dtype)


def save_converted(state: StateDict, dst: str, src: str, overwrite: bool = False, **meta) -> None:
    """Write a converted state dict as an mmengine-style checkpoint.

    Only tensors and strings are stored, so it loads with
    ``weights_only=True``. The file is written atomically; it never replaces
    ``src``, nor an existing file without ``overwrite``.

    Args:
        state: Converted state dict.
        dst: Output path (folders are created).
        src: Source checkpoint path (its name is recorded in ``meta``).
        overwrite: Replace an existing ``dst``.
        **meta: Further string metadata (config, arch).
    """

    plan_outputs([dst], [src], overwrite)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state, meta=dict(converted_from=osp.basename(src), **meta)), buffer)
    write_outputs({dst: buffer.getvalue()}, [src], overwrite)
