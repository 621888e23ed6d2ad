"""The deployment run: every requested backend file from one trained
detector, staged and moved into place complete (the files
``tools/deployment/deploy.py`` and the benchmark build)."""
from __future__ import annotations
import os
import os.path as osp
from typing import Callable, Dict, Sequence, Tuple

import numpy as np

from .openvino import export_openvino, quantize_openvino_int8
from .ort_quantize import quantize_onnx_int8, select_float_nodes

#: Deployment targets, in the order they are built.
DEPLOY_BACKENDS = ('ort-fp32', 'ort-int8', 'ov-fp32', 'ov-int8')


def deploy_model(model,
                 out_dir: str,
                 size: Tuple[int, int],
                 backends: Sequence[str] = DEPLOY_BACKENDS,
                 batches: Sequence[np.ndarray] = (),
                 keep_float: Sequence[str] = ('auto', ),
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

    from ..errors import UserError
    from ..fileio import commit_file, plan_outputs, temp_path, write_manifest
    from ..utils.cpu_isa import ort_int8_scheme
    from .onnx_export import export_onnx
    unknown = sorted(set(backends) - set(DEPLOY_BACKENDS))
    if unknown:
        raise UserError(f'unknown deployment targets {unknown}; choose from '
                        f'{list(DEPLOY_BACKENDS)}')
    if {'ort-int8', 'ov-int8'} & set(backends) and not batches:
        raise UserError('int8 targets need calibration batches')
    names = {
        'ort-fp32': ['model_fp32.onnx'],
        'ort-int8': ['model_int8.onnx'],
        'ov-fp32': ['model_fp32.xml', 'model_fp32.bin'],
        'ov-int8': ['model_int8.xml', 'model_int8.bin']
    }
    wanted = [n for b in DEPLOY_BACKENDS if b in backends for n in names[b]]
    plan_outputs([osp.join(out_dir, n) for n in wanted + ['manifest.json']], inputs, overwrite)
    os.makedirs(out_dir, exist_ok=True)
    stage = temp_path(osp.join(out_dir, 'deploy'))  # a killed run's: stale_temp_files
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
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
                    raise UserError(f'--keep-float: no node named {missing} in the '
                                    f'graph; e.g. {", ".join(convs[:3])} (or auto, none)')
            files['ort-int8'] = quantize_onnx_int8(fp32, osp.join(stage, 'model_int8.onnx'),
                                                   batches, keep)
            log(f'ort-int8 float nodes: {", ".join(keep) or "none"}')
            log(f'ort-int8 weights: {ort_int8_scheme().reason}')
        if {'ov-fp32', 'ov-int8'} & set(backends):
            xml = export_openvino(fp32, osp.join(stage, 'model_fp32.xml'))
            files['ov-fp32'] = xml
            if 'ov-int8' in backends:
                files['ov-int8'] = quantize_openvino_int8(xml, osp.join(stage, 'model_int8.xml'),
                                                          batches)
        written = []
        for name in wanted:  # every file complete: move them into place
            written.append(commit_file(osp.join(stage, name), osp.join(out_dir, name)))
        write_manifest(
            out_dir, written, backends=list(backends), input_size=list(size), inputs=list(inputs))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {b: osp.join(out_dir, osp.basename(files[b])) for b in DEPLOY_BACKENDS if b in backends}
