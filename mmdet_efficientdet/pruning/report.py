"""Reporting pruning results: the sensitivity table as JSON, CSV and a PNG."""
from __future__ import annotations
import csv
import io
import json
from typing import Dict, List

from ..utils.plotting import pyplot
from .sensitivity import COLUMNS


def table_files(rows: List[dict], prefix: str) -> Dict[str, bytes]:
    """The contents of ``prefix.json``, ``prefix.csv`` and ``prefix.png``
    (mAP drop and saving against the ratio, one line per group); the caller
    writes them (:func:`~mmdet_efficientdet.fileio.write_outputs`)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return {
        prefix + '.json': json.dumps(rows, indent=1).encode(),
        prefix + '.csv': text.getvalue().encode(),
        prefix + '.png': _plot(rows)
    }


def _plot(rows: List[dict]) -> bytes:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(14, 6))
    by_group: Dict[str, List[dict]] = {}
    for row in rows[1:]:
        by_group.setdefault(row['group'], []).append(row)
    for name, group_rows in by_group.items():
        ratios = [0.0] + [r['ratio'] for r in group_rows]
        axes[0].plot(
            ratios, [0.0] + [100 * r['mAP_drop'] for r in group_rows], marker='o', label=name)
        key = 'latency_saved_ms' if rows[0]['latency_ms'] else 'gmacs_saved'
        axes[1].plot(ratios, [0.0] + [r[key] for r in group_rows], marker='o', label=name)
    axes[0].set(xlabel='pruning ratio', ylabel='mAP drop (points)', title='accuracy sensitivity')
    axes[1].set(
        xlabel='pruning ratio',
        ylabel='ONNX Runtime latency saved (ms)' if rows[0]['latency_ms'] else 'GMACs saved',
        title='measured saving')
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    plt.close(fig)
    return buffer.getvalue()
