from .checked_coco import AnnotationFileError, CheckedCocoDataset
from .shapes import SHAPE_CLASSES, make_shapes_dataset

__all__ = ['AnnotationFileError', 'CheckedCocoDataset', 'SHAPE_CLASSES',
           'make_shapes_dataset']
