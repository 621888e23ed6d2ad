"""One SGD training step on random detection data, for timing and memory."""
from __future__ import annotations
from typing import Callable, List, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor, nn

#: Boxes per image of the random batch.
NUM_BOXES = 8


def random_detection_batch(batch: int,
                           size: int,
                           num_classes: int = 80,
                           seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Images ``(B, 3, S, S)``, boxes ``(B, 8, 4)`` xyxy in pixels (16 to
    ~0.5 S wide) and labels ``(B, 8)`` in ``[0, num_classes)``, seeded."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, size, size, generator=gen)
    xy = torch.rand(batch, NUM_BOXES, 2, generator=gen) * size * 0.6
    wh = torch.rand(batch, NUM_BOXES, 2, generator=gen) * size * 0.35 + 16
    labels = torch.randint(0, num_classes, (batch, NUM_BOXES), generator=gen)
    return x, torch.cat([xy, xy + wh], -1), labels


def _samples(boxes: Tensor, labels: Tensor, size: int) -> List:
    samples = []
    for i in range(boxes.shape[0]):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size), pad_shape=(size, size), batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(bboxes=boxes[i], labels=labels[i])
        samples.append(sample)
    return samples


def train_step_fn(model: nn.Module, batch: int, size: int) -> Callable[[], None]:
    """A callable running one ``model.loss`` + backward + SGD step (lr 1e-4,
    momentum 0.9) on :func:`random_detection_batch` (labels in the model's
    classes); puts ``model`` in train mode."""
    x, boxes, labels = random_detection_batch(batch, size, model.bbox_head.num_classes)
    samples = _samples(boxes, labels, size)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        losses = model.loss(x, samples)
        loss = sum(v if not isinstance(v, list) else sum(v) for v in losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step
