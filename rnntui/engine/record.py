"""A run's history, rebuilt from its events: what export and the UI read."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import RunConfig
from .events import (Evaluation, Event, ProbeResult, RunFinished, RunStarted, StepMetrics,
                     TaskView)


@dataclass
class RunRecord:
    config: RunConfig
    preset: str = "custom"
    device: str = ""
    total_steps: int = 0
    steps_per_epoch: int = 0
    metric_name: str = "metric"
    metric_goal: str = "max"
    baseline: float | None = None
    success_rule: str = ""
    output_at: str = "last"
    status: str = "pending"          # pending, running, finished, diverged, stopped, interrupted (store)
    finished_step: int | None = None
    reason: str = ""
    steps: list[StepMetrics] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    probes: list[ProbeResult] = field(default_factory=list)
    views: dict[str, TaskView] = field(default_factory=dict)

    def apply(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.device = event.device
                self.total_steps = event.total_steps
                self.steps_per_epoch = event.steps_per_epoch
                self.metric_name = event.metric_name
                self.metric_goal = event.metric_goal
                self.baseline = event.baseline
                self.success_rule = event.success_rule
                self.output_at = event.output_at
                self.status = "running"
            case StepMetrics():
                self.steps.append(event)
            case Evaluation():
                self.evaluations.append(event)
            case ProbeResult():
                self.probes.append(event)
            case TaskView():
                self.views[event.kind] = event
            case RunFinished():
                self.status = event.status
                self.finished_step = event.step
                self.reason = event.reason

    @property
    def last_step(self) -> int:
        return self.steps[-1].step if self.steps else 0

    @property
    def reached_step(self) -> int:
        """The step the run got to: where it ended once over (a diverged run ends on the step whose loss
        overflowed, which recorded no metrics), else the last step recorded."""
        return self.finished_step if self.ended and self.finished_step is not None else self.last_step

    @property
    def final_evaluation(self) -> Evaluation | None:
        return self.evaluations[-1] if self.evaluations else None

    @property
    def final_metric(self) -> float | None:
        final = self.final_evaluation
        return None if final is None else final.metrics.get(self.metric_name)

    @property
    def ended(self) -> bool:
        return self.status in ("finished", "diverged", "stopped", "interrupted")
