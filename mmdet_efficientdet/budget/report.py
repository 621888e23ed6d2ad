"""The budget search's table (JSON, CSV) and plot of cost against phi."""
from __future__ import annotations
import csv
import io
import json
from typing import Dict, List

from ..utils.plotting import pyplot

#: Columns of the table.
COLUMNS = ('family', 'name', 'phi', 'image_size', 'cost', 'within_budget', 'coco_ap_val',
           'coco_ap_val_int8', 'chosen')


def table_rows(result) -> List[dict]:
    """One row per measured candidate (``result``: a BudgetResult)."""
    rows = []
    for search in result.families:
        by_name = {c.name: c for c in result.candidates if c.family == search.family}
        for name, cost in sorted(search.measured.items(), key=lambda kv: by_name[kv[0]].order):
            cand = by_name[name]
            rows.append(
                dict(
                    family=cand.family,
                    name=name,
                    phi=cand.order,
                    image_size=cand.image_size,
                    cost=cost,
                    within_budget=cost <= result.budget,
                    coco_ap_val=cand.coco_ap_val,
                    coco_ap_val_int8=cand.coco_ap_val_int8,
                    chosen=result.chosen is not None and name == result.chosen.name))
    return rows


def budget_files(result, prefix: str) -> Dict[str, bytes]:
    """``prefix.json`` (every number of the result), ``prefix.csv`` and
    ``prefix.png``; the caller writes them."""
    rows = table_rows(result)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    summary = result.to_dict()
    summary['rows'] = rows
    return {
        prefix + '.json': (json.dumps(summary, indent=1) + '\n').encode(),
        prefix + '.csv': text.getvalue().encode(),
        prefix + '.png': _plot(result, rows)
    }


def _plot(result, rows: List[dict]) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for family in dict.fromkeys(r['family'] for r in rows):
        pts = [r for r in rows if r['family'] == family]
        ax.plot([r['phi'] for r in pts], [r['cost'] for r in pts],
                marker='o',
                label=f'{family} (measured)')
        for r in pts:
            label = r['name'] + (f'\nAP {r["coco_ap_val"]}' if r['coco_ap_val'] else '')
            ax.annotate(
                label, (r['phi'], r['cost']), fontsize=7, textcoords='offset points', xytext=(4, 4))
    ax.axhline(
        result.budget, color='red', linestyle='--', label=f'budget {result.budget:g} {result.unit}')
    if result.chosen is not None:
        ax.plot([result.chosen.order], [result.chosen_cost],
                marker='*',
                markersize=16,
                color='gold',
                markeredgecolor='black',
                linestyle='none',
                label=f'chosen: {result.chosen.name}')
    ax.set(
        xlabel='compound coefficient phi (D7x, Lite3x: +0.5)',
        ylabel=f'{result.metric} ({result.unit})' +
        (f', {result.inference_path}' if result.inference_path else ''),
        title='Scale to a budget: measured cost of the candidates')
    ax.set_yscale('log')
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    plt.close(fig)
    return buffer.getvalue()
