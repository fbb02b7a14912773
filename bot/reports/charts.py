"""Charts admins can forward (PNG) or see in the web console (SVG, text drawn as paths so no font
or other request is needed): rates by unit (bar), score distribution (histogram) and rates over
time (line). Labels come from the caller (texts.py), so this module holds no text."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from bot.reports.fonts import use_cjk_font

MAX_BARS = 60


FORMATS = ("png", "svg")


def _png(fig, fmt: str = "png") -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    buffer = io.BytesIO()
    if fmt == "svg":  # no creation date: the same chart gives the same bytes
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    else:
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    from matplotlib import pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _percent_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="y", alpha=0.3)


def rates_by_unit(names: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
                  fmt: str = "png") -> bytes:
    """Grouped bars: one group per unit, one bar per rate (None is drawn as 0)."""
    use_cjk_font()
    from matplotlib import pyplot as plt

    names = list(names)[:MAX_BARS]
    count = len(names)
    fig, ax = plt.subplots(figsize=(min(16.0, max(6.0, 0.3 * count + 2)), 4.8))
    width = 0.8 / max(1, len(series))
    for k, (label, values) in enumerate(series.items()):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(count)]
        ax.bar(xs, [v or 0 for v in list(values)[:MAX_BARS]], width=width, label=label)
    ax.set_xticks(range(count))
    ax.set_xticklabels(names, rotation=45 if count > 6 else 0, ha="right" if count > 6 else "center", fontsize=8)
    _percent_axis(ax)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig, fmt)


def score_histogram(scores: Sequence[float], max_score: float, pass_mark: float, title: str,
                    xlabel: str, ylabel: str, pass_label: str, fmt: str = "png") -> bytes:
    use_cjk_font()
    import numpy as np
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    bins: int | Sequence[float] = np.linspace(0, max_score, 21).tolist() if max_score > 0 else 10
    ax.hist(np.asarray(scores, dtype=float), bins=bins, color="#4C72B0", edgecolor="white")
    ax.axvline(pass_mark, color="#C44E52", linestyle="--", label=pass_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig, fmt)


def rates_over_time(days: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
                    fmt: str = "png") -> bytes:
    use_cjk_font()
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    xs = range(len(days))
    for label, values in series.items():
        ax.plot(xs, [float("nan") if v is None else v for v in values], marker="o", markersize=3, label=label)
    step = max(1, len(days) // 8)
    ax.set_xticks(list(xs)[::step])
    ax.set_xticklabels(list(days)[::step], rotation=30, ha="right", fontsize=8)
    _percent_axis(ax)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig, fmt)
