"""TFAnchorGenerator: automl's (w, h) aspect pairs and, for inputs that are
not multiples of the coarsest stride, automl's fractional strides."""
import torch

from mmdet_efficientdet.models.task_modules import TFAnchorGenerator


def _gen():
    return TFAnchorGenerator(
        strides=[8, 16, 32, 64, 128], octave_base_scale=3.0, scales_per_octave=3)


def test_multiples_of_every_stride_give_mmdets_anchors():
    gen = _gen()
    sizes = [(384 // s, 384 // s) for s in (8, 16, 32, 64, 128)]
    ours = gen.grid_priors(sizes, device='cpu')
    plain = [gen.single_level_grid_priors(s, i, device='cpu') for i, s in enumerate(sizes)]
    assert all(torch.equal(a, b) for a, b in zip(ours, plain))


def test_320_input_gets_automl_stride_at_p7():
    """Lite0: P7 has ceil(320 / 128) = 3 cells, stride 320 / 3; its anchors
    are centred at 53.3, 160, 266.7 (inside the image) and sized
    anchor_scale * stride."""
    gen = _gen()
    sizes = [(-(-320 // s), ) * 2 for s in (8, 16, 32, 64, 128)]
    assert sizes[-1] == (3, 3)
    p7 = gen.grid_priors(sizes, device='cpu')[-1]
    assert p7.shape == (3 * 3 * 9, 4)
    centres_x = (((p7[:, 0] + p7[:, 2]) / 2 * 1000).round() / 1000).unique()
    torch.testing.assert_close(centres_x, torch.tensor([53.333, 160.0, 266.667]))
    # first anchor: scale 2**0, aspect (1, 1): 3 * 320/3 = 320 px wide
    assert abs(float(p7[0, 2] - p7[0, 0]) - 320.0) < 1e-3
    # P3-P6 divide 320 evenly: unchanged
    p6 = gen.grid_priors(sizes, device='cpu')[-2]
    assert torch.equal(p6, gen.single_level_grid_priors((5, 5), 3, device='cpu'))
