"""The tables ``tools/dev/parity.py`` and ``tools/dev/train_parity.py`` print:
our EfficientDet against effdet, level by level, with the pass limits."""
from __future__ import annotations
import glob
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .effdet_ref import REPO, compare, train_parity

#: Inference parity limits: raw outputs 1e-4, matched boxes 1e-2 px, scores
#: 1e-4, no label mismatch.
OUTPUT_LIMITS = dict(cls=1e-4, box=1e-4, det_box=1e-2, det_score=1e-4, label_mismatch=0)
#: Training parity limits: losses 1e-5, gradients 1e-4, updated weights 1e-5.
TRAIN_LIMITS = dict(
    target_mismatch=0, box_target=1e-5, cls_loss=1e-5, box_loss=1e-5, grad=1e-4, step=1e-5)
OUTPUT_HEADER = (f'{"model":<22}{"input":>6}{"params":>12}{"max|cls|":>11}'
                 f'{"max|box|":>11}{"rel":>9}{"dets":>6}{"box px":>10}{"score":>10}'
                 f'{"unmatched":>10}{"flips":>6}{"time s":>8}')
TRAIN_HEADER = (f'{"config":<16}{"effdet":<20}{"anchor px":>10}{"targets":>8}'
                f'{"pos":>5}{"box tgt":>9}{"cls loss":>9}{"box loss":>9}'
                f'{"grad":>9}{"step":>9}{"update":>9}{"s":>6}')
LEVELS = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x']
PORTED = ['efficientdet_d0', 'efficientdet_d1']


@dataclass
class ParityTable:
    """Rows of one parity run.

    Attributes:
        header (str): The column line.
        rows (list[dict]): One result dict per model (with ``name``,
            ``seconds`` and ``failed``: the limits it breaks).
        lines (list[str]): The formatted rows.
    """
    header: str
    rows: List[Dict] = field(default_factory=list)
    lines: List[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r['failed'] for r in self.rows)


def _over(result: Dict, limits: Dict[str, float]) -> List[str]:
    return [key for key, limit in limits.items() if result[key] > limit]


def output_parity(names: Sequence[str],
                  image_size: Optional[int] = None,
                  log: Callable[[str], None] = print) -> ParityTable:
    """Inference parity (:func:`~reference.effdet_ref.compare`) of effdet
    models ``names`` with our converted model; each row logged when done."""
    table = ParityTable(OUTPUT_HEADER)
    for name in names:
        start = time.time()
        r = dict(compare(name, image_size), name=name)
        r['seconds'], r['failed'] = time.time() - start, _over(r, OUTPUT_LIMITS)
        table.rows.append(r)
        table.lines.append(f'{name:<22}{r["image_size"]:>6}{r["params"]:>12,}'
                           f'{r["cls"]:>11.2e}{r["box"]:>11.2e}'
                           f'{r["cls"] / r["cls_scale"]:>9.1e}{r["num_det"]:>6}'
                           f'{r["det_box"]:>10.2e}{r["det_score"]:>10.2e}'
                           f'{r["label_mismatch"]:>10}{r["tie_flips"]:>6}'
                           f'{r["seconds"]:>8.1f}' + ('  FAIL' if r['failed'] else ''))
        log(table.lines[-1])
    return table


def train_cases(names: Sequence[str]) -> Iterator[Tuple[str, str, str]]:
    """``(name, our config, effdet model)`` of each level or ported model."""
    for name in names:
        if name in PORTED:
            yield name, osp.join(REPO, 'configs', 'efficientdet', 'ported', f'{name}_coco.py'), name
        else:
            found = glob.glob(
                osp.join(REPO, 'configs', 'efficientdet', f'efficientdet_{name}_8xb16-*e_coco.py'))
            yield name, found[0], f'tf_efficientdet_{name}'


def training_parity(names: Sequence[str],
                    image_size: int = 256,
                    log: Callable[[str], None] = print) -> ParityTable:
    """Training-step parity (:func:`~reference.effdet_ref.train_parity`, float64)
    of each level; each row logged when done."""
    table = ParityTable(TRAIN_HEADER)
    for name, config, ref in train_cases(names):
        start = time.time()
        r = dict(train_parity(config, ref, image_size=image_size), name=name)
        r['seconds'], r['failed'] = time.time() - start, _over(r, TRAIN_LIMITS)
        table.rows.append(r)
        table.lines.append(f'{name:<16}{ref:<20}{r["anchors"]:>10.1e}'
                           f'{r["target_mismatch"]:>8}{r["positives"]:>5}'
                           f'{r["box_target"]:>9.1e}{r["cls_loss"]:>9.1e}'
                           f'{r["box_loss"]:>9.1e}{r["grad"]:>9.1e}{r["step"]:>9.1e}'
                           f'{r["update"]:>9.1e}{r["seconds"]:>6.0f}' +
                           (f'  FAIL {r["failed"]}' if r['failed'] else ''))
        log(table.lines[-1])
    return table
