"""Peak training memory is measured in a fresh process for a config's own
model (the benchmark's trained subject, the budget tool's memory metric)."""
from mmdet_efficientdet.measure import peak_train_memory


def test_peak_memory_of_a_configs_own_model(trained):
    config, _ = trained
    mb = peak_train_memory(config, 128, 1, 1, coco=False)
    # torch + mmdet alone take a few hundred MB; far below the machine's RAM
    assert 200 < mb < 8000
