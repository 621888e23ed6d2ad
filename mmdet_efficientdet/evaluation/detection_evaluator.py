"""In-process COCO evaluation of models on a config's val set, without a Runner.

The one evaluator of the package: pruning (every variant), the benchmark and
``tools/deployment/test_deployed.py`` (deployed files through
:class:`~mmdet_efficientdet.deployment.DeployedEfficientDet`) all score with it,
so one model gets one mAP whichever tool asks.
"""
from __future__ import annotations
import copy
import json
import os.path as osp
import tempfile
from typing import Dict, Optional

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from torch import nn


def subset_annotations(ann_file: str, num_images: int, out_file: str) -> str:
    """Write a COCO json with the first ``num_images`` images (and their
    annotations) of ``ann_file``; the metric then scores only those."""
    with open(ann_file) as f:
        coco = json.load(f)
    images = coco['images'][:num_images]
    keep = {image['id'] for image in images}
    coco['images'] = images
    coco['annotations'] = [a for a in coco.get('annotations', []) if a['image_id'] in keep]
    with open(out_file, 'w') as f:
        json.dump(coco, f)
    return out_file


class DetectionEvaluator:
    """COCO metrics of any model on the config's val set.

    The config's val dataloader (test pipeline) and val evaluator are built
    once; each call runs ``model.test_step`` over the set. With
    ``num_images`` it scores a proxy: the first images of the set, with an
    annotation file cut to them in a temporary folder (so missing images do
    not count as misses, and nothing is written next to the user's files).

    Args:
        cfg (Config): The model config.
        num_images (int, optional): Evaluate only this many images.

    Example:
        >>> evaluate = DetectionEvaluator(cfg)
        >>> evaluate(model)              # coco/bbox_mAP, 0-1
        >>> evaluate.metrics(model)      # every metric tools/test.py prints
    """

    def __init__(self, cfg, num_images: Optional[int] = None) -> None:
        loader_cfg = copy.deepcopy(cfg.val_dataloader)
        evaluator_cfg = copy.deepcopy(cfg.val_evaluator)
        self._tmp = None
        if num_images:
            self._tmp = tempfile.TemporaryDirectory(prefix='proxy-val-')
            dataset = loader_cfg.dataset
            ann = osp.join(dataset.get('data_root', ''), dataset.ann_file)
            cut = subset_annotations(ann, num_images, osp.join(self._tmp.name, 'val.json'))
            dataset.ann_file = cut
            evaluator_cfg.ann_file = cut
        loader_cfg.num_workers = 0
        loader_cfg.persistent_workers = False
        self.loader = Runner.build_dataloader(loader_cfg)
        self.evaluator = Evaluator(evaluator_cfg)
        self.evaluator.dataset_meta = self.loader.dataset.metainfo
        self.num_images = len(self.loader.dataset)

    @torch.no_grad()
    def metrics(self, model: nn.Module) -> Dict[str, float]:
        """Every metric of the config's val evaluator (``coco/bbox_mAP``,
        ``coco/bbox_mAP_50``, ...)."""
        model.eval()
        for data in self.loader:
            self.evaluator.process(data_samples=model.test_step(data), data_batch=data)
        return {k: float(v) for k, v in self.evaluator.evaluate(self.num_images).items()}

    def __call__(self, model: nn.Module) -> float:
        """``coco/bbox_mAP`` (0-1), the number ``tools/test.py`` prints."""
        return self.metrics(model)['coco/bbox_mAP']
