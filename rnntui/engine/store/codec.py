"""Events to table rows and back, exactly: floats keep every bit.

SQLite stores NaN as NULL, so a float column read back as NULL is NaN again;
lists and dicts travel as JSON, whose floats round-trip (``repr``) and which
writes NaN and infinities as ``NaN`` / ``Infinity``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..events import Evaluation, ProbeResult, StepMetrics, TaskView


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def load(text: str) -> Any:
    return json.loads(text)


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def step_row(run_id: int, event: StepMetrics) -> tuple:
    return (run_id, event.step, event.epoch, event.loss, event.grad_norm, event.clipped_norm,
            event.steps_per_second)


def step_from(row: tuple) -> StepMetrics:
    step, epoch, loss, grad_norm, clipped_norm, rate = row
    return StepMetrics(step, _float(epoch), _float(loss), _float(grad_norm), _float(clipped_norm), _float(rate))


def evaluation_row(run_id: int, event: Evaluation) -> tuple:
    return (run_id, event.step, event.epoch, event.train_loss, event.val_loss, dump(event.metrics),
            None if event.success is None else int(event.success))


def evaluation_from(row: tuple) -> Evaluation:
    step, epoch, train_loss, val_loss, metrics, success = row
    return Evaluation(step, _float(epoch), _float(train_loss), _float(val_loss), load(metrics),
                      None if success is None else bool(success))


def probe_row(run_id: int, event: ProbeResult) -> tuple:
    return (run_id, event.step, event.grad_norm, event.clipped_norm, dump(event.layer_norms),
            dump(event.spectral_radius), event.reach, dump(event.grad_per_timestep),
            dump(event.cell_grad_per_timestep))


def probe_from(row: tuple) -> ProbeResult:
    step, grad_norm, clipped_norm, layer_norms, radius, reach, profile, cell_profile = row
    return ProbeResult(step=step, grad_per_timestep=tuple(load(profile)), grad_norm=_float(grad_norm),
                       clipped_norm=_float(clipped_norm), layer_norms=load(layer_norms),
                       spectral_radius=tuple(load(radius)), reach=reach,
                       cell_grad_per_timestep=tuple(load(cell_profile)))


def view_row(run_id: int, event: TaskView) -> tuple:
    return (run_id, event.kind, event.step, dump(event.x), dump(event.truth), dump(event.prediction))


def view_from(row: tuple) -> TaskView:
    kind, step, x, truth, prediction = row
    return TaskView(step, kind, tuple(load(x)), tuple(load(truth)), tuple(load(prediction)))
