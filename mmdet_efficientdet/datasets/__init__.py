from .checked_coco import AnnotationFileError, CheckedCocoDataset
from .data_paths import DataPathError, check_data_paths
from .group_split import image_groups, split_by_group
from .labelled_image import LabelledImage
from .labelled_to_coco import ConversionResult, convert_labelled_folder, decoded_size
from .shapes import SHAPE_CLASSES, make_shapes_dataset
from .transforms import ObjectTileCrop
from .yolo_labels import read_class_names, read_yolo_folder

__all__ = [
    'AnnotationFileError', 'CheckedCocoDataset', 'ConversionResult', 'DataPathError',
    'check_data_paths', 'convert_labelled_folder', 'decoded_size', 'SHAPE_CLASSES',
    'make_shapes_dataset', 'image_groups', 'split_by_group', 'LabelledImage', 'read_class_names',
    'read_yolo_folder', 'ObjectTileCrop'
]
