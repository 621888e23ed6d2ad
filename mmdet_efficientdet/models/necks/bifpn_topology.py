"""BiFPN topology as data: the list of fusion nodes of one BiFPN layer.

Feature indices: ``0 .. L-1`` are the layer's inputs P_min .. P_max (``L``
levels); node ``k`` of the list writes feature ``L + k``. A layer's outputs are
the last node written for each level.
"""
from __future__ import annotations
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple, Union

#: A node as written in a config: ``dict(level=4, inputs=(1, 2))`` or
#: ``(4, (1, 2))``.
NodeSpec = Union['FusionNode', Dict, Sequence]


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
    latest = {level: level - min_level for level in range(min_level, max_level + 1)}
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


def panet_nodes(min_level: int = 3, max_level: int = 7) -> List[FusionNode]:
    """Nodes of one PANet layer (Liu et al. 2018; EfficientDet Fig. 2b).

    The same top-down path as :func:`bifpn_nodes`, then a bottom-up path whose
    node at each level fuses only that level's top-down node (the input at
    P_max) and the downsampled node below: no same-level input edge.

    Example:
        >>> [(n.level, n.inputs) for n in panet_nodes(3, 5)]
        [(4, (1, 2)), (3, (0, 3)), (4, (3, 4)), (5, (2, 5))]
    """
    if max_level <= min_level:
        raise ValueError(f'max_level={max_level} must exceed '
                         f'min_level={min_level}')
    num_levels = max_level - min_level + 1
    latest = {level: level - min_level for level in range(min_level, max_level + 1)}
    nodes: List[FusionNode] = []
    for level in range(max_level - 1, min_level - 1, -1):
        nodes.append(FusionNode(level, (latest[level], latest[level + 1])))
        latest[level] = num_levels + len(nodes) - 1
    for level in range(min_level + 1, max_level + 1):
        nodes.append(FusionNode(level, (latest[level], latest[level - 1])))
        latest[level] = num_levels + len(nodes) - 1
    return nodes


def parse_nodes(nodes: Sequence[NodeSpec], min_level: int, max_level: int) -> List[FusionNode]:
    """Check a node list given as data and return it as :class:`FusionNode`.

    Args:
        nodes: Each a :class:`FusionNode`, ``dict(level=..., inputs=...)`` or
            ``(level, inputs)``.
        min_level (int): Level of feature index 0.
        max_level (int): Highest level.

    Returns:
        list[FusionNode]

    Raises:
        ValueError: a node names a level outside ``[min_level, max_level]``,
            an input that does not exist yet, fewer than one input, or a
            level no node writes (its output would skip the layer).

    Example:
        >>> parse_nodes([dict(level=3, inputs=[0, 1]), (4, (1, 2))], 3, 4)
        [FusionNode(level=3, inputs=(0, 1)), FusionNode(level=4, inputs=(1, 2))]
    """
    num_levels = max_level - min_level + 1
    parsed: List[FusionNode] = []
    for k, node in enumerate(nodes):
        if isinstance(node, FusionNode):
            level, inputs = node.level, node.inputs
        elif isinstance(node, dict):
            level, inputs = node.get('level'), node.get('inputs')
        else:
            level, inputs = node
        inputs = tuple(int(i) for i in inputs or ())
        available = num_levels + k
        if not isinstance(level, int) or not min_level <= level <= max_level:
            raise ValueError(f'BiFPN node {k}: level={level!r} is not in '
                             f'[{min_level}, {max_level}]')
        if not inputs or any(not 0 <= i < available for i in inputs):
            raise ValueError(f'BiFPN node {k}: inputs={inputs} must be a '
                             f'non-empty list of feature indices below '
                             f'{available} (0..{num_levels - 1} are the '
                             f'layer inputs, {num_levels}+k is node k)')
        parsed.append(FusionNode(level, inputs))
    unwritten = sorted(set(range(min_level, max_level + 1)) - {n.level for n in parsed})
    if unwritten:
        raise ValueError(f'BiFPN nodes write no node at level(s) '
                         f'{unwritten}: every level needs one')
    return parsed
