"""The one input-size type and parser (``utils/image_size.py``) and the CLI
options that read through it."""
import argparse

import pytest

from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.utils.cli import add_image_size, image_size, square_size
from mmdet_efficientdet.utils.image_size import square_side, to_image_size


@pytest.mark.parametrize('value, expected', [(512, (512, 512)), ([320], (320, 320)),
                                             ((384, 640), (384, 640)), ([256, 128], (256, 128))])
def test_to_image_size_spellings(value, expected):
    size = to_image_size(value)
    assert size == expected
    assert all(type(n) is int for n in size)


@pytest.mark.parametrize('value', [0, -3, [], (1, 2, 3), 'big', 12.5, (512, 0), True, None])
def test_to_image_size_refuses_in_one_line(value):
    with pytest.raises(UserError) as err:
        to_image_size(value, 'image_size')
    message = str(err.value)
    assert '\n' not in message
    assert message.startswith(f'image_size {value!r}: give N (square) or (H, W)')


def test_square_side():
    assert square_side([96]) == 96
    with pytest.raises(UserError, match='image size 96 128: only square inputs'):
        square_side((96, 128))


def test_cli_image_size_reads_the_option():
    parser = argparse.ArgumentParser()
    add_image_size(parser)
    assert image_size(parser.parse_args([]).image_size, 512) == (512, 512)
    assert image_size(parser.parse_args(['--image-size', '384', '640']).image_size,
                      512) == (384, 640)
    assert square_size(parser.parse_args(['--image-size', '320']).image_size) == 320
    assert square_size(parser.parse_args([]).image_size) is None
    with pytest.raises(UserError, match=r'^--image-size \[1, 2, 3\]: give N'):
        image_size(parser.parse_args(['--image-size', '1', '2', '3']).image_size, 512)
    with pytest.raises(UserError, match='^--image-size 320 256: only square'):
        square_size(parser.parse_args(['--image-size', '320', '256']).image_size)
