"""Calibration data for int8: images through the config's own *test* pipeline
and data preprocessor, as the deployed model will see them."""
from __future__ import annotations
import copy
from typing import List

import numpy as np
from mmdet.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log


def calibration_batches(cfg, num_images: int, split: str = 'train') -> List[np.ndarray]:
    """``num_images`` normalised images ``(1, 3, H, W)`` for calibration.

    Args:
        cfg (Config): The model config: its ``{split}_dataloader`` dataset
            (annotation file, image folder) with the *test* pipeline, and its
            data preprocessor.
        num_images (int): How many images (the first ones of the dataset).
        split (str): ``'train'`` (default) or ``'val'``.

    Returns:
        list[np.ndarray]: One float32 batch of one image each.
    """
    if num_images < 1:
        raise ValueError(f'num_images={num_images} must be >= 1')
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    dataset_cfg.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    dataset_cfg.test_mode = True
    dataset = DATASETS.build(dataset_cfg)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    if num_images > len(dataset):
        print_log(
            f'calibration: {num_images} images asked, the {split} set '
            f'has {len(dataset)}: using {len(dataset)}',
            logger='current',
            level=30)
    batches = []
    for index in range(min(num_images, len(dataset))):
        data = preprocessor(pseudo_collate([dataset[index]]), False)
        batches.append(data['inputs'].float().numpy())
    return batches
