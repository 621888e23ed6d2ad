"""Block-string parsing."""
import pytest

from mmdet_efficientdet.models.layers import BlockArgs, parse_block_string


def test_parses_all_tokens():
    assert parse_block_string('ir_r2_k5_s2_e6_c40_se0.25') == BlockArgs(
        'ir', repeats=2, kernel_size=5, stride=2, expand_ratio=6.0, out_channels=40, se_ratio=0.25)
    assert parse_block_string('ds_r1_k3_s1_e1_c16').se_ratio == 0.0


@pytest.mark.parametrize('text, match', [
    ('xx_r1_k3_s1_e1_c16', 'unknown block type'),
    ('ir_r1_k3_s1_e1', 'missing'),
    ('ir_r1_k3_s1_e1_c16_q3', 'bad or repeated token'),
    ('ir_r1_r2_k3_s1_e1_c16', 'bad or repeated token'),
])
def test_errors_name_the_problem(text, match):
    with pytest.raises(ValueError, match=match):
        parse_block_string(text)
