"""Deployment: ONNX export, one registered class per backend (ONNX Runtime,
OpenVINO, ExecuTorch/XNNPACK; fp32 and int8), the run that builds their files, and deployed-model
evaluation."""
from ..models.raw_outputs import RawOutputs
from .backends import (DeployedBackend, DeployedModelError, backend_classes, default_targets,
                       deploy_targets, load_backend, register_backend, target_backend)
from .bn_folding import fold_bn_into_convs
from .calibration import calibration_batches
from .checkpoint_to_onnx import ExportResult, export_onnx_from_checkpoint
from .deploy_run import deploy_model, size_problems
from .deployed_detector import DeployedEfficientDet
from .evaluate import evaluate_deployed
from .onnx_export import DecodedOutputs, export_onnx
from .onnx_passes import fold_same_pads
from .onnxruntime_backend import OnnxRuntimeBackend  # registers the backends, in this order
from .openvino_backend import OpenVINOBackend

from .executorch_backend import ExecuTorchBackend  # isort: skip (optional, last)

__all__ = [
    'RawOutputs', 'DecodedOutputs', 'export_onnx', 'fold_bn_into_convs', 'fold_same_pads',
    'DeployedBackend', 'DeployedModelError', 'OnnxRuntimeBackend', 'OpenVINOBackend',
    'ExecuTorchBackend', 'load_backend', 'DeployedEfficientDet', 'calibration_batches',
    'evaluate_deployed', 'backend_classes', 'default_targets', 'deploy_targets', 'register_backend',
    'target_backend', 'deploy_model', 'size_problems', 'ExportResult', 'export_onnx_from_checkpoint'
]
