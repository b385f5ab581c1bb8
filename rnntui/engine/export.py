"""Tidy CSV export of a run: what ran is written somewhere, always.

``<name>.csv`` has one row per evaluation point and every config field as a
column, so many runs concatenate in pandas; ``<name>.timesteps.csv`` holds the
per-timestep gradient profile of every probe. The pair is written whole or
not at all, never over an existing file without ``force`` (see
:mod:`rnntui.engine.files`); when the requested place is unwritable the same
files go to the user's cache directory and the result says where.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import platformdirs

from .config import FIELDS
from .files import TargetRefused, write_files
from .record import RunRecord

RUN_COLUMNS = ("preset", "device_used", "status", "finished_step", "reason", "metric_name",
               "final_metric")
ROW_COLUMNS = ("step", "epoch", "train_loss", "val_loss", "metric", "success")
TIMESTEP_COLUMNS = ("step", "t", "grad_norm", "cell_grad_norm")
MAX_NAME_PART = 64


class ExportError(OSError):
    """Neither the requested path nor any fallback could be written."""


@dataclass(frozen=True)
class ExportResult:
    paths: tuple[Path, ...]        # run summary first, then the timestep profile
    fallback_used: bool
    message: str                   # one line for the user: where it went, and why if moved


def safe_name(name: str) -> str:
    """A preset name made safe as part of a file name: letters, digits, ``.``, ``_``, ``-``; at most 64."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:MAX_NAME_PART]
    return cleaned or "run"


def default_export_path(preset: str, run_id: int | None = None, directory: Path = Path("runs")) -> Path:
    """``runs/YYYYmmdd-HHMMSS-<preset>-<run id>.csv``: where a run goes when no place is named.

    The names sort by time, end with the store's run number (so ``runs/*[0-9].csv``
    matches the summaries and not the ``.timesteps.csv`` beside them), and the
    preset name is sanitised so it can never lead out of ``directory``.
    """
    suffix = "" if run_id is None else f"-{run_id}"
    return directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe_name(preset)}{suffix}.csv"


def fallback_dirs() -> list[Path]:
    """Where results go when the requested place cannot be written: the user's own cache, never a
    shared directory such as /tmp that another user could have prepared."""
    return [Path(platformdirs.user_cache_dir("rnntui")) / "runs"]


def timesteps_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.timesteps.csv")


def _cell(value: Any) -> Any:
    """CSV text for one value: empty for missing, exact repr for floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def summary_rows(record: RunRecord) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of the run summary (one row even before any evaluation)."""
    metric_names: list[str] = []
    for evaluation in record.evaluations:
        metric_names += [name for name in evaluation.metrics if name not in metric_names]
    metric_columns = [f"val_{name}" for name in metric_names]
    header = [*RUN_COLUMNS, *ROW_COLUMNS, *metric_columns, *FIELDS]
    run = {
        "preset": record.preset, "device_used": record.device, "status": record.status,
        "finished_step": record.finished_step, "reason": record.reason,
        "metric_name": record.metric_name, "final_metric": record.final_metric,
        **record.config.to_dict(),
    }
    epochs = record.steps_per_epoch > 0   # a stream of fresh batches (or a sweep's summary) has no epochs
    rows = [{**run, "step": e.step, "epoch": e.epoch if epochs else None, "train_loss": e.train_loss, "val_loss": e.val_loss,
             "metric": e.metrics.get(record.metric_name), "success": e.success,
             **{f"val_{name}": value for name, value in e.metrics.items()}}
            for e in record.evaluations]
    if not rows:
        last = record.steps[-1] if record.steps else None
        rows = [{**run, "step": record.last_step, "epoch": last.epoch if last and epochs else None,
                 "train_loss": last.loss if last else None}]
    return header, rows


def timestep_rows(record: RunRecord) -> list[dict[str, Any]]:
    return [{"step": probe.step, "t": t, "grad_norm": norm,
             "cell_grad_norm": probe.cell_grad_per_timestep[t - 1] if probe.cell_grad_per_timestep else None}
            for probe in record.probes for t, norm in enumerate(probe.grad_per_timestep, start=1)]


def render_csv(header: list[str] | tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """One file, replaced whole or not at all (see :func:`rnntui.engine.files.write_files`)."""
    write_files((Path(path),), (text,), force=True)


def choose_path(text: str | None, preset: str, run_id: int | None = None) -> Path:
    """The summary path for ``--csv TEXT``: none gives the default name in ``runs/``, a directory
    (an existing one, or any path ending in ``/``) the default name inside it, else the file itself."""
    if not text:
        return default_export_path(preset, run_id)
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or path.is_dir():
        return default_export_path(preset, run_id, path)
    return path


def write_with_fallback(paths: tuple[Path, ...], documents: list[str], *, force: bool = False,
                        protect: Iterable[Path] = ()) -> ExportResult:
    """Write the set at ``paths``, else under a fallback directory; :class:`ExportError` if nowhere."""
    protect = tuple(protect)
    try:
        write_files(paths, documents, force=force, protect=protect)
        return ExportResult(paths, False, f"wrote {paths[0]} and {paths[1].name}")
    except TargetRefused as exc:
        problem = f"cannot write {exc}"
    except OSError as exc:
        problem = f"cannot write {paths[0]}: {exc.strerror or exc}"
    for directory in fallback_dirs():
        moved = tuple(directory / path.name for path in paths)
        try:
            write_files(moved, documents, protect=protect)
        except (OSError, TargetRefused):
            continue
        return ExportResult(moved, True, f"{problem}; wrote {moved[0]} and {moved[1].name} instead")
    raise ExportError(f"{problem}; no fallback directory was writable either: nothing was written")


def export_run(record: RunRecord, path: Path, *, force: bool = False, protect: Iterable[Path] = ()) -> ExportResult:
    """Write the summary and timestep CSVs at ``path``, or at a fallback if that fails.

    A directory ``path`` gets ``<preset>.csv`` inside it. An existing file is
    replaced only with ``force``; ``protect`` names files never to replace (the
    preset file, the run store). Raises :class:`ExportError` only when no
    fallback could be written either.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / f"{safe_name(record.preset)}.csv"
    documents = [render_csv(*summary_rows(record)), render_csv(TIMESTEP_COLUMNS, timestep_rows(record))]
    return write_with_fallback((path, timesteps_path(path)), documents, force=force, protect=protect)
