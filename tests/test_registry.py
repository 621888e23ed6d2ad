"""Importing the plugin registers everything; configs work through custom_imports."""
from __future__ import annotations
import os.path as osp
import subprocess
import sys

from mmdet.registry import MODELS

from .conftest import D0_CONFIG, REPO
from .process import tool_output


def test_modules_are_registered_in_mmdet():
    for name in ('EfficientNetBackbone', 'BiFPN', 'EfficientDetSepBNHead', 'EfficientDet'):
        assert MODELS.get(name) is not None, name
    # mmdet's own EfficientNet is untouched
    from mmdet.models.backbones import EfficientNet
    assert MODELS.get('EfficientNet') is EfficientNet


def test_config_custom_imports_register_without_explicit_import():
    code = ('import sys\n'
            'from mmengine.config import Config\n'
            'from mmdet.registry import MODELS\n'
            'from mmdet.utils import register_all_modules\n'
            'register_all_modules()\n'
            f'cfg = Config.fromfile({D0_CONFIG!r})\n'
            'assert "mmdet_efficientdet" in sys.modules\n'
            'model = MODELS.build(cfg.model)\n'
            '# the product imports no reference / test tooling\n'
            'bad = [m for m in sys.modules if m.split(".")[0] in (\n'
            '    "reference", "tests", "effdet", "timm", "torchvision")]\n'
            'assert not bad, bad\n'
            'print(type(model).__name__, type(model.neck).__name__)\n')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         cwd='/',
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'EfficientDet BiFPN' in out.stdout


def _run(args, cwd):
    return subprocess.run(
        [sys.executable] + args, capture_output=True, text=True, cwd=cwd, timeout=600)


def test_train_then_test_with_the_repo_tools(make_tiny_config, tmp_path):
    config = make_tiny_config(max_epochs=1)
    work = str(tmp_path / 'work')
    # each tool's main(argv), in this process (no interpreter start each)
    tool_output(osp.join(REPO, 'tools', 'train.py'), [config, '--work-dir', work])
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    logs = tool_output(osp.join(REPO, 'tools', 'test.py'), [config, ckpt, '--work-dir', work])
    assert 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all' in logs
    assert 'coco/bbox_mAP' in logs


def test_mmdet_own_train_script_runs_our_config(make_tiny_config, tmp_path):
    from mmdet_efficientdet.utils import mmdet_tool_path
    config = make_tiny_config(max_epochs=1)
    out = _run([
        mmdet_tool_path('train.py'), config, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', 'train_cfg.val_interval=5'
    ],
               cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    assert osp.isfile(tmp_path / 'w' / 'epoch_1.pth')
