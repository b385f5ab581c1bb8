"""A sweep's runs as :class:`RunRecord`: what the run store keeps of each one.

A sweep trains its runs as one batched computation and reports only their
final numbers, so each record holds one evaluation (the last) and no steps
or probes; its ``steps_per_epoch`` is 0 because the sweep does not say.
"""

from __future__ import annotations

from ..events import Evaluation, RunFinished, RunStarted
from ..record import RunRecord
from .events import SweepPointResult, SweepStarted


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
