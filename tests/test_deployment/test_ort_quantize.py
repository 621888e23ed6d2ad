"""The measured choice of ORT int8 nodes kept in float: each combination is
quantized once, the chosen one's file is the measured file, no trial left."""
import os

import numpy as np
import torch

from mmdet_efficientdet.deployment.ort_quantize import (output_error, quantize_onnx_int8,
                                                        select_float_nodes)


class _Net(torch.nn.Module):

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.cls_pred = torch.nn.Conv2d(8, 4, 1)
        self.reg_pred = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        return self.cls_pred(x), self.reg_pred(x)


def _export(folder) -> str:
    fp32 = str(folder / 'net.onnx')
    torch.onnx.export(
        _Net().eval(), (torch.zeros(1, 3, 16, 16), ),
        fp32,
        output_names=['cls_0', 'box_0'],
        dynamo=False)
    return fp32


BATCHES = [np.random.RandomState(i).rand(1, 3, 16, 16).astype(np.float32) * 100 for i in range(3)]


def test_search_leaves_the_measured_file_and_no_trials(tmp_path, monkeypatch):
    fp32 = _export(tmp_path)
    import onnx
    convs = [n.name for n in onnx.load(fp32).graph.node if n.op_type == 'Conv']
    batches = BATCHES
    import mmdet_efficientdet.deployment.ort_quantize as module
    calls = []
    real = module.quantize_onnx_int8
    monkeypatch.setattr(
        module, 'quantize_onnx_int8',
        lambda src, dst, b, keep: calls.append(list(keep)) or real(src, dst, b, keep))
    out = str(tmp_path / 'model_int8.onnx')
    # a gain nobody reaches: nothing chosen, the all-int8 trial is the result
    search = select_float_nodes(fp32, str(tmp_path), batches, convs, min_gain=2.0, out_path=out)
    assert search.chosen == [] and search.final == search.all_int8
    assert calls == [[]] + [[c] for c in convs]  # nothing quantized twice
    assert sorted(os.listdir(tmp_path)) == ['model_int8.onnx', 'net.onnx']
    # the file left is the one measured: same error as quantizing afresh
    again = quantize_onnx_int8(fp32, str(tmp_path / 'again.onnx'), batches)
    from mmdet_efficientdet.deployment.ort_quantize import _outputs
    reference = _outputs(fp32, batches)
    assert output_error(reference, _outputs(out, batches)) == output_error(
        reference, _outputs(again, batches)) == search.all_int8
    # any gain: every candidate chosen, a new combination measured once more
    calls.clear()
    os.remove(out)
    search = select_float_nodes(fp32, str(tmp_path), batches, convs, min_gain=-1.0, out_path=out)
    assert search.chosen == convs and calls[-1] == convs and len(calls) == len(convs) + 2
    assert os.path.isfile(out)


def test_the_ort_target_searches_by_default_and_leaves_only_its_file(tmp_path):
    """``keep_float=['auto']`` (deploy.py's default): the searched
    candidates are the stem and the two prediction convs, the table and the
    chosen nodes are logged, the search's measured file is the target's."""
    from mmdet_efficientdet.deployment.ort_runtime import OrtRuntime
    fp32 = _export(tmp_path)
    lines = []
    out = OrtRuntime.export('int8', fp32, str(tmp_path), BATCHES, ['auto'], lines.append)
    assert out == str(tmp_path / 'model_int8.onnx')
    table = lines[0].splitlines()
    assert table[0].startswith('output error, all int8: ')
    tried = [line.split()[0] for line in table[1:4]]
    assert tried == ['/stem/Conv', '/cls_pred/Conv', '/reg_pred/Conv']
    assert table[-1].startswith('kept in float: ') and lines[1].startswith('ort-int8 float nodes: ')
    assert sorted(os.listdir(tmp_path)) == ['model_int8.onnx', 'net.onnx']
