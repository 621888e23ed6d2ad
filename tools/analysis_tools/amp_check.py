#!/usr/bin/env python
"""Training steps in fp32 against ``--amp`` (bf16 autocast on a BF16 CPU).

    python tools/analysis_tools/amp_check.py CONFIG [--steps 20] [--rounds 2]

Same weights and batches for both, runs alternated; prints the median step
time and the loss of each run. On a machine where ``--amp`` cannot run it
says why in one line.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import add_threads, positive_int


def main(argv=None) -> int:
    from mmdet_efficientdet.engine.amp import compare_amp_steps
    from mmdet_efficientdet.utils.cpu_isa import cpu_model, isa_summary
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--steps', type=positive_int, default=20)
    parser.add_argument('--rounds', type=positive_int, default=2)
    add_threads(parser)
    args = parser.parse_args(argv)
    result = compare_amp_steps(args.config, args.steps, args.rounds, args.threads)
    print(f'{cpu_model()} ({isa_summary()}), --amp selects {result["wrapper"]}, '
          f'{args.steps} steps')
    for key in ('fp32', 'amp'):
        for run in result[key]:
            print(f'{key:>4}: {run["step_s"]:.3f} s/step, loss first {run["first_loss"]:.4f}, '
                  f'last 5 mean {run["last5_loss"]:.4f}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
