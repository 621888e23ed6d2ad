"""Peak memory of training steps, each implementation in its own process.

``python -m mmdet_efficientdet.benchmarking.memory CONFIG LEVEL SIZE BATCH
THREADS [FACTORY]`` builds the model (and the peer, with a factory), runs two
training steps and prints the max RSS as JSON; :func:`peak_train_memory`
runs it and reads the number.
"""
from __future__ import annotations
import json
import os
import resource
import subprocess
import sys
from typing import Optional, Sequence


def peak_train_memory(config: str,
                      level: str,
                      size: int,
                      batch: int,
                      threads: int,
                      factory: Optional[str] = None,
                      extra_path: Sequence[str] = ()) -> float:
    """Max RSS (MB) of a fresh process after two training steps of ours
    (or, with ``factory``, of the peer it builds) at ``batch``."""
    cmd = [sys.executable, '-m', __name__, config, level,
           str(size),
           str(batch),
           str(threads)] + ([factory] if factory else [])
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    if extra_path:
        env['PYTHONPATH'] = os.pathsep.join(list(extra_path) + [env.get('PYTHONPATH', '')]).rstrip(
            os.pathsep)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f'memory worker failed: {out.stderr[-2000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])['peak_mb']


def _worker(argv: Sequence[str]) -> None:
    import torch

    from .coco_detector import build_coco_detector
    from .peer import load_factory
    from .train_step import train_step_fn
    config, level = argv[:2]
    size, batch, threads = map(int, argv[2:5])
    torch.set_num_threads(threads)
    ours = build_coco_detector(config)
    if len(argv) > 5:
        peer = load_factory(argv[5])(ours, level, size)
        del ours  # only the peer's training is measured in this process
        step = peer.train_step(batch, size)
    else:
        step = train_step_fn(ours, batch, size)
    for _ in range(2):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(peak_mb=peak / 1024)))


if __name__ == '__main__':
    _worker(sys.argv[1:])
