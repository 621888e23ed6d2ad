"""The demo's detector settings."""
from mmengine.config import Config

from mmdet_efficientdet.apis.demo import drop_below_threshold


def test_candidates_below_the_drawing_threshold_are_dropped_before_nms():
    cfg = Config(dict(model=dict(test_cfg=dict(nms_pre=5000, score_thr=0.001, max_per_img=100))))
    drop_below_threshold(cfg, 0.3)
    assert cfg.model.test_cfg == dict(nms_pre=5000, score_thr=0.3, max_per_img=100)
    # a config that already keeps less is left as it is; no test_cfg at all gets one
    drop_below_threshold(cfg, 0.1)
    assert cfg.model.test_cfg.score_thr == 0.3
    bare = Config(dict(model=dict()))
    drop_below_threshold(bare, 0.2)
    assert bare.model.test_cfg == dict(score_thr=0.2)
