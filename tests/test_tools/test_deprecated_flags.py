"""Every tool names an inference path with --target/--targets; the old
spellings still parse into the same value with a one-line deprecation."""
import importlib.util
import os.path as osp

import pytest

from tests.conftest import REPO


def _tool(rel: str):
    spec = importlib.util.spec_from_file_location(osp.basename(rel)[:-3], osp.join(REPO, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('rel, argv, expected, warned', [
    ('tools/deployment/deploy.py', ['c.py', 'm.pth', '--out-dir', 'o', '--backends', 'ov-int8'
                                    ], dict(targets=['ov-int8']), ['--backends']),
    ('tools/analysis_tools/benchmark.py', ['--paths', 'eager', 'ort-fp32'
                                           ], dict(targets=['eager', 'ort-fp32']), ['--paths']),
    ('tools/analysis_tools/scale_to_budget.py', [
        '--budget', '5', '--metric', 'latency', '--out-dir', 'o', '--path', 'ov-int8'
    ], dict(target='ov-int8'), ['--path']),
    ('tools/nas/search.py', [
        'c.py', 'm.pth', '--out-dir', 'o', '--target-ratio', '0.7', '--path', 'ort-int8'
    ], dict(target='ort-int8', latency_ratio=0.7, latency_ms=None), ['--target-ratio', '--path']),
    ('tools/nas/search.py', ['c.py', 'm.pth', '--out-dir', 'o', '--latency-target', '9'
                             ], dict(target='ov-int8', latency_ms=9.0), ['--latency-target']),
    ('tools/pruning/prune.py', ['c.py', 'm.pth', '--out-dir', 'o', '--target-flops', '0.5'
                                ], dict(flops_ratio=0.5, latency_ratio=None), ['--target-flops']),
])
def test_old_spellings_parse_to_the_new_flags(rel, argv, expected, warned, capsys):
    args = _tool(rel).parse_args(argv)
    assert {k: getattr(args, k) for k in expected} == expected
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in lines] == warned
    assert all(line.startswith('warning: ') and 'is deprecated' in line for line in lines)


def test_new_spellings_are_silent(capsys):
    args = _tool('tools/nas/search.py').parse_args(
        ['c.py', 'm.pth', '--out-dir', 'o', '--latency-ratio', '1', '--target', 'eager'])
    assert (args.target, args.latency_ratio) == ('eager', 1.0)
    assert capsys.readouterr().err == ''


def test_the_old_coefficient_target_is_the_flops_factor(capsys):
    tool = _tool('tools/analysis_tools/search_coefficients.py')
    args = tool.parse_args(['c.py', '--epochs', '1', '--out-dir', 'o', '--target', '1.8'])
    assert (args.flops_factor, args.target) == (1.8, 'eager')
    assert 'use --flops-factor N' in capsys.readouterr().err
    args = tool.parse_args(['c.py', '--epochs', '1', '--out-dir', 'o', '--target', 'ov-int8'])
    assert (args.flops_factor, args.target) == (2.0, 'ov-int8')
