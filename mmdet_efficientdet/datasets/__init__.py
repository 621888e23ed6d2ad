from .checked_coco import CheckedCocoDataset
from .shapes import SHAPE_CLASSES, make_shapes_dataset

__all__ = ['CheckedCocoDataset', 'SHAPE_CLASSES', 'make_shapes_dataset']
