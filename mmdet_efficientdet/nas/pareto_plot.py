"""The search's PNG: every scored sub-network, the Pareto front, the latency limit
and the parent network."""
from __future__ import annotations
import io
from typing import Dict, Sequence

from ..fileio import atomic_write
from ..utils.plotting import pyplot
from .evolution import Candidate


def plot_pareto(history: Sequence[Candidate], front: Sequence[Candidate], limit_ms: float,
                parents: Sequence[Dict], out_file: str) -> None:
    """mAP against the latency table's prediction (ms), one scale for every
    point: grey dots every scored sub-network, the front as a line, the
    search's latency limit as a vertical line, the parent network (e.g. Lite0) at
    each input size (direct measurements are in ``search.json``)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([c.latency for c in history], [c.accuracy for c in history],
               s=10,
               c='0.6',
               label='scored sub-networks')
    ax.plot([c.latency for c in front], [c.accuracy for c in front],
            'o-',
            c='C0',
            label='Pareto front')
    ax.axvline(limit_ms, ls='--', c='C3', label=f'limit {limit_ms:.1f} ms')
    for i, parent in enumerate(parents):
        ax.scatter([parent['predicted_ms']], [parent['mAP']],
                   marker='*',
                   s=120,
                   c=f'C{i + 1}',
                   label=f'parent at {parent["choice"]["image_size"]} px')
    ax.set_xlabel('latency (ms, latency table)')
    ax.set_ylabel('COCO mAP (supernet weights)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=120)
    plt.close(fig)
    atomic_write(out_file, buffer.getvalue())
