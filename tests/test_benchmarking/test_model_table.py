"""The model table: counted rows against the paper's numbers."""
from mmdet_efficientdet.benchmarking.model_table import HEADER, ModelRow, measure_level
from ..conftest import CONFIG_DIR


def _row(params_m, gflops, paper_params, paper_gflops):
    return ModelRow('d1', 640, 'b1', 88, 4, 3, 'fast', 3, 7, 4.0, params_m, gflops, paper_params,
                    paper_gflops, 3.0)


def test_tolerances_and_columns():
    assert _row(6.6, 6.10, 6.6, 6.10).ok is True
    assert _row(6.8, 6.10, 6.6, 6.10).ok is False  # params +3.0% > 2%
    assert _row(6.6, 6.45, 6.6, 6.10).ok is False  # FLOPs +5.7% > 5%
    assert _row(6.6, 6.45, 6.6, None).ok is True  # Lite: no FLOPs published
    assert _row(6.6, 6.45, None, None).ok is None  # V2: nothing published
    line = _row(6.7, 6.2, 6.6, 6.10).format()
    assert line.split('|')[1].split() == ['6.700', '6.60', '+1.5%']
    assert line.split('|')[2].split() == ['6.20', '6.1', '+1.6%']
    assert line.split('|')[3].split()[0] == 'yes'
    assert len(line.split('|')) == len(HEADER.split('|'))
    assert _row(6.6, 6.45, None, None).format().split('|')[1].split() == ['6.600', '-', '-']


def test_lite0_is_counted_from_its_config():
    row = measure_level(CONFIG_DIR, 'lite0')
    assert (row.image_size, row.arch, row.bifpn_channels, row.max_level) == (320, 'lite0', 64, 7)
    assert round(row.params_m, 3) == 3.241 and row.ok is True


def test_a_p2_row_is_counted_with_its_levels():
    row = measure_level(CONFIG_DIR, 'lite0-p2')
    assert (row.min_level, row.max_level, row.paper_params_m, row.ok) == (2, 7, None, None)
    assert round(row.params_m, 3) == 3.275 and round(row.gflops, 2) == 1.67
    assert 'P2-P7' in row.format()
