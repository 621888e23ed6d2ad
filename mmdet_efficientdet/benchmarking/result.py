"""The benchmark's numbers, measured once, and the table printed from them."""
from __future__ import annotations
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional

#: Columns of the table: result key -> header.
COLUMNS = (('median_ms', 'lat ms'), ('p90_ms', 'p90 ms'), ('gflops', 'GFLOP/s'),
           ('img_per_s', 'img/s'), ('train_step_ms', 'train ms'), ('train_peak_mb',
                                                                   'peak MB'), ('mAP', 'mAP'))


@dataclass
class BenchmarkResult:
    """Everything :func:`~.run.run_benchmark` measured.

    Attributes:
        level (str): The level (``d0``, ``lite0`` ...).
        image_size (int): Square input.
        threads (int): Threads asked for (``torch_threads``: used).
        gmacs (float): Multiply-adds of one forward pass, G.
        batch, train_batch, memory_batch (int): Batch sizes of the
            throughput, train-step and peak-memory runs.
        diffs (dict): path -> max |class output - our eager model's|.
        float32_noise_floor (float): our eager float32 vs float64.
        results (dict): path -> ``median_ms``, ``p90_ms``, ``gflops``,
            ``img_per_s``, and where measured ``train_step_ms``,
            ``train_peak_mb``, ``mAP`` (x100).
        peer (str, optional): The peer's name (``effdet``).
        map_config, map_checkpoint (str, optional): What mAP was measured
            with.
    """
    level: str
    image_size: int
    threads: int
    torch_threads: int
    gmacs: float
    batch: int
    train_batch: int
    memory_batch: int
    diffs: Dict[str, float] = field(default_factory=dict)
    float32_noise_floor: float = 0.0
    results: Dict[str, Dict[str, float]] = field(default_factory=dict)
    peer: Optional[str] = None
    map_config: Optional[str] = None
    map_checkpoint: Optional[str] = None

    def to_dict(self) -> dict:
        return asdict(self)

    def ratios(self) -> Dict[str, float]:
        """ours / peer: eager and best latency, train step, peak memory."""
        base = self.results.get(f'{self.peer} eager') if self.peer else None
        if not base:
            return {}
        ours = self.results['ours eager']
        best = min(v['median_ms'] for k, v in self.results.items() if k.startswith('ours'))
        out = dict(
            eager_latency=ours['median_ms'] / base['median_ms'],
            best_latency=best / base['median_ms'])
        if 'train_step_ms' in base:
            out['train_step'] = ours['train_step_ms'] / base['train_step_ms']
        if 'train_peak_mb' in base:
            out['train_peak_memory'] = (ours['train_peak_mb'] / base['train_peak_mb'])
        return out

    def table(self) -> str:
        """The report the tool prints."""
        lines = [
            f'EfficientDet-{self.level.upper()} {self.image_size}x'
            f'{self.image_size}, float32, {self.threads} threads '
            f'({self.torch_threads} used), {self.gmacs:.2f} GMACs; '
            f'throughput batch {self.batch}, train batch {self.train_batch}, '
            f'memory batch {self.memory_batch}',
            'max |diff| of class outputs vs our eager model: ' +
            ', '.join(f'{name} {value:.1e}' for name, value in self.diffs.items()) +
            f'; float32 noise floor (eager vs float64) '
            f'{self.float32_noise_floor:.1e}'
        ]
        base = self.results.get(f'{self.peer} eager') if self.peer else None
        header = f'{"path":<28}' + ''.join(f'{c[1]:>11}' for c in COLUMNS)
        if base:
            header += f'{f"lat/{self.peer}":>12}'
        lines += [header, '-' * len(header)]
        for name, entry in self.results.items():
            row = f'{name:<28}' + ''.join(f'{entry[c[0]]:>11.1f}' if c[0] in entry else f'{"-":>11}'
                                          for c in COLUMNS)
            if base:
                row += f'{entry["median_ms"] / base["median_ms"]:>12.2f}'
            lines.append(row)
        ratios = self.ratios()
        if ratios:
            lines.append(f'ratios ours/{self.peer}: ' + ', '.join(f'{k.replace("_", " ")} {v:.2f}'
                                                                  for k, v in ratios.items()))
        if self.map_config:
            lines.append(f'mAP: bbox mAP x100 on the val set of '
                         f'{self.map_config} with {self.map_checkpoint} '
                         f'(paths rebuilt from it at the config\'s image '
                         f'size)')
        return '\n'.join(lines)
