"""int8 post-training quantization (ONNX Runtime QDQ, OpenVINO + NNCF) and IR export.

Calibration images go through the config's own *test* pipeline and data
preprocessor (:func:`calibration_batches`), as the deployed model will see
images. The ONNX Runtime path can keep the layers whose quantization hurts
most in float, chosen by measurement (:func:`select_float_nodes`).
"""
from __future__ import annotations

import copy
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np


def calibration_batches(cfg, num_images: int,
                        split: str = 'train') -> List[np.ndarray]:
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
    from mmdet.registry import DATASETS, MODELS
    from mmengine.dataset import pseudo_collate
    if num_images < 1:
        raise ValueError(f'num_images={num_images} must be >= 1')
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    dataset_cfg.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    dataset_cfg.test_mode = True
    dataset = DATASETS.build(dataset_cfg)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    if num_images > len(dataset):
        from mmengine.logging import print_log
        print_log(f'calibration: {num_images} images asked, the {split} set '
                  f'has {len(dataset)}: using {len(dataset)}',
                  logger='current', level=30)
    batches = []
    for index in range(min(num_images, len(dataset))):
        data = preprocessor(pseudo_collate([dataset[index]]), False)
        batches.append(data['inputs'].float().numpy())
    return batches


class _Reader:
    """onnxruntime ``CalibrationDataReader`` over prepared batches."""

    def __init__(self, input_name: str, batches: Sequence[np.ndarray]) -> None:
        self.input_name = input_name
        self.batches = list(batches)
        self.index = 0

    def get_next(self):
        if self.index >= len(self.batches):
            return None
        self.index += 1
        return {self.input_name: self.batches[self.index - 1]}

    def rewind(self) -> None:
        self.index = 0


def quantize_onnx_int8(fp32_path: str, out_path: str,
                       batches: Sequence[np.ndarray],
                       keep_float: Sequence[str] = (),
                       per_channel: bool = True,
                       reduce_range: Optional[bool] = None) -> str:
    """Static int8 quantization (QDQ, per-channel weights) with ORT.

    U8S8 (uint8 activations, int8 weights). On x86 CPUs without VNNI the
    weights get 7 bits (``reduce_range``), since ORT's int8 kernels there
    saturate with 8-bit weights (:func:`~mmdet_efficientdet.utils.cpu_isa.ort_int8_scheme`).

    Args:
        fp32_path (str): The fp32 export (``export_onnx``).
        out_path (str): Where the int8 model goes.
        batches: Calibration inputs (:func:`calibration_batches`).
        keep_float (Sequence[str]): Node names left in float.
        per_channel (bool): Per-output-channel weight scales.
        reduce_range (bool, optional): 7-bit weights; default: chosen for
            this CPU by :func:`~mmdet_efficientdet.utils.cpu_isa.ort_int8_scheme`.

    Returns:
        str: ``out_path``.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from ..utils.cpu_isa import ort_int8_scheme
    if reduce_range is None:
        reduce_range = ort_int8_scheme().reduce_range
    input_name = ort.InferenceSession(
        fp32_path, providers=['CPUExecutionProvider']).get_inputs()[0].name
    prepared = out_path + '.pre.onnx'
    quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
    try:
        quantize_static(
            prepared, out_path, _Reader(input_name, batches),
            quant_format=QuantFormat.QDQ, per_channel=per_channel,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            reduce_range=reduce_range,
            nodes_to_exclude=list(keep_float))
    finally:
        if osp.exists(prepared):
            os.remove(prepared)
    return out_path


def _outputs(path: str, batches: Sequence[np.ndarray]) -> List[np.ndarray]:
    from .backends import load_backend
    backend = load_backend(path)
    return [np.concatenate([o.reshape(o.shape[0], -1)
                            for o in backend.run(b)], 1) for b in batches]


def output_error(reference: Sequence[np.ndarray],
                 outputs: Sequence[np.ndarray]) -> float:
    """Relative L2 error of raw outputs, over all calibration images."""
    num = sum(float(np.sum((o - r) ** 2)) for o, r in zip(outputs, reference))
    den = sum(float(np.sum(r ** 2)) for r in reference)
    return (num / max(den, 1e-30)) ** 0.5


@dataclass
class FloatNodeSearch:
    """What :func:`select_float_nodes` measured.

    Attributes:
        all_int8 (float): Output error with every node quantized.
        trials (list): ``(node, error with that node in float)``.
        chosen (list[str]): Nodes kept in float.
        final (float): Output error with ``chosen`` in float.
    """
    all_int8: float
    trials: List[Tuple[str, float]] = field(default_factory=list)
    chosen: List[str] = field(default_factory=list)
    final: float = 0.0

    def table(self) -> str:
        lines = [f'output error, all int8: {self.all_int8:.4f}']
        lines += [f'  {node} in float: {err:.4f}' for node, err in self.trials]
        lines.append(f'kept in float: {", ".join(self.chosen) or "none"} '
                     f'-> output error {self.final:.4f}')
        return '\n'.join(lines)


def candidate_float_nodes(path: str) -> List[str]:
    """The nodes worth keeping in float: the first conv (raw pixels, wide
    range) and the last conv of each prediction branch (logits and box
    deltas read directly by the post-processing)."""
    import onnx
    convs = [n.name for n in onnx.load(path).graph.node if n.op_type == 'Conv']
    picks = [convs[0]] if convs else []
    for branch in ('cls_pred', 'reg_pred'):
        named = [c for c in convs if f'/{branch}/' in c]
        if named:
            picks.append(named[-1])
    return picks


def select_float_nodes(fp32_path: str, work_dir: str,
                       batches: Sequence[np.ndarray],
                       candidates: Optional[Iterable[str]] = None,
                       min_gain: float = 0.1) -> FloatNodeSearch:
    """Measure which candidate nodes to keep in float.

    Quantizes once with everything in int8, then once per candidate with that
    node in float; keeps every node whose float version lowers the raw-output
    error (:func:`output_error`) by at least ``min_gain`` of the all-int8
    error, then measures the final combination.
    """
    reference = _outputs(fp32_path, batches)
    trial_path = osp.join(work_dir, 'trial_int8.onnx')

    def error(keep: Sequence[str]) -> float:
        quantize_onnx_int8(fp32_path, trial_path, batches, keep)
        return output_error(reference, _outputs(trial_path, batches))

    try:
        search = FloatNodeSearch(all_int8=error(()))
        for node in (candidate_float_nodes(fp32_path) if candidates is None
                     else candidates):
            err = error([node])
            search.trials.append((node, err))
            if err <= (1 - min_gain) * search.all_int8:
                search.chosen.append(node)
        search.final = error(search.chosen) if search.chosen else \
            search.all_int8
    finally:
        if osp.exists(trial_path):
            os.remove(trial_path)
    return search


def export_openvino(onnx_path: str, xml_path: str) -> str:
    """ONNX (fp32, dynamic batch, folded SAME pads) -> OpenVINO IR, fp32."""
    import openvino as ov
    model = ov.convert_model(onnx_path)
    os.makedirs(osp.dirname(osp.abspath(xml_path)), exist_ok=True)
    ov.save_model(model, xml_path, compress_to_fp16=False)
    return xml_path


def quantize_openvino_int8(xml_path: str, out_path: str,
                           batches: Sequence[np.ndarray]) -> str:
    """NNCF post-training int8 quantization of an IR, same calibration data.

    On x86 CPUs without VNNI the int8 dot products saturate with full 8-bit
    weights (as ONNX Runtime's, :func:`quantize_onnx_int8`); NNCF's overflow
    fix (7-bit weights) is then applied to every layer, not only the first
    (its default).
    """
    import nncf
    import openvino as ov
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters, OverflowFix)

    from ..utils.cpu_isa import ort_int8_scheme
    fix = OverflowFix.ENABLE if ort_int8_scheme().reduce_range else \
        OverflowFix.FIRST_LAYER
    model = ov.Core().read_model(xml_path)
    quantized = nncf.quantize(
        model, nncf.Dataset(list(batches)), subset_size=len(batches),
        advanced_parameters=AdvancedQuantizationParameters(overflow_fix=fix))
    ov.save_model(quantized, out_path, compress_to_fp16=False)
    return out_path


#: Deployment targets, in the order they are built.
DEPLOY_BACKENDS = ('ort-fp32', 'ort-int8', 'ov-fp32', 'ov-int8')


def deploy_model(model, out_dir: str, size: Tuple[int, int],
                 backends: Sequence[str] = DEPLOY_BACKENDS,
                 batches: Sequence[np.ndarray] = (),
                 keep_float: Sequence[str] = ('auto',),
                 log: Callable[[str], None] = print,
                 overwrite: bool = False,
                 inputs: Sequence[str] = ()) -> Dict[str, str]:
    """Write the deployment files of an eval-mode detector.

    Everything is built in a staging folder inside ``out_dir`` and moved into
    place only when every file is complete (a killed run leaves the earlier
    files as they were); files of an earlier run are replaced only with
    ``overwrite``; ``out_dir/manifest.json`` lists what this run wrote. A
    backend not asked for this time leaves its earlier file untouched.

    Args:
        model (EfficientDet): The detector, weights loaded, ``eval()``.
        out_dir (str): Folder for ``model_fp32.onnx``, ``model_int8.onnx``,
            ``model_fp32.xml`` and ``model_int8.xml`` (+ ``.bin``).
        size (tuple[int, int]): Export input ``(H, W)``.
        backends (Sequence[str]): Any of :data:`DEPLOY_BACKENDS`.
        batches: int8 calibration inputs ``(1, 3, H, W)``
            (:func:`calibration_batches`); needed for the int8 targets.
        keep_float (Sequence[str]): ``['auto']`` (measured by
            :func:`select_float_nodes`), ``['none']``, or node names left in
            float by the ORT int8 model (each must exist in the graph).
        log: Where progress lines go.
        overwrite (bool): Replace files of an earlier run.
        inputs (Sequence[str]): The run's input files (config, checkpoint):
            never overwritten.

    Returns:
        dict: backend name -> file written.
    """
    import shutil
    import tempfile

    from ..fileio import plan_outputs, write_manifest
    from ..utils.cpu_isa import ort_int8_scheme
    from ..errors import UserError
    from .onnx_export import export_onnx
    unknown = sorted(set(backends) - set(DEPLOY_BACKENDS))
    if unknown:
        raise UserError(f'unknown deployment targets {unknown}; choose from '
                        f'{list(DEPLOY_BACKENDS)}')
    if {'ort-int8', 'ov-int8'} & set(backends) and not batches:
        raise UserError('int8 targets need calibration batches')
    names = {'ort-fp32': ['model_fp32.onnx'], 'ort-int8': ['model_int8.onnx'],
             'ov-fp32': ['model_fp32.xml', 'model_fp32.bin'],
             'ov-int8': ['model_int8.xml', 'model_int8.bin']}
    wanted = [n for b in DEPLOY_BACKENDS if b in backends for n in names[b]]
    plan_outputs([osp.join(out_dir, n) for n in wanted + ['manifest.json']],
                 inputs, overwrite)
    os.makedirs(out_dir, exist_ok=True)
    stage = tempfile.mkdtemp(prefix='.deploy-', dir=out_dir)
    try:
        files = {}
        fp32 = osp.join(stage, 'model_fp32.onnx')
        export_onnx(model, fp32, size)
        files['ort-fp32'] = fp32
        if 'ort-int8' in backends:
            keep = list(keep_float)
            if keep == ['auto']:
                search = select_float_nodes(fp32, stage, batches)
                log(search.table())
                keep = search.chosen
            elif keep == ['none']:
                keep = []
            else:
                import onnx
                nodes = {n.name for n in onnx.load(fp32).graph.node}
                missing = [k for k in keep if k not in nodes]
                if missing:
                    convs = sorted(n for n in nodes if 'conv' in n.lower())
                    raise UserError(
                        f'--keep-float: no node named {missing} in the '
                        f'graph; e.g. {", ".join(convs[:3])} (or auto, none)')
            files['ort-int8'] = quantize_onnx_int8(
                fp32, osp.join(stage, 'model_int8.onnx'), batches, keep)
            log(f'ort-int8 float nodes: {", ".join(keep) or "none"}')
            log(f'ort-int8 weights: {ort_int8_scheme().reason}')
        if {'ov-fp32', 'ov-int8'} & set(backends):
            xml = export_openvino(fp32, osp.join(stage, 'model_fp32.xml'))
            files['ov-fp32'] = xml
            if 'ov-int8' in backends:
                files['ov-int8'] = quantize_openvino_int8(
                    xml, osp.join(stage, 'model_int8.xml'), batches)
        written = []
        for name in wanted:  # every file complete: move them into place
            src, dst = osp.join(stage, name), osp.join(out_dir, name)
            with open(src, 'rb') as f:
                os.fsync(f.fileno())
            os.replace(src, dst)
            written.append(dst)
        write_manifest(out_dir, written, backends=list(backends),
                       input_size=list(size), inputs=list(inputs))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {b: osp.join(out_dir, osp.basename(files[b]))
            for b in DEPLOY_BACKENDS if b in backends}
