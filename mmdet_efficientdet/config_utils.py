"""Helpers for D-level child configs (used inside config files)."""
from __future__ import annotations

import copy
from typing import List, Sequence

#: Transform arguments that hold the (square) network input size.
SIZE_KEYS = ('scale', 'crop_size', 'size')


def with_image_size(pipeline: Sequence[dict], image_size: int) -> List[dict]:
    """Copy of ``pipeline`` with every input-size argument set to ``image_size``.

    mmengine does not re-evaluate a parent config's variables in a child, so a
    child that changes ``image_size`` passes it back into the pipelines with
    this: ``scale`` (``Resize``/``RandomResize``), ``crop_size``
    (``RandomCrop``) and ``size`` (``Pad``) become ``(image_size, image_size)``.

    Args:
        pipeline (Sequence[dict]): Transform configs of the parent.
        image_size (int): Square input size.

    Returns:
        list[dict]: The new pipeline; the input is not modified.

    Example:
        >>> with_image_size([dict(type='Pad', size=(512, 512))], 640)
        [{'type': 'Pad', 'size': (640, 640)}]
    """
    if int(image_size) != image_size or image_size <= 0:
        raise ValueError(f'image_size={image_size!r} must be a positive int')
    result = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        for key in SIZE_KEYS:
            if key in transform:
                transform[key] = (int(image_size), int(image_size))
        result.append(transform)
    return result
