"""Data transforms of the package (registered in mmdet's ``TRANSFORMS``)."""
from .object_tile_crop import ObjectTileCrop

__all__ = ['ObjectTileCrop']
