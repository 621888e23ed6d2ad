import argparse

import pytest

from mmdet_efficientdet.utils.cli import add_target_argument


def _parser(**kwargs):
    parser = argparse.ArgumentParser(prog='tool')
    add_target_argument(parser, **kwargs)
    return parser


def test_the_new_flag_takes_the_value_silently(capsys):
    args = _parser(old=('--path', ), default='eager').parse_args(['--target', 'ov-int8'])
    assert args.target == 'ov-int8'
    assert capsys.readouterr().err == ''


def test_an_old_spelling_still_works_with_one_line(capsys):
    args = _parser(
        many=True, old=('--backends', ),
        default=['ort-fp32']).parse_args(['--backends', 'ov-int8', 'ort-int8'])
    assert args.targets == ['ov-int8', 'ort-int8']
    assert capsys.readouterr().err == \
        'warning: --backends is deprecated and will be removed; use --targets\n'


def test_old_spellings_are_hidden_and_keep_choices(capsys):
    parser = _parser(old=('--path', ), choices=['eager', 'fused'])
    assert '--path' not in parser.format_help() and '--target' in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(['--path', 'gpu'])
    assert "invalid choice: 'gpu'" in capsys.readouterr().err
