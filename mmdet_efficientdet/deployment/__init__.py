"""Deployment: ONNX export, int8 quantization, OpenVINO, deployed-model evaluation."""
from .backends import (DeployedBackend, DeployedModelError, OnnxRuntimeBackend,
                       OpenVINOBackend, load_backend)
from .deployed_detector import DeployedEfficientDet
from .onnx_export import DecodedOutputs, RawOutputs, export_onnx
from .onnx_passes import fold_pads_into_convs
from .optimize import fuse_conv_bn

__all__ = ['RawOutputs', 'DecodedOutputs', 'export_onnx', 'fuse_conv_bn',
           'fold_pads_into_convs', 'DeployedBackend', 'DeployedModelError',
           'OnnxRuntimeBackend', 'OpenVINOBackend', 'load_backend',
           'DeployedEfficientDet']
