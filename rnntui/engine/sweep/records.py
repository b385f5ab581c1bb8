"""A sweep's runs in the run store, as they finish: what every sweep front end records.

A sweep trains its runs as one batched computation and reports only their
final numbers, so each record holds one evaluation (the last) and no steps
or probes; its ``steps_per_epoch`` is 0 because the sweep does not say.
:class:`SweepRecorder` stores them a batch per transaction, off the caller's thread.
"""

from __future__ import annotations

import time

from ..events import Evaluation, RunFinished, RunStarted
from ..record import RunRecord
from ..store import RunStore, StoreError
from .events import SweepPointResult, SweepStarted

BATCH_SECONDS = 1.0


def run_record(result: SweepPointResult, started: SweepStarted) -> RunRecord | None:
    """The stored form of one sweep run (None without its config)."""
    if result.config is None:
        return None
    record = RunRecord(result.config, preset=started.preset)
    record.apply(RunStarted(config=result.config, device=started.backend, total_steps=result.steps,
                            steps_per_epoch=0, metric_name=started.metric_name, metric_goal=started.metric_goal))
    if result.status == "finished" and result.train_loss is not None and result.val_loss is not None:
        record.apply(Evaluation(result.steps, float("nan"), result.train_loss, result.val_loss,
                                dict(result.metrics), result.success))
    reason = f"diverged at step {result.steps}" if result.status == "diverged" else ""
    record.apply(RunFinished(result.status, result.steps, reason))
    return record


class SweepRecorder:
    """Records a sweep's runs as they finish, about one transaction a second."""

    def __init__(self, store: RunStore, started: SweepStarted, source: str):
        self.store, self.started, self.source = store, started, source
        self.batch: list[RunRecord] = []
        self.pending: list = []
        self.last = time.monotonic()

    def add(self, result: SweepPointResult) -> None:
        record = run_record(result, self.started)
        if record is not None:
            self.batch.append(record)
        if time.monotonic() - self.last >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.pending.append(self.store.save(self.batch, self.source))
        self.batch, self.last = [], time.monotonic()

    def finish(self) -> list[int]:
        """Commit the rest; the stored ids. A failed write raises StoreError."""
        self.flush()
        try:
            return [run_id for future in self.pending for run_id in future.result()]
        except Exception as exc:
            raise StoreError(f"cannot record the sweep's runs in {self.store.path}: {exc}") from None
