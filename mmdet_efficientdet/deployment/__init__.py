"""Deployment helpers: ONNX export and inference-time optimisation."""
from .onnx_export import DecodedOutputs, RawOutputs, export_onnx
from .onnx_passes import fold_pads_into_convs
from .optimize import fuse_conv_bn

__all__ = ['RawOutputs', 'DecodedOutputs', 'export_onnx', 'fuse_conv_bn',
           'fold_pads_into_convs']
