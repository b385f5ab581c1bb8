"""The status area: run buttons, run state, progress, speed, ETA and device."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ProgressBar, Static

from rnntui.engine.record import RunRecord
from rnntui.formatting import format_duration
from rnntui.ui.session import LiveRun

BUTTONS = (("start", "▶ Start"), ("pause", "⏸ Pause"), ("step", "⏭ Step"), ("stop", "■ Stop"),
           ("export", "⇩ Export"))


def describe_state(run: LiveRun | None) -> str:
    """A short run-state text; an ended run's reason (engine text) says where and why."""
    if run is None:
        return "ready: press s to start"
    record = run.record
    if run.state in ("pending", "running"):
        return "starting…" if run.state == "pending" else f"{run.label} running"
    if record.ended and record.reason:
        return f"{run.label} {record.reason}"
    return f"{run.label} {run.state} at step {record.reached_step}"


def describe_numbers(record: RunRecord | None) -> str:
    """Epoch/step, speed, ETA and device, as room allows."""
    if record is None:
        return ""
    parts = [f"step {record.reached_step}/{record.total_steps or '?'}"]
    last = record.steps[-1] if record.steps else None
    if last is not None and record.steps_per_epoch:
        parts.append(f"epoch {last.epoch:.2f}")
    if last is not None and not record.ended and last.steps_per_second > 0:
        parts.append(f"{last.steps_per_second:.0f} it/s")
        parts.append(f"ETA {format_duration((record.total_steps - last.step) / last.steps_per_second)}")
    if record.final_metric is not None:
        parts.append(f"{record.metric_name} {record.final_metric:.3g}")
    parts.append(record.device or "device: starting")
    return " · ".join(parts)


class StatusBar(Vertical):
    """Buttons and state on the first line, progress and numbers on the second."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="controls"):
            for name, label in BUTTONS:
                yield Button(label, id=f"button-{name}", compact=True)
            yield Static("", id="run-state")
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Static("", id="run-numbers")

    def show(self, run: LiveRun | None) -> None:
        """Update only what changed: a changed button label or class re-lays-out the screen."""
        record = run.record if run else None
        label = self.query_one("#run-state", Static)
        text = describe_state(run)
        if text != self._shown.get("state"):
            self._shown["state"] = text
            label.update(text, layout=False)
            label.set_classes(f"-{run.state}" if run else "-ready")
        numbers = describe_numbers(record)
        if numbers != self._shown.get("numbers"):
            self._shown["numbers"] = numbers
            self.query_one("#run-numbers", Static).update(numbers, layout=False)
        if record is not None and record.total_steps:
            self.query_one("#progress", ProgressBar).update(total=record.total_steps, progress=record.reached_step)
        pause = self.query_one("#button-pause", Button)
        wanted = "▶ Resume" if run and run.paused else "⏸ Pause"
        if str(pause.label) != wanted:
            pause.label = wanted
        self.enable("stop", bool(run and run.active))
        self.enable("export", run is not None)

    def enable(self, name: str, enabled: bool) -> None:
        button = self.query_one(f"#button-{name}", Button)
        if button.disabled == enabled:
            button.disabled = not enabled

    def allow_start(self, allowed: bool) -> None:
        self.enable("start", allowed)
