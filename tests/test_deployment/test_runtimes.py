"""A backend is one registered class: deployment, loading, latency paths and
the tools' choices all come from the registry."""
import shutil

import numpy as np
import pytest

from mmdet_efficientdet.deployment import (ExecuTorchRuntime, OrtRuntime, deploy_model,
                                           deploy_targets, open_deployed, register_runtime,
                                           runtimes, target_runtime)
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.measure import INFERENCE_PATHS
from mmdet_efficientdet.models.trained import load_trained


def test_targets_come_from_the_registered_classes():
    always = ('ort-fp32', 'ort-int8', 'ov-fp32', 'ov-int8')
    edge = ('et-fp32', 'et-int8') if ExecuTorchRuntime.available() else ()
    assert deploy_targets() == always + edge  # the optional runtime last, when installed
    assert INFERENCE_PATHS == ('eager', 'fused') + deploy_targets()
    cls, precision = target_runtime('ov-int8')
    assert (cls.name, cls.suffix, precision) == ('ov', '.xml', 'int8')
    assert cls.file_names('int8') == ['model_int8.xml', 'model_int8.bin']
    with pytest.raises(UserError, match="unknown deployment target 'tflite-int8'; choose from"):
        target_runtime('tflite-int8')


def test_a_new_runtime_is_one_class(trained, tmp_path, monkeypatch):
    """Registering one class makes its target deployable and its files
    loadable, with nothing else edited."""
    monkeypatch.setattr(runtimes, "_REGISTERED", dict(runtimes._REGISTERED))

    @register_runtime
    class CopiedOnnx(OrtRuntime):
        name, suffix, precisions = 'copy', '.onnxcopy', ('fp32', )

        @classmethod
        def export(cls, precision, onnx_fp32, stage, batches, keep_float, log):
            out = f'{stage}/{cls.file_names(precision)[0]}'
            shutil.copy(onnx_fp32, out)
            return out

    assert deploy_targets()[-1] == 'copy-fp32'
    config, checkpoint = trained
    _, model = load_trained(config, checkpoint)
    files = deploy_model(
        model, str(tmp_path / 'out'), (128, 128), ['copy-fp32', 'ort-fp32'], log=lambda line: None)
    assert sorted(files) == ['copy-fp32', 'ort-fp32']
    assert files['copy-fp32'].endswith('model_fp32.onnxcopy')
    copied, reference = open_deployed(files['copy-fp32'], 2), open_deployed(files['ort-fp32'], 2)
    assert type(copied) is CopiedOnnx
    x = np.random.default_rng(0).standard_normal((1, 3, 128, 128)).astype(np.float32)
    for a, b in zip(copied.run(x), reference.run(x)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="suffix '.onnx' is taken by OrtRuntime"):
        register_runtime(type('Clash', (OrtRuntime, ), dict(name='clash')))
