"""The run store's front door: record runs as they train, list, load and delete them.

Reads go through one connection (under a lock, so the TUI's workers can
share it); writes go through the :class:`~.writer.Writer` thread. Opening a
store marks the runs whose owning process is gone as ``interrupted``.
"""

from __future__ import annotations

import platform
import sqlite3
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Iterable, Sequence

from ..config import FIELDS, RunConfig, build_config
from ..events import Evaluation, Event, ProbeResult, RunFinished, RunStarted, StepMetrics, TaskView
from ..record import RunRecord
from . import codec
from .liveness import Owner, is_alive, this_process
from .location import default_store_path
from .schema import StoreError, connect, migrate
from .writer import Writer

META_FIELDS = ("total_steps", "steps_per_epoch", "metric_name", "metric_goal", "baseline", "success_rule",
               "output_at")
SUMMARY_COLUMNS = ("id, preset, source, status, reason, finished_step, last_step, total_steps, metric_name, "
                   "final_metric, device, seed, created_at, json_extract(config, '$.task'), "
                   "json_extract(config, '$.cell'), json_extract(config, '$.seq_len'), "
                   "json_extract(config, '$.clip')")
ENDED = ("finished", "diverged", "stopped", "interrupted")


@dataclass(frozen=True)
class RunSummary:
    """One line of ``rnntui runs list`` and of the Runs tab: no per-step data."""

    id: int
    preset: str
    source: str
    status: str
    reason: str
    finished_step: int | None
    last_step: int
    total_steps: int
    metric_name: str
    final_metric: float | None
    device: str
    seed: int
    created_at: float
    task: str
    cell: str
    seq_len: int
    clip: str

    @property
    def reached_step(self) -> int:
        """Where the run got to (see :attr:`RunRecord.reached_step`)."""
        return self.finished_step if self.status in ENDED and self.finished_step is not None else self.last_step


@dataclass(frozen=True)
class RunFilter:
    preset: str | None = None
    status: str | None = None
    since: float | None = None      # a Unix time: runs started at or after it

    def where(self) -> tuple[str, tuple]:
        clauses, values = [], []
        for clause, value in (("preset = ?", self.preset), ("status = ?", self.status),
                              ("created_at >= ?", self.since)):
            if value is not None:
                clauses.append(clause)
                values.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(values)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def environment() -> dict[str, str]:
    return {"rnntui": _version("rnntui"), "torch": _version("torch"), "python": platform.python_version()}


class RunStore:
    """One SQLite store (default: :func:`default_store_path`)."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        self._connection = connect(self.path)
        migrate(self._connection, self.path)
        self._lock = threading.Lock()
        self._writer: Writer | None = None
        self.interrupted: tuple[int, ...] = self._mark_interrupted()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Commit what was submitted, then close."""
        if self._writer is not None:
            self._writer.close()
        self._connection.close()

    def submit(self, job) -> Future:
        """Run ``job(connection)`` as one transaction on the writer thread."""
        with self._lock:
            if self._writer is None:
                self._writer = Writer(self.path)
        return self._writer.submit(job)

    def _read(self, sql: str, values: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._connection.execute(sql, values).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the run store {self.path}: {exc}") from None

    # -- recording -------------------------------------------------------------------------------

    def recorder(self, preset: str, source: str) -> "Recorder":
        """A recorder for one run; feed it every event of the run."""
        return Recorder(self, preset, source)

    def save(self, records: Sequence[RunRecord], source: str) -> Future:
        """Store whole runs (a sweep's finished runs) in one transaction; the future gives their ids."""
        owner = this_process()

        def job(connection: sqlite3.Connection) -> list[int]:
            ids = []
            for record in records:
                run_id = _insert_run(connection, record, source, owner)
                _write_history(connection, run_id, record.steps, record.evaluations, record.probes,
                               list(record.views.values()))
                _update_run(connection, run_id, record.last_step, record.final_metric,
                            RunFinished(record.status, record.reached_step, record.reason)
                            if record.ended else None)
                ids.append(run_id)
            return ids

        return self.submit(job)

    # -- reading ---------------------------------------------------------------------------------

    def count(self, where: RunFilter = RunFilter()) -> int:
        clause, values = where.where()
        return self._read(f"SELECT count(*) FROM runs{clause}", values)[0][0]

    def page(self, where: RunFilter = RunFilter(), limit: int = 100, offset: int = 0) -> list[RunSummary]:
        """Newest first."""
        clause, values = where.where()
        rows = self._read(f"SELECT {SUMMARY_COLUMNS} FROM runs{clause} ORDER BY id DESC LIMIT ? OFFSET ?",
                          (*values, limit, offset))
        return [RunSummary(*row) for row in rows]

    def summary(self, run_id: int) -> RunSummary:
        rows = self._read(f"SELECT {SUMMARY_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise KeyError(run_id)
        return RunSummary(*rows[0])

    def environment(self, run_id: int) -> dict:
        rows = self._read("SELECT env, host, pid FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise KeyError(run_id)
        env, host, pid = rows[0]
        return {**codec.load(env), "host": host, "pid": pid}

    def load(self, run_id: int) -> RunRecord:
        """The whole run as a :class:`RunRecord`, as the front ends and the CSV export read it."""
        rows = self._read("SELECT preset, config, meta, device, status, reason, finished_step FROM runs "
                          "WHERE id = ?", (run_id,))
        if not rows:
            raise KeyError(run_id)
        preset, config, meta, device, status, reason, finished_step = rows[0]
        stored = codec.load(config)
        record = RunRecord(build_config({k: v for k, v in stored.items() if k in FIELDS}), preset=preset,
                           device=device, status=status, reason=reason, finished_step=finished_step,
                           **{k: v for k, v in codec.load(meta).items() if k in META_FIELDS})
        record.steps = [codec.step_from(row) for row in self._read(
            "SELECT step, epoch, loss, grad_norm, clipped_norm, rate FROM steps WHERE run_id = ? ORDER BY step",
            (run_id,))]
        record.evaluations = [codec.evaluation_from(row) for row in self._read(
            "SELECT step, epoch, train_loss, val_loss, metrics, success FROM rows WHERE run_id = ? "
            "ORDER BY step", (run_id,))]
        record.probes = [codec.probe_from(row) for row in self._read(
            "SELECT step, grad_norm, clipped_norm, layer_norms, spectral_radius, reach, profile, cell_profile "
            "FROM probes WHERE run_id = ? ORDER BY step", (run_id,))]
        record.views = {view.kind: view for view in map(codec.view_from, self._read(
            "SELECT kind, step, x, truth, prediction FROM views WHERE run_id = ?", (run_id,)))}
        return record

    # -- deleting and repairing ------------------------------------------------------------------

    def still_training(self, run_id: int) -> bool:
        rows = self._read("SELECT status, host, boot_id, pid, process_start FROM runs WHERE id = ?", (run_id,))
        return bool(rows) and rows[0][0] == "running" and is_alive(Owner(*rows[0][1:])) is not False

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)

        def job(connection: sqlite3.Connection) -> None:
            for table in ("steps", "rows", "probes", "views"):
                connection.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(i,) for i in ids])
            connection.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in ids])

        self.submit(job).result()

    def _mark_interrupted(self) -> tuple[int, ...]:
        """Runs left ``running`` by a process that is gone (killed, machine rebooted)."""
        rows = self._read("SELECT id, host, boot_id, pid, process_start FROM runs WHERE status = 'running'")
        gone = [row[0] for row in rows if is_alive(Owner(*row[1:])) is False]
        if gone:
            def job(connection: sqlite3.Connection) -> None:
                connection.executemany(
                    "UPDATE runs SET status = 'interrupted', reason = 'interrupted: its process ended "
                    "without finishing (killed or lost power); kept up to step ' || last_step, "
                    "updated_at = ? WHERE id = ? AND status = 'running'", [(time.time(), i) for i in gone])

            self.submit(job).result()
        return tuple(gone)


class Recorder:
    """Feeds one run's events to the store without making training wait.

    The run gets its id at ``RunStarted``; steps are buffered and written with
    the next evaluation, probe or the end, one transaction each.
    """

    def __init__(self, store: RunStore, preset: str, source: str):
        self.store = store
        self.preset = preset
        self.source = source
        self.run_id: int | None = None
        self._record: RunRecord | None = None
        self._steps: list[StepMetrics] = []
        self._views: list[TaskView] = []
        self._pending: list[Future] = []

    def begin(self, config: RunConfig) -> int:
        """Store the run now, before its first event (a front end that shows the id at once); its
        device and sizes follow with ``RunStarted``."""
        record, owner = RunRecord(config, preset=self.preset), this_process()
        self._record = record
        self.run_id = self.store.submit(lambda connection: _insert_run(connection, record, self.source,
                                                                        owner)).result()
        return self.run_id

    def apply(self, event: Event) -> None:
        match event:
            case RunStarted():
                self._record = RunRecord(event.config, preset=self.preset)
                self._record.apply(event)
                record, owner = self._record, this_process()
                if self.run_id is None:
                    self.run_id = self.store.submit(
                        lambda connection: _insert_run(connection, record, self.source, owner)).result()
                else:
                    run_id = self.run_id
                    self._pending.append(self.store.submit(lambda connection: _started(connection, run_id, record)))
            case StepMetrics():
                self._steps.append(event)
            case TaskView():
                self._views.append(event)
            case Evaluation():
                self._flush(evaluation=event)
            case ProbeResult():
                self._flush(probe=event)
            case RunFinished():
                self._flush(finish=event)

    def wait(self) -> None:
        """Block until everything given so far is committed; a failed write raises StoreError."""
        pending, self._pending = self._pending, []
        for future in pending:
            try:
                future.result()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write run {self.run_id} to {self.store.path}: {exc}") from None

    def _flush(self, evaluation: Evaluation | None = None, probe: ProbeResult | None = None,
               finish: RunFinished | None = None) -> None:
        if self.run_id is None:
            return
        run_id, steps, views = self.run_id, self._steps, self._views
        self._steps, self._views = [], []
        if evaluation is not None:
            self._record.evaluations = [evaluation]   # final_metric is all the summary needs
        if steps:
            self._record.steps = steps[-1:]   # last_step is all the summary needs
        last_step, final_metric = self._record.last_step, self._record.final_metric

        def job(connection: sqlite3.Connection) -> None:
            _write_history(connection, run_id, steps, [evaluation] if evaluation else [],
                           [probe] if probe else [], views)
            _update_run(connection, run_id, last_step, final_metric, finish)

        self._pending = [f for f in self._pending if not f.done() or f.exception() is not None]
        self._pending.append(self.store.submit(job))


def _insert_run(connection: sqlite3.Connection, record: RunRecord, source: str, owner: Owner) -> int:
    now = time.time()
    meta = {name: getattr(record, name) for name in META_FIELDS}
    cursor = connection.execute(
        "INSERT INTO runs (preset, source, config, seed, meta, env, device, host, boot_id, pid, process_start, "
        "status, total_steps, metric_name, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (record.preset, source, codec.dump(record.config.to_dict()), record.config.seed, codec.dump(meta),
         codec.dump(environment()), record.device, owner.host, owner.boot_id, owner.pid, owner.process_start,
         "running", record.total_steps, record.metric_name, now, now))
    return cursor.lastrowid


def _started(connection: sqlite3.Connection, run_id: int, record: RunRecord) -> None:
    """What ``RunStarted`` says, for a run stored before it (:meth:`Recorder.begin`)."""
    meta = {name: getattr(record, name) for name in META_FIELDS}
    connection.execute("UPDATE runs SET meta = ?, device = ?, total_steps = ?, metric_name = ?, updated_at = ? "
                       "WHERE id = ?", (codec.dump(meta), record.device, record.total_steps, record.metric_name,
                                        time.time(), run_id))


def _write_history(connection: sqlite3.Connection, run_id: int, steps: list[StepMetrics],
                   evaluations: list[Evaluation], probes: list[ProbeResult], views: list[TaskView]) -> None:
    connection.executemany("INSERT OR REPLACE INTO steps VALUES (?,?,?,?,?,?,?)",
                           [codec.step_row(run_id, e) for e in steps])
    connection.executemany("INSERT OR REPLACE INTO rows VALUES (?,?,?,?,?,?,?)",
                           [codec.evaluation_row(run_id, e) for e in evaluations])
    connection.executemany("INSERT OR REPLACE INTO probes VALUES (?,?,?,?,?,?,?,?,?)",
                           [codec.probe_row(run_id, e) for e in probes])
    connection.executemany("INSERT OR REPLACE INTO views VALUES (?,?,?,?,?,?)",
                           [codec.view_row(run_id, e) for e in views])


def _update_run(connection: sqlite3.Connection, run_id: int, last_step: int, final_metric: float | None,
                finish: RunFinished | None) -> None:
    connection.execute("UPDATE runs SET last_step = max(last_step, ?), final_metric = coalesce(?, final_metric), "
                       "updated_at = ? WHERE id = ?", (last_step, final_metric, time.time(), run_id))
    if finish is not None:
        connection.execute("UPDATE runs SET status = ?, reason = ?, finished_step = ? WHERE id = ?",
                           (finish.status, finish.reason, finish.step, run_id))
