"""The sweep screen: plan a sweep, start it with ``s``, and watch its events fill the plots.

It opens on the plan (what will run, how many runs) and trains nothing until
``s``; ``f`` picks another field, grid, cells or repeats; ``e`` exports what
has landed as the two sweep CSVs. The sweep runs in a thread worker.
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
from rnntui.engine.store import RunStore, StoreError
from rnntui.engine.sweep import (SweepEvent, SweepFinished, SweepPointResult, SweepProgress,
                                        SweepRecorder, SweepStarted)
from rnntui.formatting import format_duration

from ..screens.export import ExportScreen
from ..screens.help import HelpScreen, help_binding
from .plots import SuccessPlot, SweepCurvePlot
from .setup import SweepSetup, describe_plan

READY = "ready: s starts it, f changes the grid"
HELP_INTRO = """\
Many short runs of the lab's preset: one field swept over a grid of values, for each
cell, with several seeds (repeat r uses seed + r). The screen opens on the **plan**
(what will run, and how many runs) and trains nothing until you press **s**."""

HELP_NOTES = """\
## Reading the plots
- **final val metric**: mean over the repeats of each value, one line per cell; the
  faint dots are ± 1 standard deviation.
- **success fraction**: the share of runs that met the task's success criterion.

The bar shows the share of the training work done; runs land a population at a time,
so the count of finished runs can lag behind it. The ETA comes from the work done so far."""


class SweepScreen(Screen):
    """Mean ± std and success fraction vs the swept value, per cell, with progress and ETA."""

    CSS_PATH = "sweep.tcss"
    BINDINGS = [
        Binding("s", "start", "Start", tooltip="start the planned sweep (again, once it is over)",
                id="sweep.start"),
        Binding("p", "pause", "Pause", tooltip="pause / resume the sweep", id="sweep.pause"),
        Binding("x", "stop", "Stop", tooltip="stop the sweep (what has landed stays)", id="sweep.stop"),
        Binding("f", "setup", "Field…", tooltip="change the field, values, cells or repeats",
                id="sweep.setup"),
        Binding("e", "export", "Export", tooltip="export the runs that have landed as CSV", id="sweep.export"),
        Binding("escape", "back", "Back", tooltip="stop the sweep and go back to the lab", id="sweep.back"),
        help_binding("sweep"),
    ]
    HELP = ("Sweep", HELP_INTRO, HELP_NOTES)

    @dataclass
    class Update(Message):
        """One sweep event (or a failure text) of sweep number ``generation``, from the worker thread."""

        generation: int
        event: SweepEvent | None
        failure: str = ""

    def __init__(self, spec: SweepSpec, control: RunControl | None = None, store: RunStore | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.store = store          # where each finished run is recorded (None: nowhere)
        self.control = control or RunControl()
        self.generation = 0
        self.running = False
        self._reset()

    def _reset(self) -> None:
        self.results: list[SweepPointResult] = []
        self.started: SweepStarted | None = None
        self.latest: SweepProgress | None = None
        self.outcome: SweepFinished | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.plan_text(), id="sweep-title")
        with Horizontal(id="sweep-plots"):
            yield SweepCurvePlot(id="sweep-curve")
            yield SuccessPlot(id="sweep-success")
        yield ProgressBar(total=1.0, show_eta=False, id="sweep-progress")
        yield Static(READY, id="sweep-status")
        yield Footer()

    def plan_text(self) -> str:
        return f"sweep {self.spec.preset}: {describe_plan(self.spec)}"

    @work(thread=True, exclusive=True, group="sweep")
    def run_sweep(self, generation: int, spec: SweepSpec, control: RunControl) -> None:
        """Run the sweep, recording each finished run in the store as the CLI's sweep does."""
        recorder: SweepRecorder | None = None
        try:
            for event in sweep(spec, control):
                if isinstance(event, SweepStarted) and self.store is not None:
                    recorder = SweepRecorder(self.store, event, "tui")
                elif isinstance(event, SweepPointResult) and recorder is not None:
                    recorder.add(event)
                self.post_message(self.Update(generation, event))
        except (ValueError, RuntimeError) as exc:   # bad spec, task set-up, kernel unavailable
            self.post_message(self.Update(generation, None, str(exc)))
        finally:
            if recorder is not None:
                try:
                    recorder.finish()
                except StoreError as exc:
                    self.app.call_from_thread(self.notify, str(exc), severity="error")

    def _clear(self, status: str) -> None:
        self._reset()
        for plot in self.plots():
            plot.show_curve([])
        self.query_one(ProgressBar).update(progress=0.0)
        self.query_one("#sweep-status", Static).update(status)

    def action_start(self) -> None:
        """Start the plan (afresh once a sweep has run)."""
        if self.running:
            self.notify("The sweep is running: x stops it.")
            return
        if self.generation:
            self.control = RunControl()
        self.generation += 1
        self.running = True
        self._clear("starting…")
        self.run_sweep(self.generation, self.spec, self.control)

    def replan(self, spec: SweepSpec | None) -> None:
        """Stop what runs and show ``spec``'s plan, ready for s (None: the dialog was cancelled)."""
        if spec is None:
            return
        self.control.stop()
        self.spec, self.control, self.running = spec, RunControl(), False
        self.generation += 1
        self._clear(READY)
        self.query_one("#sweep-title", Static).update(self.plan_text())

    def on_sweep_screen_update(self, message: Update) -> None:
        if message.generation != self.generation:     # a stopped sweep's last words
            return
        event = message.event
        if event is None:
            self.running = False
            self.query_one("#sweep-status", Static).update(f"sweep failed: {message.failure}")
            return
        if isinstance(event, SweepStarted):
            self.started = event
            self.query_one("#sweep-title", Static).update(f"{self.plan_text()}, on {event.backend}")
            for plot in self.plots():
                plot.configure(event.field, event.values, event.cells, event.metric_name)
        elif isinstance(event, SweepPointResult):
            self.results.append(event)
        elif isinstance(event, SweepProgress):
            self.latest = event
            self.query_one(ProgressBar).update(progress=event.fraction)
            self.redraw()
        elif isinstance(event, SweepFinished):
            self.outcome, self.running = event, False
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
            return f"starting: 0/{total} runs finished"
        paused = "  (paused: p resumes)" if self.control.paused else ""
        return (f"{len(self.results)}/{total} runs finished, {self.latest.fraction:.0%} of the training done  "
                f"elapsed {format_duration(self.latest.elapsed)}  ETA {format_duration(self.latest.eta)}{paused}")

    def action_pause(self) -> None:
        if not self.running:
            self.notify("No sweep is running: s starts it.")
            return
        (self.control.resume if self.control.paused else self.control.pause)()
        self.query_one("#sweep-status", Static).update(self.status_text())

    def action_stop(self) -> None:
        if not self.running:
            self.notify("No sweep is running.")
            return
        self.control.stop()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_setup(self) -> None:
        self.app.push_screen(SweepSetup(self.spec), self.replan)

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
