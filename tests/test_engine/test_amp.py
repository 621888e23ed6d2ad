"""--amp: fp16 AMP with a GPU, bf16 autocast on a BF16 CPU, else one line."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mmdet_efficientdet.engine import CpuBf16OptimWrapper, apply_amp
from mmdet_efficientdet.errors import UserError


def _cfg():
    return Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))))


def test_the_wrapper_follows_the_machine():
    gpu = _cfg()
    assert apply_amp(gpu, accelerator=True) == 'AmpOptimWrapper'
    assert gpu.optim_wrapper.loss_scale == 'dynamic'
    cpu = _cfg()
    assert apply_amp(cpu, False, frozenset({'avx2', 'avx512f', 'avx512_bf16'})) == \
        'CpuBf16OptimWrapper'
    assert 'loss_scale' not in cpu.optim_wrapper
    assert apply_amp(_cfg(), False, frozenset({'amx_bf16'})) == 'CpuBf16OptimWrapper'
    with pytest.raises(UserError, match='--amp needs a GPU .* or a CPU with AVX-512 BF16 or AMX'):
        apply_amp(_cfg(), False, frozenset({'avx2', 'fma'}))


def test_bf16_autocast_step_keeps_fp32_weights():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    cfg = _cfg().optim_wrapper
    cfg.type = 'CpuBf16OptimWrapper'
    wrapper = build_optim_wrapper(model, cfg)
    assert isinstance(wrapper, CpuBf16OptimWrapper)
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 3, 8, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    assert model[0].weight.dtype == torch.float32
    assert not torch.equal(model[0].weight, before)


def test_train_tool_amp_on_this_machine(make_tiny_config, tmp_path):
    """``tools/train.py --amp`` trains with bf16 autocast on a BF16 CPU and is
    one line elsewhere (no GPU in the test machines)."""
    import os.path as osp
    import subprocess
    import sys

    from mmdet_efficientdet.engine.amp import BF16_FLAGS, has_accelerator
    from mmdet_efficientdet.utils.cpu_isa import cpu_flags
    from ..conftest import REPO
    if has_accelerator():
        pytest.skip('a GPU: mmdet AMP, covered upstream')
    out = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'),
        make_tiny_config(), '--amp', '--work-dir',
        str(tmp_path / 'work')
    ],
                         capture_output=True,
                         text=True,
                         timeout=300)
    if cpu_flags() & set(BF16_FLAGS):
        assert out.returncode == 0, out.stderr[-3000:]
        assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    else:
        assert out.returncode == 1
        assert out.stderr.strip().splitlines()[-1].startswith('error: --amp needs a GPU')
