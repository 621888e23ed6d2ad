"""The search space of architecture search, as data.

A space names, per backbone stage, the kernel sizes, expansion ratios and
depths (blocks) a sub-network may take (MnasNet's factorised space: one choice
per stage), and the BiFPN repeats, head depth and input sizes. A config
writes it as ``model.search_space``::

    search_space = dict(
        stages=[dict(kernel=[3], expand=[1], depth=[1]),        # stage 0
                dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2]),
                ...],                                           # one per stage
        neck_repeats=[2, 3], head_depth=[2, 3], image_size=[256, 320])

A sub-network (:class:`SubnetChoice`) is one value of each; its backbone is
the parent's block strings with those kernels, expansions and repeats
(:meth:`SearchSpace.subnet_blocks`), so it builds as an ordinary
``EfficientNetBackbone``. The supernet holds the largest value of each.
"""
from __future__ import annotations
import dataclasses
import random
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..errors import UserError
from .layers.block_string import format_block_string, parse_block_string

#: One stage's choice: ``(kernel, expansion, depth)``.
StageChoice = Tuple[int, float, int]


class SearchSpaceError(UserError, ValueError):
    """A search space or choice that is not valid (the key is named)."""


@dataclass(frozen=True)
class SubnetChoice:
    """One sub-network of a :class:`SearchSpace`.

    Attributes:
        stages: ``(kernel, expansion, depth)`` per backbone stage.
        neck_repeats: BiFPN repeats (``neck.num_stages``).
        head_depth: Separable convs per head branch (``stacked_convs``).
        image_size: Square input side.
    """
    stages: Tuple[StageChoice, ...]
    neck_repeats: int
    head_depth: int
    image_size: int

    def name(self) -> str:
        """A short readable key, e.g. ``'k3e1d1-k5e6d2-...|bifpn3|head3|320'``."""
        stages = '-'.join(f'k{k}e{e:g}d{d}' for k, e, d in self.stages)
        return f'{stages}|bifpn{self.neck_repeats}|head{self.head_depth}|{self.image_size}'

    def to_dict(self) -> Dict:
        """JSON form (:meth:`from_dict` reads it back)."""
        return dict(
            stages=[dict(kernel=k, expand=e, depth=d) for k, e, d in self.stages],
            neck_repeats=self.neck_repeats,
            head_depth=self.head_depth,
            image_size=self.image_size)

    @classmethod
    def from_dict(cls, data: Mapping) -> 'SubnetChoice':
        """Read :meth:`to_dict`'s form."""
        return cls(
            tuple((int(s['kernel']), float(s['expand']), int(s['depth'])) for s in data['stages']),
            int(data['neck_repeats']), int(data['head_depth']), int(data['image_size']))


def _values(value, key: str, kind=int) -> Tuple:
    if not isinstance(value, (list, tuple)) or not value:
        raise SearchSpaceError(f'search_space.{key}={value!r}: expected a non-empty list')
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 or \
                (kind is int and v != int(v)):
            raise SearchSpaceError(f'search_space.{key}: {v!r} is not a positive '
                                   f'{"int" if kind is int else "number"}')
        out.append(kind(v))
    if len(set(out)) != len(out):
        raise SearchSpaceError(f'search_space.{key}={value!r}: repeated value')
    return tuple(sorted(out))


class SearchSpace:
    """Elastic choices per stage, neck, head and input size.

    Args:
        stages: One ``dict(kernel=[...], expand=[...], depth=[...])`` per
            backbone stage.
        neck_repeats: BiFPN repeats to choose from.
        head_depth: Head depths to choose from.
        image_size: Input sides to choose from.

    Raises:
        SearchSpaceError: a missing key, an empty or non-positive list, an
            even kernel, or an expansion mixing 1 with other values (an
            expansion of 1 has no expansion conv).

    Example:
        >>> space = SearchSpace([dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2])],
        ...                     neck_repeats=[2], head_depth=[2, 3], image_size=[256])
        >>> space.size(), space.largest().stages
        (16, ((5, 6.0, 2),))
    """

    def __init__(self, stages: Sequence[Mapping], neck_repeats: Sequence[int],
                 head_depth: Sequence[int], image_size: Sequence[int]) -> None:
        if not isinstance(stages, (list, tuple)) or not stages:
            raise SearchSpaceError('search_space.stages: expected one dict per backbone stage')
        self.stages: List[Dict[str, Tuple]] = []
        for i, stage in enumerate(stages):
            if not isinstance(stage, Mapping) or set(stage) != {'kernel', 'expand', 'depth'}:
                raise SearchSpaceError(f'search_space.stages[{i}]={stage!r}: expected '
                                       f'dict(kernel=[...], expand=[...], depth=[...])')
            kernels = _values(stage['kernel'], f'stages[{i}].kernel')
            expands = _values(stage['expand'], f'stages[{i}].expand', float)
            if any(k % 2 == 0 for k in kernels):
                raise SearchSpaceError(f'search_space.stages[{i}].kernel={list(kernels)}: '
                                       f'kernels must be odd')
            if 1.0 in expands and len(expands) > 1:
                raise SearchSpaceError(f'search_space.stages[{i}].expand={list(expands)}: '
                                       f'1 (no expansion conv) cannot be mixed with others')
            self.stages.append(
                dict(
                    kernel=kernels,
                    expand=expands,
                    depth=_values(stage['depth'], f'stages[{i}].depth')))
        self.neck_repeats = _values(neck_repeats, 'neck_repeats')
        self.head_depth = _values(head_depth, 'head_depth')
        self.image_size = _values(image_size, 'image_size')

    @classmethod
    def from_config(cls, space: Mapping) -> 'SearchSpace':
        """Build from a config's ``search_space`` dict (one line on a bad key)."""
        keys = {'stages', 'neck_repeats', 'head_depth', 'image_size'}
        if not isinstance(space, Mapping) or set(space) != keys:
            got = sorted(space) if isinstance(space, Mapping) else space
            raise SearchSpaceError(f'search_space: expected the keys {sorted(keys)}, got {got!r}')
        return cls(**space)

    def stage_options(self, stage: int) -> List[StageChoice]:
        """Every ``(kernel, expansion, depth)`` of one stage."""
        s = self.stages[stage]
        return [(k, e, d) for k in s['kernel'] for e in s['expand'] for d in s['depth']]

    def size(self) -> int:
        """Number of sub-networks."""
        n = len(self.neck_repeats) * len(self.head_depth) * len(self.image_size)
        for i in range(len(self.stages)):
            n *= len(self.stage_options(i))
        return n

    def _pick(self, which) -> SubnetChoice:
        return SubnetChoice(
            tuple((which(s['kernel']), which(s['expand']), which(s['depth'])) for s in self.stages),
            which(self.neck_repeats), which(self.head_depth), which(self.image_size))

    def largest(self) -> SubnetChoice:
        """Every choice at its largest (the supernet itself)."""
        return self._pick(max)

    def smallest(self) -> SubnetChoice:
        """Every choice at its smallest."""
        return self._pick(min)

    def sample(self, rng: random.Random) -> SubnetChoice:
        """A uniformly random sub-network."""
        return self._pick(rng.choice)

    def sample_distinct(self,
                        rng: random.Random,
                        count: int,
                        exclude: Iterable[SubnetChoice] = (),
                        image_size: Optional[int] = None) -> List[SubnetChoice]:
        """Up to ``count`` different random sub-networks, none in
        ``exclude`` (fewer when the space has no more: at most ``50 * count``
        draws).

        Args:
            rng: The random source.
            count: How many to draw.
            exclude: Sub-networks not to return.
            image_size: Set every drawn one to this input size (the space's
                sizes otherwise).
        """
        seen, drawn = set(exclude), []
        for _ in range(50 * count):
            if len(drawn) >= count:
                break
            choice = self.sample(rng)
            if image_size is not None:
                choice = dataclasses.replace(choice, image_size=image_size)
            if choice not in seen:
                seen.add(choice)
                drawn.append(choice)
        return drawn

    def mutate(self, choice: SubnetChoice, rng: random.Random, prob: float) -> SubnetChoice:
        """``choice`` with each stage / neck / head / size choice resampled
        with probability ``prob``; at least one changes when the space has
        more than one sub-network."""
        while True:
            stages = tuple(
                rng.choice(self.stage_options(i)) if rng.random() < prob else old
                for i, old in enumerate(choice.stages))
            child = SubnetChoice(
                stages,
                rng.choice(self.neck_repeats) if rng.random() < prob else choice.neck_repeats,
                rng.choice(self.head_depth) if rng.random() < prob else choice.head_depth,
                rng.choice(self.image_size) if rng.random() < prob else choice.image_size)
            if child != choice or self.size() == 1:
                return child

    def check(self, choice: SubnetChoice) -> None:
        """Raise :class:`SearchSpaceError` if ``choice`` is not in the space."""
        if len(choice.stages) != len(self.stages):
            raise SearchSpaceError(f'choice has {len(choice.stages)} stages, the space '
                                   f'{len(self.stages)}')
        for i, stage in enumerate(choice.stages):
            if stage not in self.stage_options(i):
                raise SearchSpaceError(f'choice stage {i} {stage} is not in '
                                       f'search_space.stages[{i}]')
        for key in ('neck_repeats', 'head_depth', 'image_size'):
            if getattr(choice, key) not in getattr(self, key):
                raise SearchSpaceError(f'choice {key}={getattr(choice, key)} is not in '
                                       f'search_space.{key}={list(getattr(self, key))}')

    def subnet_blocks(self, parent_blocks: Sequence[str], choice: SubnetChoice) -> Tuple[str, ...]:
        """The parent's block strings with ``choice``'s kernel, expansion and
        repeats per stage (strides, widths and SE kept).

        Example:
            >>> space = SearchSpace([dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2])],
            ...                     neck_repeats=[2], head_depth=[3], image_size=[256])
            >>> space.subnet_blocks(['ir_r2_k3_s2_e6_c24'], space.smallest())
            ('ir_r1_k3_s2_e4_c24',)
        """
        if len(parent_blocks) != len(self.stages):
            raise SearchSpaceError(f'search_space.stages has {len(self.stages)} entries, the '
                                   f'backbone {len(parent_blocks)} stages')
        self.check(choice)
        out = []
        for text, (kernel, expand, depth) in zip(parent_blocks, choice.stages):
            args = parse_block_string(text)
            if (args.expand_ratio == 1) != (expand == 1):
                raise SearchSpaceError(f'search_space: stage {text!r} has expansion '
                                       f'{args.expand_ratio:g}; its choices must '
                                       f'{"" if args.expand_ratio == 1 else "not "}be 1')
            out.append(
                format_block_string(
                    type(args)(args.block_type, depth, kernel, args.stride, expand,
                               args.out_channels, args.se_ratio)))
        return tuple(out)
