"""Sweep CSVs: one row per run (final metrics and every config field), and the curve beside it.

``<name>.csv`` concatenates with the run CSVs in pandas (same config columns);
``<name>.curve.csv`` holds mean ± std and the success fraction per (cell,
value). Both are written atomically, to a fallback directory if need be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..config import FIELDS
from ..export import ExportResult, render_csv, safe_name, write_with_fallback
from .populations import CurvePoint, aggregate
from .events import SweepPointResult

RUN_COLUMNS = ("preset", "cell", "field", "value", "repeat", "seed", "status", "steps", "train_loss", "val_loss")
CURVE_COLUMNS = ("preset", "cell", "field", "value", "runs", "diverged")


def curve_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.curve.csv")


def run_rows(results: list[SweepPointResult], preset: str, field: str) -> tuple[list[str], list[dict]]:
    metrics = list(dict.fromkeys(name for r in results for name in r.metrics))
    config_columns = [name for name in FIELDS if name not in RUN_COLUMNS]
    header = [*RUN_COLUMNS, *(f"val_{name}" for name in metrics), "success", *config_columns]
    rows = [{**{name: value for name, value in (r.config.to_dict() if r.config else {}).items()
                if name in config_columns},
             "preset": preset, "cell": r.cell, "field": field, "value": r.value, "repeat": r.repeat,
             "seed": r.seed, "status": r.status, "steps": r.steps, "train_loss": r.train_loss,
             "val_loss": r.val_loss, "success": r.success,
             **{f"val_{name}": value for name, value in r.metrics.items()}}
            for r in results]
    return header, rows


def curve_rows(points: list[CurvePoint], preset: str, field: str, metric: str) -> tuple[list[str], list[dict]]:
    header = [*CURVE_COLUMNS, f"mean_{metric}", f"std_{metric}", "success_fraction"]
    rows = [{"preset": preset, "cell": p.cell, "field": field, "value": p.value, "runs": p.runs,
             "diverged": p.diverged, f"mean_{metric}": p.mean, f"std_{metric}": p.std,
             "success_fraction": p.success_fraction} for p in points]
    return header, rows


def export_sweep(results: list[SweepPointResult], path: Path, *, preset: str, field: str,
                 metric: str, force: bool = False, protect: Iterable[Path] = ()) -> ExportResult:
    """Write both CSVs at ``path`` (a directory gets ``<preset>-sweep.csv``), or at a fallback."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / f"{safe_name(preset)}-sweep.csv"
    documents = [render_csv(*run_rows(results, preset, field)),
                 render_csv(*curve_rows(aggregate(results, metric), preset, field, metric))]
    return write_with_fallback((path, curve_path(path)), documents, force=force, protect=protect)
