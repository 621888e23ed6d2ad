"""Deployment: ONNX export, one registered class per runtime (ONNX Runtime,
OpenVINO, ExecuTorch/XNNPACK; fp32 and int8), the inference paths (eager,
fused, every target), the run that builds their files, and deployed-model
evaluation."""
from ..models.raw_outputs import RawOutputs
from .bn_folding import fold_bn_into_convs
from .calibration import calibration_batches
from .checkpoint_to_onnx import ExportResult, export_onnx_from_checkpoint
from .deploy_run import deploy_model, size_problems
from .deployed_detector import DeployedEfficientDet
from .evaluate import evaluate_deployed
from .inference_paths import (InferencePath, check_inference_paths, get_inference_path,
                              inference_paths)
from .onnx_export import DecodedOutputs, export_onnx
from .onnx_passes import fold_same_pads
from .runtimes import (DeployedModelError, Runtime, default_targets, deploy_targets, open_deployed,
                       register_runtime, runtime_classes, target_runtime)

# the runtimes register in this order, the order tools list their targets in
from .ort_runtime import OrtRuntime  # isort: skip
from .openvino_runtime import OpenVINORuntime  # isort: skip
from .executorch_runtime import ExecuTorchRuntime  # isort: skip (optional, last)

__all__ = [
    'InferencePath', 'check_inference_paths', 'get_inference_path', 'inference_paths', 'RawOutputs',
    'DecodedOutputs', 'export_onnx', 'fold_bn_into_convs', 'fold_same_pads', 'Runtime',
    'DeployedModelError', 'OrtRuntime', 'OpenVINORuntime', 'ExecuTorchRuntime', 'open_deployed',
    'DeployedEfficientDet', 'calibration_batches', 'evaluate_deployed', 'runtime_classes',
    'default_targets', 'deploy_targets', 'register_runtime', 'target_runtime', 'deploy_model',
    'size_problems', 'ExportResult', 'export_onnx_from_checkpoint'
]
