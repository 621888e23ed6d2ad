"""Bad input through every tool is one 'error:' line naming the file/key."""
from __future__ import annotations
import importlib.util
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.utils import run_cli
from ..conftest import REPO
from ..process import tool_error


@pytest.fixture(scope='module')
def wider_checkpoint(tmp_path_factory):
    """A checkpoint of a D0 with an 88-channel BiFPN (as a D1's width)."""
    from ..conftest import D0_CONFIG
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.bbox_head.num_classes = 3
    cfg.model.neck.out_channels = cfg.model.bbox_head.in_channels = 88
    path = str(tmp_path_factory.mktemp('wider') / 'wider.pth')
    torch.save(
        dict(state_dict=MODELS.build(cfg.model).state_dict(), meta=dict(epoch=1, iter=4)), path)
    return path


def _tool(args, cwd):
    out = subprocess.run(
        [sys.executable] + args, capture_output=True, text=True, cwd=cwd, timeout=300)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-3000:]
    assert lines and lines[-1].startswith('error: '), out.stderr[-3000:]
    assert 'Traceback' not in out.stderr
    return lines[-1]


def _in_process(tool, args, capsys):
    """``tools/<tool>`` refusing ``args`` before it builds anything: run in
    this process (no interpreter start), one ``error:`` line returned."""
    return tool_error(osp.join(REPO, 'tools', tool), [str(a) for a in args], capsys)


SHAPE_ERROR = ('checkpoint does not fit this model: 309 tensor(s) differ in '
               'shape outside the class-prediction layer')
FIRST_KEY = ('neck.extra_levels.0.0.conv.weight: checkpoint (88, 320, 1, 1), '
             'model (64, 320, 1, 1)')


@pytest.mark.parametrize('route', ['test', 'demo', 'load_from', 'resume'])
def test_checkpoint_of_another_architecture_is_an_error_everywhere(route, wider_checkpoint,
                                                                   make_tiny_config, shapes_root,
                                                                   tmp_path, capsys):
    config = make_tiny_config()
    work = ['--work-dir', str(tmp_path / 'work')]
    args = {
        'test': ['test.py', config, wider_checkpoint] + work,
        'demo': [
            'demo.py',
            osp.join(shapes_root, 'val', '000001.png'), config, wider_checkpoint, '--out-dir',
            str(tmp_path / 'vis')
        ],
        'load_from': ['train.py', config, '--cfg-options', f'load_from={wider_checkpoint}'] + work,
        'resume': ['train.py', config, '--resume', wider_checkpoint] + work,
    }[route]
    if route in ('test', 'demo'):  # refused before anything is built
        line = _in_process(args[0], args[1:], capsys)
    else:  # the refusal comes from the Runner: a process of its own
        line = _tool([f'tools/{args[0]}'] + args[1:], REPO)
    assert SHAPE_ERROR in line and FIRST_KEY in line


@pytest.mark.parametrize('route', ['test', 'demo'])
def test_checkpoint_of_another_class_count_is_refused_for_testing(route, trained, shapes_root,
                                                                  make_tiny_config, tmp_path,
                                                                  capsys):
    """A checkpoint trained on 3 classes under a 1-class config: testing and
    inference refuse it (a random class layer would give a believable mAP)."""
    _, checkpoint = trained
    config = make_tiny_config(classes=('circle', ))
    args = {
        'test': ['test.py', config, checkpoint, '--work-dir',
                 str(tmp_path / 'work')],
        'demo': [
            'demo.py',
            osp.join(shapes_root, 'val', '000001.png'), config, checkpoint, '--out-dir',
            str(tmp_path / 'vis')
        ],
    }[route]
    line = _in_process(args[0], args[1:], capsys)
    assert 'was trained for 3 classes' in line
    assert 'model.bbox_head.num_classes=1' in line and checkpoint in line
    assert not (tmp_path / 'work').exists() and not (tmp_path / 'vis').exists()


def test_checkpoint_fit_check_accepts_its_own_config_and_names_missing_tensors(trained, tmp_path):
    from mmdet_efficientdet.models.detectors.efficientdet import CheckpointShapeError
    from mmdet_efficientdet.models.trained import build_for_checkpoint
    from mmdet_efficientdet.utils.config_loader import load_config
    config, checkpoint = trained
    cfg = load_config(config)
    build_for_checkpoint(cfg, checkpoint)  # fits: no error
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    state.pop('bbox_head.reg_pred.pointwise_conv.conv.bias')
    partial = str(tmp_path / 'partial.pth')
    torch.save(dict(state_dict=state), partial)
    with pytest.raises(CheckpointShapeError, match='lacks 1 of the model.s tensors'):
        build_for_checkpoint(cfg, partial)


def test_malformed_annotation_file_is_one_line(make_tiny_config, tmp_path, wider_checkpoint,
                                               capsys):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    config = make_tiny_config(
        extra=(f"val_dataloader['dataset']['ann_file'] = {str(bad)!r}\n"
               f"val_dataloader['dataset']['data_root'] = ''\n"))
    line = _in_process('test.py', [config, wider_checkpoint, '--work-dir', tmp_path / 'work'],
                       capsys)
    assert str(bad) in line and 'not valid COCO json' in line


def _converter(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', 'model_converters', f'{name}.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


class _Payload:

    def __reduce__(self):
        return (print, ('this must never run', ))


@pytest.mark.parametrize('tool, extra', [('effdet_to_mmdet', [
    '--config',
    osp.join(REPO, 'configs/efficientdet/ported/tf_efficientdet_d0_coco.py')
]), ('efficientnet_to_mmdet', ['--arch', 'b0'])])
@pytest.mark.parametrize('damage', ['unsafe', 'truncated', 'missing'])
def test_converters_report_bad_files_in_one_line(tool, extra, damage, tmp_path, capsys):
    src = tmp_path / 'src.pth'
    if damage == 'unsafe':
        torch.save({'w': torch.zeros(1), 'x': _Payload()}, src)
    elif damage == 'truncated':
        torch.save({'w': torch.zeros(1000)}, src)
        src.write_bytes(src.read_bytes()[:1500])
    main = _converter(tool).main
    assert run_cli(lambda: main([str(src), str(tmp_path / 'o.pth')] + extra)) == 1
    err = capsys.readouterr()
    assert 'this must never run' not in err.out
    lines = err.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert str(src) in lines[0] and 'weights_only=False' not in lines[0]
    expected = {
        'unsafe': 'outside the allow-list',
        'truncated': 'not a readable torch checkpoint',
        'missing': 'not found'
    }[damage]
    assert expected in lines[0]
    assert not (tmp_path / 'o.pth').exists()


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
@pytest.mark.parametrize('option, message', [
    ('modle.bbox_head.num_classes=3', "the config has no key 'modle'"),
    ('train_dataloader.batchsize=4', "did you mean 'batch_size'?"),
    ('train_dataloader.batch_size=0', 'must be a positive integer'),
])
def test_config_option_mistakes_are_one_line(make_tiny_config, tool, option, message, capsys):
    """A typo'd --cfg-options key or an impossible value is named before
    anything is built; a new leaf key (soft-NMS's sigma) is still allowed."""
    config = make_tiny_config()
    args = [config] + (['missing.pth'] if tool == 'test.py' else []) + ['--cfg-options', option]
    line = _in_process(tool, args, capsys)
    assert message in line and option.split('=')[0] in line


def test_new_leaf_options_are_allowed(make_tiny_config):
    from mmdet_efficientdet.utils.config_loader import load_config
    cfg = load_config(make_tiny_config(), {
        'model.test_cfg.nms.sigma': 0.5,
        'model.test_cfg.nms.type': 'soft_nms'
    })
    assert cfg.model.test_cfg.nms.sigma == 0.5


@pytest.mark.parametrize('tool, extra', [('effdet_to_mmdet', [
    '--config', f'{REPO}/configs/efficientdet/ported/'
    'tf_efficientdet_d0_coco.py'
]), ('efficientnet_to_mmdet', ['--arch', 'b0'])])
def test_converters_never_replace_a_file(tool, extra, tmp_path, capsys):
    src, dst = tmp_path / 'src.pth', tmp_path / 'o.pth'
    src.write_bytes(b'source')
    dst.write_bytes(b'an earlier conversion')
    main = _converter(tool).main
    assert run_cli(lambda: main([str(src), str(dst)] + extra)) == 1
    assert 'already exist' in capsys.readouterr().err
    assert run_cli(lambda: main([str(src), str(src), '--overwrite'] + extra)) == 1
    assert 'is an input of this run' in capsys.readouterr().err
    assert dst.read_bytes() == b'an earlier conversion'
    assert src.read_bytes() == b'source'


@pytest.mark.parametrize('tool', ['train.py', 'analysis_tools/dataset_fit.py'])
def test_config_option_without_value_is_one_line(make_tiny_config, tmp_path, tool, capsys):
    argv = [make_tiny_config(), '--cfg-options', 'train_dataloader.batch_size'
            ] + (['--out-dir', tmp_path / 'fit'] if 'fit' in tool else [])
    assert _in_process(tool, argv, capsys).endswith(
        "error: --cfg-options 'train_dataloader.batch_size': expected key=value "
        "(e.g. train_dataloader.batch_size=4)")


def test_dataset_fit_on_an_empty_dataset_is_one_line(make_tiny_config, shapes_root, tmp_path,
                                                     capsys):
    import json
    empty = tmp_path / 'empty.json'
    coco = json.load(open(osp.join(shapes_root, 'annotations', 'instances_train.json')))
    empty.write_text(json.dumps(dict(coco, images=[], annotations=[])))
    config = make_tiny_config(extra=f"train_dataloader['dataset']['ann_file'] = {str(empty)!r}\n")
    line = _in_process('analysis_tools/dataset_fit.py', [config, '--out-dir', tmp_path / 'fit'],
                       capsys)
    assert f'{empty}: no image left to use: the json lists 0 image(s)' in line
    assert not (tmp_path / 'fit').exists()
