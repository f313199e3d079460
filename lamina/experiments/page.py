"""The comparison page: the table, the curves of every model overlaid (mean with a band over seeds)
and the parameters/accuracy scatter, in one self-contained HTML file (figures are base64 PNG)."""
from __future__ import annotations

import base64
import html
import io

import numpy as np

__all__ = ["html_page", "curves_figure", "scatter_figure"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9cfdb;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:10px 24px 40px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 20px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e6e8ee;padding:4px 9px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f0f2f6}
img{max-width:100%;height:auto;display:block;margin:6px 0}
ul{font-size:13px;color:#4b5468}
.wide{overflow-x:auto}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _band(histories, key):
    """Mean and std per epoch over the runs that reached that epoch."""
    series = [h[key] for h in histories if h.get(key)]
    if not series:
        return None
    n = max(len(s) for s in series)
    mean, std = np.full(n, np.nan), np.full(n, np.nan)
    for e in range(n):
        vals = [s[e] for s in series if len(s) > e]
        mean[e], std[e] = np.mean(vals), np.std(vals)
    return np.arange(1, n + 1), mean, std


def curves_figure(comparison):
    """Validation accuracy and training loss per epoch for every model: mean line, ±1 std band."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    colors = plt.get_cmap("tab10" if len(comparison.rows) <= 10 else "tab20")
    for i, row in enumerate(comparison.rows):
        hists = [r["history"] for r in comparison.runs if r["model"] == row["model"] and r.get("history")]
        for ax, key in zip(axes, ("val_accuracy", "loss")):
            band = _band(hists, key)
            if band is None:
                continue
            x, mean, std = band
            c = colors(i % colors.N)
            ax.plot(x, mean, color=c, lw=1.6, marker="o" if len(x) <= 3 else None, ms=4, label=row["model"])
            ax.fill_between(x, mean - std, mean + std, color=c, alpha=0.18, lw=0)
    axes[0].set_title("validation accuracy (mean ± std over seeds)")
    axes[1].set_title("training loss (mean ± std over seeds)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    axes[1].set_yscale("log")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def scatter_figure(comparison):
    """Test accuracy (mean ± std) against parameter count; published accuracies as open markers."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    colors = plt.get_cmap("tab10" if len(comparison.rows) <= 10 else "tab20")
    for i, row in enumerate(comparison.rows):
        c = colors(i % colors.N)
        ax.errorbar(row["params"], row["test_accuracy_mean"], yerr=row["test_accuracy_std"], fmt="o", color=c,
                    capsize=3, label=row["model"])
        if row["published"] is not None:
            ax.plot(row["params"], row["published"], marker="s", mfc="none", color=c, ls="none")
    if comparison.has_published:
        ax.plot([], [], marker="s", mfc="none", color="gray", ls="none", label="published")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy")
    ax.set_title("test accuracy against parameters")
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def html_page(comparison) -> str:
    """The whole page as a string."""
    import matplotlib.pyplot as plt

    header, rows = comparison.table()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    figs = []
    for make, alt in ((curves_figure, "learning curves"), (scatter_figure, "parameters against accuracy")):
        fig = make(comparison)
        figs.append(f'<img alt="{alt}" src="data:image/png;base64,{_png(fig)}">')
        plt.close(fig)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in comparison.describe())
    n_runs = len(comparison.runs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(comparison.title)}"
            f"</title><style>{_CSS}</style></head><body><header><h1>{html.escape(comparison.title)}</h1>"
            f"<p>{len(comparison.rows)} models, {n_runs} runs, written by lamina compare</p></header><main>"
            f"<section><h2>Table</h2><div class='wide'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table></div>"
            f"<ul>{notes}</ul></section>"
            f"<section><h2>Learning curves</h2>{figs[0]}</section>"
            f"<section><h2>Parameters and accuracy</h2>{figs[1]}</section></main></body></html>")
