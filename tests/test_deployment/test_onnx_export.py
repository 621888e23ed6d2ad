"""ONNX export: onnxruntime matches PyTorch, dynamic batch, decoded outputs."""
import numpy as np
import onnxruntime as ort
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.deployment import export_onnx, fold_bn_into_convs
from reference.effdet_ref import randomize_
from ..conftest import CONFIG_DIR, REPO


def _model(config):
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None  # tests never download
    model = MODELS.build(cfg.model)
    model.init_weights()
    x = torch.randn(2, 3, 256, 384)
    return randomize_(model, 0, calib=x).eval()


@pytest.mark.parametrize(
    'config',
    [
        f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py',
        f'{CONFIG_DIR}/ported/tf_efficientdet_d0_coco.py',  # TF 'same' padding
    ])
def test_onnxruntime_matches_pytorch_dynamic_batch(config, tmp_path):
    model = _model(config)
    path = str(tmp_path / 'd0.onnx')
    names = export_onnx(model, path, (256, 384))
    assert not model.training  # export leaves the model in eval mode
    assert names[0] == 'cls_0' and names[-1] == 'box_4'
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for batch in (1, 3):
        x = torch.randn(batch, 3, 256, 384)
        with torch.no_grad():
            cls_scores, bbox_preds = model._forward(x)
        out = session.run(None, {'input': x.numpy()})
        assert out[0].shape == (batch, 9 * 80, 32, 48)
        for got, want in zip(out, list(cls_scores) + list(bbox_preds)):
            np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-4)
    # TF 'SAME' pads of the strided convs are folded into the convs
    import onnx
    graph = onnx.load(path).graph
    # no Pad is left: SAME pads of convs (zeros) and of the P6/P7 max-pools
    # (-inf) are the ops' own asymmetric pads
    assert not [n for n in graph.node if n.op_type == 'Pad']
    pools = [[list(a.ints) for a in n.attribute if a.name == 'pads'] for n in graph.node
             if n.op_type == 'MaxPool']
    # P6, P7 from P5, and the 4 bottom-up resamplings of each of 3 cells
    assert pools == [[[0, 0, 1, 1]]] * (2 + 3 * 4)
    asymmetric = [
        n for n in graph.node
        if n.op_type == 'Conv' and any(a.name == 'pads' and list(a.ints)[:2] != list(a.ints)[2:]
                                       for a in n.attribute)
    ]
    # D0 trains with TF 'SAME' padding too (its ImageNet checkpoint's)
    assert len(asymmetric) == 5


def test_fold_pads_leaves_non_constant_and_non_zero_pads():
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    from mmdet_efficientdet.deployment import fold_same_pads
    weight = helper.make_tensor('w', TensorProto.FLOAT, [1, 1, 3, 3], [1.0] * 9)
    pads = helper.make_tensor('pads', TensorProto.INT64, [8], [0, 0, 0, 0, 0, 0, 1, 1])
    one = helper.make_tensor('one', TensorProto.FLOAT, [], [1.0])
    ninf = helper.make_tensor('ninf', TensorProto.FLOAT, [], [-np.inf])
    nodes = [
        helper.make_node('Pad', ['x', 'pads'], ['p0']),
        helper.make_node('Conv', ['p0', 'w'], ['y0'], strides=[2, 2]),
        helper.make_node('Pad', ['x', 'pads', 'one'], ['p1']),  # pads with 1
        helper.make_node('Conv', ['p1', 'w'], ['y1'], strides=[2, 2]),
        # SAME max-pool: -inf pad folds, a zero pad must not (x < 0 here)
        helper.make_node('Pad', ['x', 'pads', 'ninf'], ['p2']),
        helper.make_node('MaxPool', ['p2'], ['y2'], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node('Pad', ['x', 'pads'], ['p3']),
        helper.make_node('MaxPool', ['p3'], ['y3'], kernel_shape=[3, 3], strides=[2, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 4, 4])], [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
            for n in ('y0', 'y1', 'y2', 'y3')
        ],
        initializer=[weight, pads, one, ninf])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4) - 20
    before = ReferenceEvaluator(model).run(None, {'x': x})
    assert fold_same_pads(model) == 2
    assert [n.op_type
            for n in model.graph.node] == ['Conv', 'Pad', 'Conv', 'MaxPool', 'Pad', 'MaxPool']
    for node in (model.graph.node[0], model.graph.node[3]):
        assert [list(a.ints) for a in node.attribute if a.name == 'pads'] \
            == [[0, 0, 1, 1]]
    after = ReferenceEvaluator(model).run(None, {'x': x})
    assert float(after[2].max()) == -5.0  # bottom-right window: x[3, 3]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_decoded_export_matches_mmdet_decoding(tmp_path):
    model = _model(f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py')
    path = str(tmp_path / 'd0_decoded.onnx')
    assert export_onnx(model, path, (256, 256), decode=True) == ['boxes', 'scores']
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    x = torch.randn(1, 3, 256, 256)
    boxes, scores = session.run(None, {'input': x.numpy()})
    head = model.bbox_head
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(x)
    priors = torch.cat(
        head.prior_generator.grid_priors([c.shape[-2:] for c in cls_scores], device='cpu'))
    deltas = torch.cat([b[0].permute(1, 2, 0).reshape(-1, 4) for b in bbox_preds])
    want = head.bbox_coder.decode(priors, deltas, max_shape=(256, 256))
    np.testing.assert_allclose(boxes[0], want.numpy(), rtol=0, atol=1e-3)
    want_scores = torch.cat([c[0].permute(1, 2, 0).reshape(-1, 80) for c in cls_scores]).sigmoid()
    np.testing.assert_allclose(scores[0], want_scores.numpy(), rtol=0, atol=1e-5)


def test_fused_conv_bn_keeps_outputs():
    model = _model(f'{CONFIG_DIR}/ported/tf_efficientdet_d0_coco.py')
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        ref = model._forward(x)
        fold_bn_into_convs(model)
        got = model._forward(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.backbone.modules())
    for a, b in zip(ref[0] + ref[1], got[0] + got[1]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-4)


def test_export_tool_verifies(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('export_onnx',
                                                  f'{REPO}/tools/deployment/export_onnx.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'm.onnx')
    assert tool.main([
        f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py', '--out', out, '--image-size', '128',
        '256', '--verify'
    ]) == 0
    assert 'max abs diff' in capsys.readouterr().out
    from mmdet_efficientdet.errors import UserError
    before = open(out, 'rb').read()
    with pytest.raises(UserError, match='already exist'):
        tool.main([f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py', '--out', out])
    with pytest.raises(
            UserError, match=r'--image-size \(100, 256\) must be '
            r'divisible by 128'):
        tool.main([
            f'{CONFIG_DIR}/efficientdet_d0_8xb16-300e_coco.py', '--out', out, '--image-size', '100',
            '256', '--overwrite'
        ])
    assert open(out, 'rb').read() == before  # a failed run keeps the file
    assert [p.name for p in tmp_path.iterdir()] == ['m.onnx']  # no temp left


def test_decode_uses_the_model_box_coder_for_ported_configs(tmp_path):
    """A ported config decodes without mmdet's 16/1000 clamp; the exported
    graph must decode exactly as the model does, clamp setting included."""
    import importlib.util
    config = f'{CONFIG_DIR}/ported/tf_efficientdet_d0_coco.py'
    model = _model(config)
    with torch.no_grad():  # dw, dh large enough to reach mmdet's clamp
        bias = model.bbox_head.reg_pred.pointwise_conv.conv.bias
        bias.view(-1, 4)[:, 2:] += 4.5
    ckpt = str(tmp_path / 'ported.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    spec = importlib.util.spec_from_file_location('export_onnx',
                                                  f'{REPO}/tools/deployment/export_onnx.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'ported.onnx')
    assert tool.main([config, ckpt, '--out', out, '--decode', '--image-size', '256', '256']) == 0

    x = torch.randn(2, 3, 256, 256)
    boxes, _ = ort.InferenceSession(
        out, providers=['CPUExecutionProvider']).run(None, {'input': x.numpy()})
    head = model.bbox_head
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(x)
    priors = torch.cat(
        head.prior_generator.grid_priors([c.shape[-2:] for c in cls_scores], device='cpu'))
    for i in range(2):
        deltas = torch.cat([b[i].permute(1, 2, 0).reshape(-1, 4) for b in bbox_preds])
        assert deltas[:, 2:].abs().max() > 4.2  # beyond |log(16/1000)|
        want = head.bbox_coder.decode(priors, deltas, max_shape=(256, 256))
        np.testing.assert_allclose(boxes[i], want.numpy(), rtol=1e-4, atol=1e-4)
