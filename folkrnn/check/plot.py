"""The measure's distributions side by side as a PNG (matplotlib's Agg canvas, loaded only here)."""
from __future__ import annotations

import os
from pathlib import Path

from folkrnn.check.distributions import DISTRIBUTIONS, shares
from folkrnn.check.form import Summary


def plot_distributions(measured: Summary, test: Summary, path: str | Path,
                       names: tuple[str, str] = ("generated", "test split")) -> Path:
    """Each distribution of `measured` beside `test`'s, as bars of shares, written to `path`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 7), layout="constrained")
    FigureCanvasAgg(fig)
    for n, bins in enumerate(DISTRIBUTIONS):
        ax = fig.add_subplot(2, 2, n + 1)
        xs = range(len(bins.labels))
        for offset, (summary, name) in zip((-0.2, 0.2), ((measured, names[0]), (test, names[1]))):
            ys = list(shares(summary.histograms[bins.name]).values())
            ax.bar([x + offset for x in xs], ys, width=0.4, label=f"{name} ({summary.tunes} tunes)")
        ax.set_xticks(list(xs), bins.labels, fontsize=7, rotation=90 if len(xs) > 13 else 0)
        ax.set(title=bins.title, ylabel="share")
        ax.legend(fontsize=8)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)
    return path
