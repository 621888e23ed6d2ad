"""Deployment: ONNX export, ONNX Runtime int8, OpenVINO (+ NNCF int8), the
pipeline that builds them, and deployed-model evaluation."""
from ..models.raw_outputs import RawOutputs
from .backends import (DeployedBackend, DeployedModelError, OnnxRuntimeBackend, OpenVINOBackend,
                       load_backend)
from .bn_folding import fold_bn_into_convs
from .calibration import calibration_batches
from .checkpoint_to_onnx import ExportResult, export_onnx_from_checkpoint
from .deploy_run import DEPLOY_BACKENDS, deploy_model
from .deployed_detector import DeployedEfficientDet
from .evaluate import evaluate_deployed
from .onnx_export import DecodedOutputs, export_onnx
from .onnx_passes import fold_same_pads

__all__ = [
    'RawOutputs', 'DecodedOutputs', 'export_onnx', 'fold_bn_into_convs', 'fold_same_pads',
    'DeployedBackend', 'DeployedModelError', 'OnnxRuntimeBackend', 'OpenVINOBackend',
    'load_backend', 'DeployedEfficientDet', 'calibration_batches', 'evaluate_deployed',
    'DEPLOY_BACKENDS', 'deploy_model', 'ExportResult', 'export_onnx_from_checkpoint'
]
