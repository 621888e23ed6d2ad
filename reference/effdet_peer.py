"""effdet as the benchmark's peer (test tooling: needs ``.refenv``).

``tools/analysis_tools/benchmark.py --compare-effdet`` passes
``'reference.effdet_peer:effdet_peer'`` to
:func:`mmdet_efficientdet.benchmarking.run_benchmark`; the package itself
never imports effdet.
"""
from __future__ import annotations

import torch


def effdet_peer(ours, level: str, image_size: int):
    """rwightman's ``tf_efficientdet_<level>`` with random weights
    (initialised as the parity check does: O(1) activations); with ``ours``
    (our model of that level) the same weights are loaded into it through
    our converter."""
    from mmdet_efficientdet.converters import convert_effdet
    from mmdet_efficientdet.measure import Peer
    from reference.effdet_ref import create_reference_model, randomize_
    ref = create_reference_model(f'tf_efficientdet_{level}', image_size=image_size)
    randomize_(ref, 1)
    if ours is not None:
        state, _ = convert_effdet(ref.state_dict(), ours)
        ours.load_state_dict(state, strict=True)
    return Peer('effdet', ref.eval(), lambda batch, size: _train_step(ref, batch, size))


def _train_step(ref, batch: int, size: int):
    """One effdet ``DetBenchTrain`` SGD step on the batch ours trains on
    (boxes as yxyx, classes 1-based)."""
    import effdet

    from mmdet_efficientdet.measure import random_detection_batch
    x, boxes, labels = random_detection_batch(batch, size)
    bench = effdet.DetBenchTrain(ref, create_labeler=True).train()
    opt = torch.optim.SGD(bench.parameters(), lr=1e-4, momentum=0.9)
    target = dict(
        bbox=boxes[..., [1, 0, 3, 2]],
        cls=labels.float() + 1,
        img_scale=torch.ones(batch),
        img_size=torch.full((batch, 2), float(size)))

    def step():
        loss = bench(x, target)['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step
