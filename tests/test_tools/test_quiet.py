"""Known library noise is dropped at the CLI entry points, and only there."""
import logging
import uuid
import warnings

import torch
from mmengine.logging import MMLogger, print_log

from mmdet_efficientdet.utils import run_cli


def _noisy_main():
    MMLogger.get_instance(f'quiet_test_{uuid.uuid4().hex}', log_level='INFO')
    print_log(
        '"FileClient" will be deprecated in future. Please use io functions',
        logger='current',
        level=logging.WARNING)
    print_log(
        'Failed to search registry with scope "mmdet" in the "function" registry tree.',
        logger='current',
        level=logging.WARNING)
    print_log('loss 0.5, our own line', logger='current', level=logging.INFO)
    warnings.warn('Converting a tensor to a Python boolean', torch.jit.TracerWarning)
    warnings.warn('Warning: The bbox is out of bounds, the drawn bbox may not be in the image',
                  UserWarning)
    warnings.warn('a warning a user can act on', UserWarning)
    print('plain output')


def test_cli_drops_only_the_known_noise(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert run_cli(_noisy_main) == 0
    assert [str(w.message) for w in caught] == ['a warning a user can act on']
    out = capsys.readouterr()
    text = out.out + out.err
    assert 'FileClient' not in text and 'Failed to search registry' not in text
    assert 'loss 0.5, our own line' in text and 'plain output' in text


def test_library_use_keeps_every_message(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        _noisy_main()
    messages = [str(w.message) for w in caught]
    assert messages == [
        'Converting a tensor to a Python boolean',
        'Warning: The bbox is out of bounds, the drawn bbox may not be in the image',
        'a warning a user can act on'
    ]
    out = capsys.readouterr()
    assert 'FileClient' in out.out + out.err
