"""The one type of a network input size and its one parser.

Configs keep EfficientDet's square ``image_size`` (an int, the scaling
table's column); everything that builds, exports or times a network at a
size takes an :data:`ImageSize` ``(H, W)``. :func:`to_image_size` turns any
spelling a user or a config gives (``512``, ``[512]``, ``(384, 640)``) into
it, and is the only place that does.
"""
from __future__ import annotations
from numbers import Integral
from typing import Sequence, Tuple, Union

from ..errors import UserError

#: A network input size: ``(height, width)`` in pixels.
ImageSize = Tuple[int, int]
#: What :func:`to_image_size` accepts: a square side or ``(H, W)``.
ImageSizeLike = Union[int, Sequence[int]]


def to_image_size(value: ImageSizeLike, what: str = 'image size') -> ImageSize:
    """``(H, W)`` of a square side or a 1- or 2-number sequence.

    Args:
        value: ``N`` (square), ``[N]`` or ``(H, W)``; positive ints.
        what: The key or option it came from, named in the error.

    Returns:
        ``(height, width)`` as Python ints.

    Raises:
        UserError: not one or two positive integers.

    Example:
        >>> to_image_size(512), to_image_size([384, 640])
        ((512, 512), (384, 640))
    """
    numbers = [value] if isinstance(value, Integral) else value
    try:
        numbers = list(numbers)
    except TypeError:
        numbers = None
    if not numbers or len(numbers) > 2 or not all(
            isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in numbers):
        raise UserError(f'{what} {value!r}: give N (square) or (H, W), positive integers')
    return int(numbers[0]), int(numbers[-1])


def square_side(value: ImageSizeLike, what: str = 'image size') -> int:
    """The side of a square :func:`to_image_size`; ``H != W`` is a
    :class:`UserError` for the code that measures square inputs only."""
    height, width = to_image_size(value, what)
    if height != width:
        raise UserError(f'{what} {height} {width}: only square inputs are measured here; '
                        f'give one number')
    return height
