"""The sweep screen: a sweep runs in a thread worker; its events fill the plots as they land."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from rnntui.engine.control import RunControl
from rnntui.engine.sweep import SweepSpec, aggregate, sweep
from rnntui.engine.sweep_events import (SweepEvent, SweepFinished, SweepPointResult, SweepProgress,
                                        SweepStarted)

from .plots import SuccessPlot, SweepCurvePlot


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class SweepScreen(Screen):
    """Mean ± std and success fraction vs the swept value, per cell, with progress and ETA."""

    CSS_PATH = "sweep.tcss"
    BINDINGS = [
        Binding("p", "pause", "Pause/resume", id="sweep.pause"),
        Binding("s", "stop", "Stop", id="sweep.stop"),
        Binding("escape", "back", "Back", id="sweep.back"),
    ]

    class Update(Message):
        """One sweep event (or a failure text), crossing from the worker thread."""

        def __init__(self, event: SweepEvent | None, failure: str = "") -> None:
            super().__init__()
            self.event, self.failure = event, failure

    def __init__(self, spec: SweepSpec, control: RunControl | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.control = control or RunControl()
        self.results: list[SweepPointResult] = []
        self.started: SweepStarted | None = None
        self.latest: SweepProgress | None = None
        self.outcome: SweepFinished | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.spec.preset}: {self.spec.field}", id="sweep-title")
        with Horizontal(id="sweep-plots"):
            yield SweepCurvePlot(id="sweep-curve")
            yield SuccessPlot(id="sweep-success")
        yield ProgressBar(total=1.0, show_eta=False, id="sweep-progress")
        yield Static("starting...", id="sweep-status")
        yield Footer()

    def on_mount(self) -> None:
        self.run_sweep()

    @work(thread=True, exclusive=True, group="sweep")
    def run_sweep(self) -> None:
        try:
            for event in sweep(self.spec, self.control):
                self.post_message(self.Update(event))
        except (ValueError, RuntimeError) as exc:   # bad spec, task set-up, kernel unavailable
            self.post_message(self.Update(None, str(exc)))

    def on_sweep_screen_update(self, message: Update) -> None:
        event = message.event
        if event is None:
            self.query_one("#sweep-status", Static).update(f"sweep failed: {message.failure}")
            return
        if isinstance(event, SweepStarted):
            self.started = event
            self.query_one("#sweep-title", Static).update(
                f"sweep {event.preset}: {event.field} over {len(event.values)} values x {len(event.cells)} cells "
                f"x {event.repeats} repeats = {event.total_runs} runs, on {event.backend}")
            for plot in self.plots():
                plot.configure(event.field, event.values, event.cells, event.metric_name)
        elif isinstance(event, SweepPointResult):
            self.results.append(event)
        elif isinstance(event, SweepProgress):
            self.latest = event
            self.query_one(ProgressBar).update(progress=event.fraction)
            self.redraw()
        elif isinstance(event, SweepFinished):
            self.outcome = event
            self.redraw()
        self.query_one("#sweep-status", Static).update(self.status_text())

    def plots(self) -> tuple[SweepCurvePlot, SuccessPlot]:
        return self.query_one(SweepCurvePlot), self.query_one(SuccessPlot)

    def redraw(self) -> None:
        if self.started is not None:
            points = aggregate(self.results, self.started.metric_name)
            for plot in self.plots():
                plot.show_curve(points)

    def status_text(self) -> str:
        total = self.started.total_runs if self.started else 0
        if self.outcome is not None:
            return (f"{self.outcome.status}: {len(self.results)}/{total} runs in "
                    f"{_duration(self.outcome.elapsed)}. {self.outcome.message}").strip()
        if self.latest is None:
            return f"{len(self.results)}/{total} runs"
        paused = "  (paused)" if self.control.paused else ""
        return (f"{len(self.results)}/{total} runs  elapsed {_duration(self.latest.elapsed)}  "
                f"ETA {_duration(self.latest.eta)}{paused}")

    def action_pause(self) -> None:
        (self.control.resume if self.control.paused else self.control.pause)()
        self.query_one("#sweep-status", Static).update(self.status_text())

    def action_stop(self) -> None:
        self.control.stop()

    def action_back(self) -> None:
        self.control.stop()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.control.stop()
