"""The sweep screen: a sweep runs in a thread worker; its events fill the plots as they land.

``f`` picks another field, grid, cells or repeats and starts over; ``e``
exports what has landed so far as the two sweep CSVs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from rnntui.engine.control import RunControl
from rnntui.engine.export import default_export_path
from rnntui.engine.sweep import SweepSpec, aggregate, sweep
from rnntui.engine.sweep import export_sweep
from rnntui.engine.sweep import (SweepEvent, SweepFinished, SweepPointResult, SweepProgress,
                                        SweepStarted)
from rnntui.formatting import format_duration

from ..screens.export import ExportScreen
from .plots import SuccessPlot, SweepCurvePlot
from .setup import SweepSetup


class SweepScreen(Screen):
    """Mean ± std and success fraction vs the swept value, per cell, with progress and ETA."""

    CSS_PATH = "sweep.tcss"
    BINDINGS = [
        Binding("p", "pause", "Pause/resume", id="sweep.pause"),
        Binding("s", "stop", "Stop", id="sweep.stop"),
        Binding("f", "setup", "Field…", id="sweep.setup"),
        Binding("e", "export", "Export", id="sweep.export"),
        Binding("escape", "back", "Back", id="sweep.back"),
    ]

    @dataclass
    class Update(Message):
        """One sweep event (or a failure text) of sweep number ``generation``, from the worker thread."""

        generation: int
        event: SweepEvent | None
        failure: str = ""

    def __init__(self, spec: SweepSpec, control: RunControl | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.control = control or RunControl()
        self.generation = 0
        self._reset()

    def _reset(self) -> None:
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
        self.run_sweep(self.generation, self.spec, self.control)

    @work(thread=True, exclusive=True, group="sweep")
    def run_sweep(self, generation: int, spec: SweepSpec, control: RunControl) -> None:
        try:
            for event in sweep(spec, control):
                self.post_message(self.Update(generation, event))
        except (ValueError, RuntimeError) as exc:   # bad spec, task set-up, kernel unavailable
            self.post_message(self.Update(generation, None, str(exc)))

    def restart(self, spec: SweepSpec | None) -> None:
        """Stop the running sweep and start ``spec`` from scratch (None: keep going as before)."""
        if spec is None:
            return
        self.control.stop()
        self.spec, self.control = spec, RunControl()
        self.generation += 1
        self._reset()
        for plot in self.plots():
            plot.show_curve([])
        self.query_one(ProgressBar).update(progress=0.0)
        self.query_one("#sweep-title", Static).update(f"sweep {spec.preset}: {spec.field}")
        self.query_one("#sweep-status", Static).update("starting...")
        self.run_sweep(self.generation, spec, self.control)

    def on_sweep_screen_update(self, message: Update) -> None:
        if message.generation != self.generation:     # a stopped sweep's last words
            return
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
                    f"{format_duration(self.outcome.elapsed)}. {self.outcome.message}").strip()
        if self.latest is None:
            return f"{len(self.results)}/{total} runs"
        paused = "  (paused)" if self.control.paused else ""
        return (f"{len(self.results)}/{total} runs  elapsed {format_duration(self.latest.elapsed)}  "
                f"ETA {format_duration(self.latest.eta)}{paused}")

    def action_pause(self) -> None:
        (self.control.resume if self.control.paused else self.control.pause)()
        self.query_one("#sweep-status", Static).update(self.status_text())

    def action_stop(self) -> None:
        self.control.stop()

    def action_setup(self) -> None:
        self.app.push_screen(SweepSetup(self.spec), self.restart)

    def action_export(self) -> None:
        """Both CSVs of the runs that have landed (all of them once the sweep is over)."""
        if self.started is None or not self.results:
            self.notify("Nothing to export yet: no run of this sweep has finished.")
            return
        total = self.started.total_runs
        what = f"sweep {self.spec.preset} over {self.spec.field} ({len(self.results)} of {total} runs)"
        write = partial(export_sweep, list(self.results), preset=self.spec.preset, field=self.spec.field,
                        metric=self.started.metric_name)

        def done(paths) -> None:
            if paths:
                self.notify(f"Wrote {paths[0]} and {paths[-1].name}.", title="Exported")

        self.app.push_screen(ExportScreen(what, default_export_path(f"{self.spec.preset}-sweep"), write), done)

    def action_back(self) -> None:
        self.control.stop()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.control.stop()
