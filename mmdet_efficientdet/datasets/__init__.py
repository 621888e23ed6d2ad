from .checked_coco import AnnotationFileError, CheckedCocoDataset
from .data_paths import DataPathError, check_data_paths
from .labelled_to_coco import ConversionResult, convert_labelled_folder, decoded_size
from .shapes import SHAPE_CLASSES, make_shapes_dataset

__all__ = [
    'AnnotationFileError', 'CheckedCocoDataset', 'ConversionResult', 'DataPathError',
    'check_data_paths', 'convert_labelled_folder', 'decoded_size', 'SHAPE_CLASSES',
    'make_shapes_dataset'
]
