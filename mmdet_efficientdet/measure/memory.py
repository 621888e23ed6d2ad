"""Peak memory of training steps, each implementation in its own process.

``python -m mmdet_efficientdet.measure.memory CONFIG SIZE BATCH THREADS
COCO [FACTORY LEVEL]`` builds the model of CONFIG (COCO's 90 classes when
COCO is 1, else the config's own), or with a factory only the peer of LEVEL,
runs two training steps and prints the max RSS as JSON;
:func:`peak_train_memory` runs it and reads the number.
"""
from __future__ import annotations
import json
import os
import resource
import subprocess
import sys
from typing import Sequence

import torch

from ..models.trained import load_trained
from .coco_detector import build_coco_detector
from .peer import load_factory
from .train_step import train_step_fn


def peak_train_memory(config: str,
                      size: int,
                      batch: int,
                      threads: int,
                      peer: Sequence[str] = (),
                      coco: bool = True,
                      extra_path: Sequence[str] = ()) -> float:
    """Max RSS (MB) of a fresh process after two training steps at ``batch``
    of the model of ``config`` (``coco``: with 90 classes), or, with ``peer``
    ``(factory, level)``, of the peer alone."""
    args = [config, str(size), str(batch), str(threads), str(int(coco))]
    cmd = [sys.executable, '-m', __name__, *args, *peer]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    if extra_path:
        env['PYTHONPATH'] = os.pathsep.join(list(extra_path) + [env.get('PYTHONPATH', '')]).rstrip(
            os.pathsep)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f'memory worker failed: {out.stderr[-2000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])['peak_mb']


def _worker(argv: Sequence[str]) -> None:

    config = argv[0]
    size, batch, threads, coco = map(int, argv[1:5])
    torch.set_num_threads(threads)
    if len(argv) > 5:
        step = load_factory(argv[5])(None, argv[6], size).train_step(batch, size)
    elif coco:
        step = train_step_fn(build_coco_detector(config), batch, size)
    else:
        step = train_step_fn(load_trained(config, None)[1], batch, size)
    for _ in range(2):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(peak_mb=peak / 1024)))


if __name__ == '__main__':
    _worker(sys.argv[1:])
