"""In-process COCO evaluation of many model variants on one val set."""
from __future__ import annotations

import copy
import json
import os
import os.path as osp
from typing import Optional

import torch
from torch import nn


def subset_annotations(ann_file: str, num_images: int, out_file: str) -> str:
    """Write a COCO json with the first ``num_images`` images (and their
    annotations) of ``ann_file``; the metric then scores only those."""
    with open(ann_file) as f:
        coco = json.load(f)
    images = coco['images'][:num_images]
    keep = {image['id'] for image in images}
    coco['images'] = images
    coco['annotations'] = [a for a in coco.get('annotations', [])
                           if a['image_id'] in keep]
    with open(out_file, 'w') as f:
        json.dump(coco, f)
    return out_file


class DetectionEvaluator:
    """bbox mAP of any model on the config's val set, without a Runner.

    The config's val dataloader (test pipeline) and val evaluator are built
    once; each call runs ``model.test_step`` over the set and returns
    ``coco/bbox_mAP``, the number ``tools/test.py`` prints. With
    ``num_images`` it scores a proxy: the first images of the set, with an
    annotation file cut to them (so missing images do not count as misses).

    Args:
        cfg (Config): The model config.
        num_images (int, optional): Evaluate only this many images.
        work_dir (str, optional): Where the cut annotation file goes.
    """

    def __init__(self, cfg, num_images: Optional[int] = None,
                 work_dir: Optional[str] = None) -> None:
        from mmengine.evaluator import Evaluator
        from mmengine.runner import Runner
        loader_cfg = copy.deepcopy(cfg.val_dataloader)
        evaluator_cfg = copy.deepcopy(cfg.val_evaluator)
        if num_images:
            if not work_dir:
                raise ValueError('num_images needs a work_dir')
            dataset = loader_cfg.dataset
            ann = osp.join(dataset.get('data_root', ''), dataset.ann_file)
            os.makedirs(work_dir, exist_ok=True)
            cut = subset_annotations(ann, num_images,
                                     osp.join(work_dir, 'proxy_val.json'))
            dataset.ann_file = osp.abspath(cut)
            evaluator_cfg.ann_file = osp.abspath(cut)
        loader_cfg.num_workers = 0
        loader_cfg.persistent_workers = False
        self.loader = Runner.build_dataloader(loader_cfg)
        self.evaluator = Evaluator(evaluator_cfg)
        self.evaluator.dataset_meta = self.loader.dataset.metainfo
        self.num_images = len(self.loader.dataset)

    @torch.no_grad()
    def __call__(self, model: nn.Module) -> float:
        model.eval()
        for data in self.loader:
            self.evaluator.process(data_samples=model.test_step(data),
                                   data_batch=data)
        metrics = self.evaluator.evaluate(self.num_images)
        return float(metrics['coco/bbox_mAP'])
