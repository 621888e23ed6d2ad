"""The benchmark's numbers, measured once, and the table printed from them."""
from __future__ import annotations
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

#: Columns of the table: result key -> header.
COLUMNS = (('median_ms', 'lat ms'), ('p90_ms', 'p90 ms'), ('gflops', 'GFLOP/s'),
           ('peak_share', '% peak'), ('img_per_s', 'img/s'), ('train_step_ms', 'train ms'),
           ('train_peak_mb', 'peak MB'), ('mAP', 'mAP'))


@dataclass
class BenchmarkResult:
    """Everything :func:`~.run.run_benchmark` measured.

    Attributes:
        subject (str): The model (a level name, or its config's stem).
        checkpoint (str, optional): Its weights (None: random).
        image_size (list[int]): ``[H, W]`` input.
        threads (int): Threads asked for (``torch_threads``: used).
        gmacs (float): Multiply-adds of one forward pass, G.
        batch, train_batch, memory_batch (int): Batch sizes of the
            throughput, train-step and peak-memory runs.
        diffs (dict): path -> max |class output - our eager model's|.
        float32_noise_floor (float): our eager float32 vs float64.
        results (dict): path -> ``median_ms``, ``p90_ms``, ``gflops``,
            ``img_per_s``, and where measured ``peak_share`` (% of the
            attainable peak of its runtime), ``train_step_ms``,
            ``train_peak_mb``, ``mAP`` (x100).
        peer (str, optional): The peer's name (``effdet``), its level and
            input size (``peer_level``, ``peer_image_size``).
        peak (dict, optional): The attainable peak
            (:class:`~mmdet_efficientdet.measure.peak.Peak` fields).
        map_config, map_checkpoint (str, optional): What mAP was measured
            with.
    """
    subject: str
    image_size: List[int]
    threads: int
    torch_threads: int
    gmacs: float
    batch: int
    train_batch: int
    memory_batch: Optional[int]
    checkpoint: Optional[str] = None
    diffs: Dict[str, float] = field(default_factory=dict)
    float32_noise_floor: float = 0.0
    results: Dict[str, Dict[str, float]] = field(default_factory=dict)
    peer: Optional[str] = None
    peer_level: Optional[str] = None
    peer_image_size: Optional[int] = None
    peak: Optional[dict] = None
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
        if 'train_step_ms' in base and 'train_step_ms' in ours:
            out['train_step'] = ours['train_step_ms'] / base['train_step_ms']
        if 'train_peak_mb' in base and 'train_peak_mb' in ours:
            out['train_peak_memory'] = (ours['train_peak_mb'] / base['train_peak_mb'])
        return out

    def _header(self) -> List[str]:
        height, width = self.image_size
        what = self.subject if self.checkpoint is None else f'{self.subject} ({self.checkpoint})'
        lines = [
            f'{what} {height}x{width}, float32, {self.threads} threads '
            f'({self.torch_threads} used), {self.gmacs:.2f} GMACs; '
            f'throughput batch {self.batch}, train batch {self.train_batch}, '
            f'memory batch {self.memory_batch or "-"}',
            'max |diff| of class outputs vs our eager model: ' +
            ', '.join(f'{name} {value:.1e}' for name, value in self.diffs.items()) +
            f'; float32 noise floor (eager vs float64) '
            f'{self.float32_noise_floor:.1e}'
        ]
        if self.peer:
            lines.append(f'peer: {self.peer} tf_efficientdet_{self.peer_level} at '
                         f'{self.peer_image_size}x{self.peer_image_size}')
        if self.peak:
            lines.append('attainable peak (a {}x{}x{} matmul, GFLOP/s; int8: GOP/s): '.format(
                *self.peak['gemm']) + ', '.join(f'{k} {v:.0f}'
                                                for k, v in self.peak['gflops'].items()) +
                         f'; copy {self.peak["copy_gb_s"]:.1f} GB/s')
        return lines

    def table(self) -> str:
        """The report the tool prints."""
        lines = self._header()
        base = self.results.get(f'{self.peer} eager') if self.peer else None
        header = f'{"path":<28}' + ''.join(f'{c[1]:>10}' for c in COLUMNS)
        if base:
            header += f'{f"lat/{self.peer}":>12}'
        lines += [header, '-' * len(header)]
        for name, entry in self.results.items():
            row = f'{name:<28}' + ''.join(f'{entry[c[0]]:>10.1f}' if c[0] in entry else f'{"-":>10}'
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
