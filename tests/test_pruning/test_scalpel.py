"""The Scalpel check's search for the unaligned ratio of a parameter count
(the check end to end: tests/test_tools/test_prune_tools.py)."""
from mmdet_efficientdet.pruning import kept_channels
from mmdet_efficientdet.pruning.scalpel import RATIO_STEPS, unaligned_ratio


def test_unaligned_ratio_is_the_first_grid_ratio_reaching_the_count(d0):
    _, model = d0
    calls = []

    def params_at(ratio):  # falls with the kept widths of bifpn and head (64 each)
        calls.append(ratio)
        return 2 * kept_channels(64, ratio)

    want = 2 * kept_channels(64, 0.3)  # 45 kept: 64 (1 - r) < 45.5
    ratio = unaligned_ratio(model, ['bifpn', 'head'], want, params_at)
    assert ratio == 0.289063
    # the grid point below keeps one channel more
    assert params_at((ratio * RATIO_STEPS - 1) / RATIO_STEPS) == 92
    assert params_at(ratio) == want == 90
    # one call per width plan: fewer prunings than the bisection's 20 steps
    searched = calls[:-2]
    assert len(searched) < 20
    assert len({kept_channels(64, r) for r in searched}) == len(searched)
    assert unaligned_ratio(model, ['head'], 10**9, params_at) == 0.0
