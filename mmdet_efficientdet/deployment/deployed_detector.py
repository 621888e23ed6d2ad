"""A deployed EfficientDet (ONNX Runtime / OpenVINO file) as an mmdet detector."""
from __future__ import annotations
import copy
from typing import List, Optional

import torch
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList

from ..models.detectors.efficientdet import slice_settings
from ..models.inference.sliced_inference import sliced_predict
from .runtimes import DeployedModelError, open_deployed


@MODELS.register_module()
class DeployedEfficientDet(BaseDetector):
    """Runs an exported graph with the config's own pre- and post-processing.

    The data preprocessor (mean/std, RGB, padding) and the head's
    ``predict_by_feat`` (anchors, box decoding, NMS, rescaling) are built from
    the original ``detector`` config, exactly as the PyTorch model uses them;
    only backbone + BiFPN + head convs run in the deployed file. So mmdet's
    test loop and ``CocoMetric`` evaluate a deployed model like the PyTorch
    one (``tools/deployment/test_deployed.py``).

    Args:
        detector (dict): The config's ``model`` (an ``EfficientDet``).
        deployed (str): ``.onnx`` or OpenVINO ``.xml`` with raw outputs.
        threads (int, optional): Runtime threads (default: the runtime's).
        init_cfg: Unused (no trainable weights).
    """

    def __init__(self,
                 detector: dict,
                 deployed: str,
                 threads: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        detector = copy.deepcopy(detector)
        super().__init__(data_preprocessor=detector.get('data_preprocessor'), init_cfg=init_cfg)
        head = copy.deepcopy(detector['bbox_head'])
        head.update(train_cfg=detector.get('train_cfg'), test_cfg=detector.get('test_cfg'))
        self.bbox_head = MODELS.build(head)
        self.runtime = open_deployed(deployed, threads)
        self._check_outputs()
        self.slicing = slice_settings(detector.get('test_cfg'), 1)
        if self.slicing is not None and self.slicing.tile != tuple(self.runtime.input_hw):
            raise DeployedModelError(f'model.test_cfg.slice.tile={self.slicing.tile} but '
                                     f'{self.runtime.path} takes {tuple(self.runtime.input_hw)}: '
                                     f'deploy at the tile size (--image-size)')

    def _check_outputs(self) -> None:
        """The file's outputs must fit this config's head (classes, levels)."""
        head = self.bbox_head
        levels = len(self.runtime.output_names) // 2
        height, width = self.runtime.input_hw
        with torch.no_grad():
            outs = self.runtime(torch.zeros(1, 3, height, width))
        expected = head.num_base_priors * head.cls_out_channels
        if levels != head.num_levels or outs[0].shape[1] != expected:
            raise DeployedModelError(f'{self.runtime.path} does not fit this config: it has '
                                     f'{levels} levels and {outs[0].shape[1]} class channels, the '
                                     f'config\'s head {head.num_levels} levels and {expected} '
                                     f'({head.num_base_priors} anchors x {head.cls_out_channels} '
                                     f'classes): a model of another config?')

    def _forward(self, batch_inputs: torch.Tensor, batch_data_samples: Optional[SampleList] = None):
        """Raw outputs ``(cls_scores, bbox_preds)`` of the deployed graph."""
        outs = self.runtime(batch_inputs)
        levels = len(outs) // 2
        return outs[:levels], outs[levels:]

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detections through the head's own post-processing (sliced with
        ``test_cfg.slice``: the file runs the tiles)."""
        metas = [s.metainfo for s in batch_data_samples]
        if self.slicing is not None:
            results = sliced_predict(self._forward, self.bbox_head, batch_inputs, metas,
                                     self.slicing, rescale)
            return self.add_pred_to_datasample(batch_data_samples, results)
        cls_scores, bbox_preds = self._forward(batch_inputs)
        results = self.bbox_head.predict_by_feat(
            cls_scores, bbox_preds, batch_img_metas=metas, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def extract_feat(self, batch_inputs: torch.Tensor) -> List[torch.Tensor]:
        raise NotImplementedError('a deployed model has no separate features')

    def loss(self, batch_inputs, batch_data_samples):
        raise NotImplementedError('a deployed model is for inference only')
