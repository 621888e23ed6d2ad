"""BiFPN topology as data: the list of fusion nodes of one BiFPN layer.

Feature indices: ``0 .. L-1`` are the layer's inputs P_min .. P_max (``L``
levels); node ``k`` of the list writes feature ``L + k``. A layer's outputs are
the last node written for each level.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple


@dataclass(frozen=True)
class FusionNode:
    """One BiFPN fusion node.

    Attributes:
        level (int): Pyramid level the node writes (3 for P3).
        inputs (tuple[int, ...]): Feature indices it fuses, see module doc.
    """
    level: int
    inputs: Tuple[int, ...]


def bifpn_nodes(min_level: int = 3, max_level: int = 7) -> List[FusionNode]:
    """Nodes of one BiFPN layer (Tan et al. 2020, Fig. 2d).

    A top-down path from P_{max-1} to P_min, each node fusing the level's input
    with the upsampled node above; then a bottom-up path from P_{min+1} to
    P_max, each node fusing the level's input, the level's top-down node (the
    extra same-level edge; absent at P_max) and the downsampled node below.

    Args:
        min_level (int): Lowest level. Defaults to 3.
        max_level (int): Highest level. Defaults to 7.

    Returns:
        list[FusionNode]: ``2 * (max_level - min_level)`` nodes.

    Example:
        >>> [(n.level, n.inputs) for n in bifpn_nodes(3, 5)]
        [(4, (1, 2)), (3, (0, 3)), (4, (1, 3, 4)), (5, (2, 5))]
    """
    if max_level <= min_level:
        raise ValueError(f'max_level={max_level} must exceed '
                         f'min_level={min_level}')
    num_levels = max_level - min_level + 1
    latest = {level: level - min_level
              for level in range(min_level, max_level + 1)}
    nodes: List[FusionNode] = []

    def add(level: int, inputs: Tuple[int, ...]) -> None:
        nodes.append(FusionNode(level, inputs))
        latest[level] = num_levels + len(nodes) - 1

    for level in range(max_level - 1, min_level - 1, -1):
        add(level, (latest[level], latest[level + 1]))
    for level in range(min_level + 1, max_level + 1):
        original = level - min_level
        same_level = (latest[level], ) if latest[level] != original else ()
        add(level, (original, ) + same_level + (latest[level - 1], ))
    return nodes
