"""What a benchmark run measures, read from the tool's arguments and checked
before anything is built."""
from __future__ import annotations
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from ..errors import UserError
from ..measure import check_inference_paths
from ..scaling import get_efficientdet_scale
from ..utils.cli import image_size as parse_size
from .run import PeerSpec, Subject, level_subject, trained_subject

#: The benchmark's peer: rwightman's effdet (test tooling, ``make refenv``).
EFFDET_FACTORY = 'reference.effdet_peer:effdet_peer'
#: The paths of a ``--no-deployed`` run.
UNDEPLOYED_PATHS = ('eager', 'fused', 'ort-fp32')


def ported_config(repo: str, level: str, option: str = '--level') -> str:
    """Our ported config of a level in the repository ``repo``.

    Raises:
        UserError: no such level (named with ``option``).
    """
    config = osp.join(repo, 'configs', 'efficientdet', 'ported', f'tf_efficientdet_{level}_coco.py')
    if not osp.isfile(config):
        raise UserError(f'{option} {level}: no ported config {config}')
    return config


@dataclass
class BenchmarkRequest:
    """The model, peer, paths and mAP files of one benchmark run.

    Attributes:
        subject (Subject): The model measured.
        peer (PeerSpec, optional): effdet next to it.
        inference_names (list[str], optional): Inference paths (None: all).
        map_files (tuple[str, str], optional): ``(config, checkpoint)``
            scored on the config's val set.
        inputs (list[str]): The user's files (never overwritten).
    """
    subject: Subject
    peer: Optional[PeerSpec] = None
    inference_names: Optional[List[str]] = None
    map_files: Optional[Tuple[str, str]] = None
    inputs: List[str] = field(default_factory=list)


def benchmark_request(repo: str,
                      level: Optional[str] = None,
                      config: Optional[str] = None,
                      checkpoint: Optional[str] = None,
                      image_size: Optional[Sequence[int]] = None,
                      compare_effdet: Optional[str] = None,
                      deployed: bool = True,
                      map_paths: bool = False,
                      map_config: Optional[str] = None,
                      map_checkpoint: Optional[str] = None,
                      inference_names: Optional[Sequence[str]] = None) -> BenchmarkRequest:
    """Check the tool's arguments and build the model they name.

    Args:
        repo: The repository (its ``configs/``).
        level: A table level (random weights) ...
        config, checkpoint: ... or any config with its weights.
        image_size: ``--image-size`` values (N or H W).
        compare_effdet: effdet's level (``''``: ``level``'s).
        deployed: Also the int8 and OpenVINO paths.
        map_paths: Score every path of ``config``/``checkpoint``.
        map_config, map_checkpoint: Score these (with ``level``).
        inference_names: Only these inference paths (overrides ``deployed``).

    Raises:
        UserError: a missing or contradictory argument, an unknown level.
    """
    if checkpoint and not config:
        raise UserError('--checkpoint goes with --config')
    if config and (map_config or map_checkpoint):
        raise UserError('with --config, --map scores its own checkpoint (no --map-config)')
    if bool(map_config) != bool(map_checkpoint):
        raise UserError('--map-config and --map-checkpoint go together')
    if map_paths and not (config and checkpoint):
        raise UserError('--map needs --config and --checkpoint')
    if compare_effdet == '' and config:
        raise UserError('--compare-effdet needs a LEVEL with --config (e.g. --compare-effdet d0)')
    check_inference_paths(inference_names or ())
    inputs = [p for p in (config, checkpoint, map_config, map_checkpoint) if p]
    for path in inputs:
        if not osp.isfile(path):
            raise UserError(f'{path!r} not found')
    if config:
        size = parse_size(image_size, 0) if image_size else None
        subject = trained_subject(config, checkpoint, size)
    else:
        level = level or 'd0'
        level_config = ported_config(repo, level)
        side = parse_size(image_size, get_efficientdet_scale(level).image_size)
        if side[0] != side[1]:
            raise UserError(f'--image-size {side[0]} {side[1]}: a level is measured square; '
                            f'give one number')
        subject = level_subject(level_config, level, side[0])
    peer = None
    if compare_effdet is not None:
        peer_level = compare_effdet or level
        peer = PeerSpec(
            EFFDET_FACTORY, peer_level, subject.size[0]
            if peer_level == level else get_efficientdet_scale(peer_level).image_size,
            ported_config(repo, peer_level, '--compare-effdet'))
    if inference_names:
        chosen: Optional[List[str]] = list(inference_names)
    else:
        chosen = None if deployed else list(UNDEPLOYED_PATHS)
    return BenchmarkRequest(subject, peer, chosen, (config, checkpoint) if map_paths else
                            ((map_config, map_checkpoint) if map_config else None), inputs)
