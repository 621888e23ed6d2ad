"""Deployed models (ONNX Runtime / OpenVINO, fp32 / int8) evaluated through the
config's own pipeline, post-processing and COCO metric; bad inputs named."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmdet_efficientdet.deployment import DeployedModelError, open_deployed
from ..conftest import REPO
from ..process import tool_error, tool_output

FILES = ('model_fp32.onnx', 'model_int8.onnx', 'model_fp32.xml', 'model_int8.xml')


@pytest.fixture(scope='module')
def deployed(trained, tmp_path_factory):
    config, ckpt = trained
    work = tmp_path_factory.mktemp('deploy')
    stdout = tool_output(f'{REPO}/tools/deployment/deploy.py', [
        config, ckpt, '--out-dir',
        str(work / 'out'), '--calib-images', '4', '--keep-float', 'none'
    ])
    # every node int8: one ORT quantization (the default measured search
    # quantizes once per candidate node: tests/test_deployment/test_ort_quantize.py)
    assert 'ort-int8 float nodes: none' in stdout
    return config, ckpt, str(work / 'out'), stdout


def _pytorch(config, ckpt):
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu')
    return model.eval()


@pytest.mark.parametrize('name', FILES)
def test_every_backend_runs_the_raw_outputs(deployed, name):
    config, ckpt, out_dir, _ = deployed
    backend = open_deployed(osp.join(out_dir, name))
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        cls_scores, bbox_preds = _pytorch(config, ckpt)._forward(x)
    got = backend(x)
    want = list(cls_scores) + list(bbox_preds)
    assert [tuple(g.shape) for g in got] == [tuple(w.shape) for w in want]
    errors = [float((g - w).abs().max() / w.abs().max()) for g, w in zip(got, want)]
    if 'fp32' in name:
        # fp32: the PyTorch model's outputs up to float32 rounding, which
        # this barely trained tiny model (BN statistics of 4 steps) amplifies
        assert max(errors) < 5e-3
    else:
        assert max(errors) < 0.5  # int8: close, not equal


def test_the_float_node_search_tries_the_stem_and_the_last_prediction_convs(deployed):
    from mmdet_efficientdet.deployment.ort_quantize import candidate_float_nodes
    _, _, out_dir, _ = deployed
    assert candidate_float_nodes(osp.join(out_dir, 'model_fp32.onnx')) == [
        '/backbone/stem/conv/Conv', '/cls_pred/pointwise_conv/conv_4/Conv',
        '/reg_pred/pointwise_conv/conv_4/Conv'
    ]


def test_fp32_deployment_gives_the_pytorch_coco_numbers(deployed, tmp_path):
    config, ckpt, out_dir, _ = deployed

    def metrics(args):
        line = [x for x in tool_output(args[0], args[1:]).splitlines() if 'bbox_mAP_copypaste' in x]
        return [float(v) for v in line[-1].split(':')[-1].split()]

    ours = metrics([f'{REPO}/tools/test.py', config, ckpt, '--work-dir', str(tmp_path / 'pt')])
    onnx = metrics(
        [f'{REPO}/tools/deployment/test_deployed.py', config,
         osp.join(out_dir, 'model_fp32.onnx')])
    assert np.allclose(onnx, ours, atol=1e-3)  # within 0.1 point


def test_bad_inputs_are_named(deployed, tmp_path, capsys):
    config, ckpt, out_dir, _ = deployed
    with pytest.raises(DeployedModelError, match='not found'):
        open_deployed(str(tmp_path / 'none.onnx'))
    bogus = tmp_path / 'bogus.onnx'
    bogus.write_bytes(b'not onnx')
    with pytest.raises(DeployedModelError, match='not a loadable ONNX model'):
        open_deployed(str(bogus))
    # an IR without its .bin: the reason, not OpenVINO's source location
    import shutil
    shutil.copy(osp.join(out_dir, 'model_fp32.xml'), tmp_path / 'alone.xml')
    with pytest.raises(DeployedModelError, match='bin file') as err:
        open_deployed(str(tmp_path / 'alone.xml'))
    assert 'Exception from' not in str(err.value)
    backend = open_deployed(osp.join(out_dir, 'model_fp32.onnx'))
    with pytest.raises(DeployedModelError, match='takes 128x128 inputs'):
        backend(torch.zeros(1, 3, 256, 256))
    # a model of another config: 2 classes instead of 3
    cfg = Config.fromfile(config)
    detector = cfg.model
    detector.bbox_head.num_classes = 2
    with pytest.raises(DeployedModelError, match='does not fit this config'):
        MODELS.build(
            dict(
                type='DeployedEfficientDet',
                detector=detector,
                deployed=osp.join(out_dir, 'model_fp32.xml')))
    line = tool_error(f'{REPO}/tools/deployment/test_deployed.py',
                      [config, str(tmp_path / 'missing.xml')], capsys)
    assert 'missing.xml' in line


def test_deploy_never_overwrites_without_asking(deployed, capsys):
    """A second export into the same folder is refused; with --overwrite it
    replaces only what it builds (files of other backends stay), atomically,
    and the manifest lists this run's files."""
    import json
    config, ckpt, out_dir, _ = deployed
    before = {n: open(osp.join(out_dir, n), 'rb').read() for n in FILES}

    # refusals, in this process (no interpreter start each)
    tool = f'{REPO}/tools/deployment/deploy.py'
    again = tool_error(tool, [config, ckpt, '--out-dir', out_dir, '--targets', 'ort-fp32'], capsys)
    assert 'already exist' in again and '--overwrite' in again
    for args, message in [(['--targets', 'ort-int8', '--keep-float', 'no_such_node',
                            '--overwrite'], "no node named ['no_such_node']"),
                          (['--calib-images', '0'], '0 must be >= 1'),
                          (['--image-size', '100', '128'], 'must be divisible by 128')]:
        assert message in tool_error(tool, [config, ckpt, '--out-dir', out_dir, *args], capsys)
    tool_output(tool, [config, ckpt, '--out-dir', out_dir, '--targets', 'ort-fp32', '--overwrite'])
    manifest = json.load(open(osp.join(out_dir, 'manifest.json')))
    assert manifest['files'] == ['model_fp32.onnx']
    for name in FILES[1:]:  # the other backends' files are untouched
        assert open(osp.join(out_dir, name), 'rb').read() == before[name]
    assert not [n for n in __import__('os').listdir(out_dir) if n.startswith('.deploy-')
                ]  # no staging left behind


def test_profile_splits_kernel_time_by_op_type(deployed):
    from mmdet_efficientdet.deployment.profiling import profile_deployed
    _, _, out_dir, _ = deployed
    ort_profile = profile_deployed(osp.join(out_dir, 'model_fp32.onnx'), runs=2, threads=1)
    assert ort_profile.nodes['Conv'] > 20 and ort_profile.ms['Conv'] > 0
    assert ort_profile.total_ms == pytest.approx(sum(ort_profile.ms.values()))
    assert 'Conv' in ort_profile.table(top=3)
    ov_profile = profile_deployed(osp.join(out_dir, 'model_fp32.xml'), runs=2, threads=1)
    assert any(k.startswith('Convolution [') for k in ov_profile.ms)
