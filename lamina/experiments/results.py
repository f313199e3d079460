"""The table of a comparison: one row per model, mean ± std over seeds; Markdown, CSV and HTML."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

__all__ = ["Comparison"]

# (key in a run record, column title, digits); accuracies and losses get mean ± std.
_STATS = (("epochs_run", "epochs", 1), ("best_epoch", "best epoch", 1), ("train_accuracy", "train acc", 4),
          ("val_accuracy", "val acc", 4), ("test_accuracy", "test acc", 4), ("test_loss", "test loss", 4),
          ("wall_seconds", "time/run (s)", 1))


def _mean_std(values):
    vals = np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(vals):
        return float("nan"), float("nan")
    return float(vals.mean()), float(vals.std(ddof=1)) if len(vals) > 1 else 0.0


class Comparison:
    """The runs of a comparison and their per-model summary.

    Attributes:
        rows: one dict per model: ``model``, ``params``, ``runs``, and for each
            statistic ``<key>_mean`` / ``<key>_std`` (std over seeds, ddof=1), plus
            ``published`` when the model has a published accuracy.
        runs: every run record (dicts), in table order.
        notes: lines shown under the table.
        wall_seconds: the wall time of this call (finished runs that were skipped cost nothing).
    """

    def __init__(self, candidates, row_runs, records, *, title, notes, wall_seconds, seeds, quick, epoch_budget):
        self.title, self.notes, self.wall_seconds = title, notes, wall_seconds
        self.seeds, self.quick, self.epoch_budget = seeds, quick, epoch_budget
        self.candidates = list(candidates)
        self.rows, self.runs = [], []
        for cand in self.candidates:
            recs = [dict(records[r], model=cand.name) for r in row_runs[cand.name]]  # runs can be shared
            self.runs.extend(recs)
            row = {"model": cand.name, "params": recs[0]["params"], "runs": len(recs),
                   "published": cand.published, "note": cand.note, "ensemble": cand.ensemble}
            for key, _, _ in _STATS:
                row[f"{key}_mean"], row[f"{key}_std"] = _mean_std([r.get(key) for r in recs])
            self.rows.append(row)

    @property
    def has_published(self) -> bool:
        return any(r["published"] is not None for r in self.rows)

    def table(self):
        """(header, rows of strings) of the summary table."""
        header = ["model", "parameters", "runs"] + [title for _, title, _ in _STATS]
        if self.has_published:
            header += ["published", "Δ points"]
        out = []
        for r in self.rows:
            cells = [r["model"], f"{r['params']:,}", str(r["runs"])]
            for key, _, digits in _STATS:
                m, s = r[f"{key}_mean"], r[f"{key}_std"]
                if not math.isfinite(m):
                    cells.append("-")
                elif r["runs"] > 1:
                    cells.append(f"{m:.{digits}f} ± {s:.{digits}f}")
                else:
                    cells.append(f"{m:.{digits}f}")
            if self.has_published:
                p = r["published"]
                cells += ["-", "-"] if p is None else [f"{p:.4f}", f"{(r['test_accuracy_mean'] - p) * 100:+.2f}"]
            out.append(cells)
        return header, out

    def to_markdown(self) -> str:
        """The table as GitHub Markdown, with the notes under it."""
        header, rows = self.table()
        esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        lines = [f"## {self.title}", "", "| " + " | ".join(header) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
        lines += ["", *[f"- {n}" for n in self.describe()]]
        return "\n".join(lines) + "\n"

    def describe(self) -> list[str]:
        """What the numbers are: seeds, data, budget, and the comparison's notes."""
        first = self.runs[0] if self.runs else {}
        lines = [f"mean ± std (ddof=1) over seeds {', '.join(map(str, self.seeds))}; "
                 f"{first.get('train_images', '?')} training / {first.get('val_images', '?')} validation / "
                 f"{first.get('test_images', '?')} test images"
                 + (" (--quick: 1 epoch on a subset, numbers are not meaningful)" if self.quick else "")
                 + (f"; epoch budget {self.epoch_budget}" if self.epoch_budget and not self.quick else "") + "."]
        lines += [f"{r['model']}: {r['note']}" for r in self.rows if r["note"]]
        return lines + list(self.notes)

    def to_csv(self) -> str:
        """One line per model: mean and std of every statistic in separate columns."""
        buf = io.StringIO()
        keys = ["model", "params", "runs"] + [f"{k}_{s}" for k, _, _ in _STATS for s in ("mean", "std")]
        keys += ["published"]
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in keys})
        return buf.getvalue()

    def runs_csv(self) -> str:
        """One line per run (its record without the per-epoch history)."""
        buf = io.StringIO()
        keys = ["model", "seed", "id", "kind", "params", "epochs_run", "epoch_limit", "best_epoch",
                "train_accuracy", "train_loss", "val_accuracy", "val_loss", "test_accuracy", "test_loss",
                "wall_seconds", "threads", "recipe"]
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in self.runs:
            w.writerow({k: r.get(k, "") for k in keys})
        return buf.getvalue()

    def write(self, out) -> dict:
        """Write table.md, table.csv, runs.csv and comparison.html into ``out``; returns their paths."""
        from .page import html_page

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"markdown": out / "table.md", "csv": out / "table.csv", "runs_csv": out / "runs.csv",
                 "html": out / "comparison.html"}
        paths["markdown"].write_text(self.to_markdown(), encoding="utf-8")
        paths["csv"].write_text(self.to_csv(), encoding="utf-8")
        paths["runs_csv"].write_text(self.runs_csv(), encoding="utf-8")
        paths["html"].write_text(html_page(self), encoding="utf-8")
        self.paths = paths
        return paths
