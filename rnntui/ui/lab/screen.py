"""The lab: pick an experiment, train it in the background, watch the gradients.

The main screen of the app, and the owner of its keys (start, pause, step,
stop, export, compare, ...): sub-screens never see them. Training runs in a
thread worker that applies engine events to the run's record and posts a
coalesced ``RunUpdated`` at most every ``POST_SECONDS``; a fast timer redraws
the stale views one per tick (each at >= 4 Hz). The training loop itself runs in
a child process (rnntui.engine.process), so it neither slows the screen down nor
is slowed down by it; the first frame never waits for torch.
"""

from __future__ import annotations

import importlib
import time
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Select, Static, TabbedContent, TabPane

from rnntui.engine.config import RunConfig
from rnntui.engine.events import RunFinished
from rnntui.engine.export import default_export_path, export_run
from rnntui.engine.presets import Preset
from rnntui.engine.record import RunRecord
from rnntui.engine.store import Recorder, StoreError

from ..collector import collect_when_quiet, hold_survivors, release_survivors
from ..messages import RunEnded, RunUpdated
from ..screens.confirm import ConfirmDiscard
from ..screens.export import ExportScreen
from ..screens.help import HelpScreen, help_binding
from ..session import LiveRun
from ..widgets.form import ExperimentForm
from ..widgets.heatmap import GradHeatmap
from ..widgets.plots import ClipPlot, GradProfilePlot, LivePlot, LossPlot, MetricPlot, TaskPlot
from ..runs import StoredRunTable
from ..widgets.status import StatusBar
from ..widgets.why import VerdictView, WhyPanel
from .contrast import contrast_hint, runs_to_explain, start_contrast

if TYPE_CHECKING:
    from ..app import RnnTuiApp

LIVE_VIEWS = ("status", "plot-loss", "plot-metric", "plot-profile", "heatmap", "plot-clip", "plot-task", "why")
VIEWS = (*LIVE_VIEWS, "table", "compare")


HELP_INTRO = """\
Pick a preset on the left (or edit any field), press **s** to train it, and watch
the gradients. Everything runs in the background: keep typing, switching tabs, resizing.
In a text field, **enter** commits it and **esc** leaves it: the keys below work again."""

HELP_NOTES = """\
`ctrl+p` opens the command palette: load a preset, start, stop, export, compare, contrast, theme.
Each screen (sweep, cliff explorer, inspector, dialogs) has its own keys and its own help.

## Reading the plots
- **loss**: training loss per step (faded) and validation loss, log scale.
- **metric**: the task's validation metric (accuracy, mse, …).
- **‖∂L/∂h_t‖ vs t**: how much the loss reaches back to each timestep, for the latest
  probe; the first probe is faded behind. A line falling steeply to the left is a
  *vanishing* gradient; one rising without bound is *exploding*.
- **heatmap**: the same profile for every probe over training (rows t, columns step,
  log colour). Dark rows at small t are timesteps the network can no longer learn from.
- **gradient norm**: before and after clipping, with the threshold line.
- **task view**: generated sine vs the truth, or recall predictions vs true values.

A log axis has no place for 0 or infinity: an exact zero is drawn on its own row
labelled `0` below the data, an overflow on a row labelled `inf` above it, and a
NaN leaves a gap. In the heatmap an exact zero is black and dotted, a NaN or
infinity red. The key under each plot names its lines; a vertical red line marks
the step where a run diverged.

In the **Runs** tab, press enter on two rows to overlay their curves.
The **Why** tab says what the newest run shows (both runs after `v`), in sentences with
numbers from the probes: how much gradient reaches t = 1, clipping, ρ(W_hh), the baseline.
`p`, `n` and `x` act on both runs of a contrast.

On a small terminal (80×24) the plots stack in one scrolling column: use the mouse
wheel, or click them and use PgUp/PgDn; `f` hides the experiment pane for more room.
The form shows the fields the chosen task, cell and optimizer use; the rest are
folded under *More*. Long presets: lower `epochs` or `iterations` before pressing `s`.

The IMDB presets need the aclImdb data set: start with `rnntui --imdb PATH` (an
archive or an extracted folder) or set `RNNTUI_IMDB`; without it the run stops with
the loader's message saying what to do.

Over SSH, set `COLORTERM=truecolor` for full colour; `NO_COLOR=1` turns colour off."""


class LabScreen(Screen[None]):
    """Experiment pane on the left, live plots in the centre, status and keys below."""

    app: "RnnTuiApp"
    BINDINGS = [
        Binding("s", "start", "Start", tooltip="start a run with the fields on the left", id="start"),
        Binding("p", "pause", "Pause", tooltip="pause / resume the run", id="pause"),
        Binding("n", "step", "Step", tooltip="one optimizer step (starts a paused run if none is going)",
                id="step"),
        Binding("x", "stop", "Stop", tooltip="stop the run (within a second)", id="stop"),
        Binding("e", "export", "Export", tooltip="export the selected run as CSV", id="export"),
        Binding("c", "compare", "Compare", tooltip="overlay two runs' curves (Runs tab)", id="compare"),
        Binding("o", "open", "Open", tooltip="draw the run under the Runs cursor in the Live tab "
                                             "(any stored run, from any session)", id="open", show=False),
        Binding("v", "contrast", "Vs", id="contrast",
                tooltip="contrast: train this preset beside its partner (e.g. clipped vs not) and overlay both"),
        Binding("l", "focus_presets", "Preset", tooltip="open the preset picker (type to search)", id="preset",
                show=False),
        Binding("f", "toggle_form", "Form", tooltip="hide / show the experiment pane", id="form", show=False),
        Binding("g", "landscape", "Cliffs", tooltip="cliff explorer: the loss landscape of a one-unit RNN",
                id="landscape", show=False),
        Binding("i", "inspect", "Inspect", tooltip="inspect the selected run's model (paused or finished)",
                id="inspect", show=False),
        Binding("w", "sweep", "Sweep", tooltip="plan a sweep of this preset over sequence length (s starts it)",
                id="sweep", show=False),
        help_binding("lab"),
    ]
    HELP = ("rnntui: the lab", HELP_INTRO, HELP_NOTES)
    AUTO_FOCUS = ""   # no field takes the keys at start (None would mean the app's "*")
    POST_SECONDS = 0.2  # each view redraws at most 5 Hz: plotext builds cost 3-10 ms each
    TICK_SECONDS = 0.025

    def __init__(self) -> None:
        super().__init__(id="lab")
        self.marked: list[int] = []            # store ids overlaid in the Runs tab
        self.opened: int | None = None         # a store id shown in the Live tab instead of the newest run
        self._loaded: dict[int, RunRecord] = {}   # runs of earlier sessions, read from the store once
        self._stale: set[str] = set()
        self._turn = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield ExperimentForm(self.app.presets, self.app.preset, id="experiment")
            with TabbedContent(id="centre", initial="live"):
                with TabPane("Live", id="live"):
                    with VerticalScroll(id="live-scroll"):
                        with Grid(id="plots"):
                            yield LossPlot(id="plot-loss")
                            yield MetricPlot(id="plot-metric")
                            yield GradProfilePlot(id="plot-profile")
                            yield GradHeatmap(id="heatmap")
                            yield ClipPlot(id="plot-clip")
                            yield TaskPlot(id="plot-task")
                with TabPane("Runs", id="runs"):
                    yield Static("", id="runs-caption")
                    yield StoredRunTable(self.app.store, id="run-table")
                    with Horizontal(id="compare"):
                        yield LossPlot(id="compare-loss")
                        yield MetricPlot(id="compare-metric")
                with TabPane("Why", id="why"):
                    with VerticalScroll(id="why-scroll"):
                        yield VerdictView(id="verdict")
                        yield WhyPanel(id="why-panel")
        yield StatusBar(id="status")
        yield Footer(compact=True)  # all the key hints, Quit included, fit 80 columns

    def on_mount(self) -> None:
        self.load_preset(self.app.preset)
        self.query_one("#plot-task").display = False
        self.query_one("#compare-loss", LossPlot).empty_title = "— enter on two runs (or c) overlays them"
        self.query_one(StatusBar).show(None)
        self.set_interval(self.TICK_SECONDS, self.tick)
        lost = self.app.store.interrupted
        if lost:
            self.app.notify(f"{len(lost)} run(s) of an earlier session ended without finishing (killed or "
                            f"lost power): kept in the Runs tab as interrupted, #{', #'.join(map(str, lost))}.",
                            title="Interrupted runs", severity="warning", timeout=10)

    # -- presets and the form ------------------------------------------------
    @property
    def form(self) -> ExperimentForm:
        return self.query_one(ExperimentForm)

    def load_preset(self, preset: Preset) -> None:
        self.app.preset = preset
        self.form.load(preset)
        self.query_one(WhyPanel).show(preset)
        self._stale.add("why")   # the hint names the new preset's partner

    def request_preset(self, name: str) -> None:
        """Load a preset, asking first when the fields hold edits."""
        preset = next(p for p in self.app.presets if p.name == name)

        def answer(discard: bool | None) -> None:
            if discard:
                self.load_preset(preset)
            else:
                self.form.revert_picker()

        if self.form.dirty:
            self.app.push_screen(ConfirmDiscard(preset.title), answer)
        else:
            self.load_preset(preset)

    def on_experiment_form_preset_requested(self, message: ExperimentForm.PresetRequested) -> None:
        self.request_preset(message.name)

    def on_experiment_form_changed(self, message: ExperimentForm.Changed) -> None:
        self.query_one(StatusBar).allow_start(message.valid)

    # -- runs ----------------------------------------------------------------
    @property
    def active_run(self) -> LiveRun | None:
        return next((run for run in reversed(self.app.runs) if run.active), None)

    @property
    def active_runs(self) -> list[LiveRun]:
        """The runs still going: one, or the two of a contrast."""
        return [run for run in self.app.runs if run.active]

    def live_run(self, store_id: int | None) -> LiveRun | None:
        """This session's run stored as ``store_id``, if it is one."""
        return next((run for run in self.app.runs if run.store_id == store_id), None)

    def stored_record(self, store_id: int) -> RunRecord:
        """A run's record: live for this session's runs, else read from the store (once)."""
        run = self.live_run(store_id)
        if run is not None:
            return run.record
        if store_id not in self._loaded:
            self._loaded[store_id] = self.app.store.load(store_id)
        return self._loaded[store_id]

    @property
    def selected_id(self) -> int | None:
        """The store id under the Runs table cursor, else the newest run of this session."""
        chosen = self.query_one(StoredRunTable).selected_id
        if chosen is not None:
            return chosen
        return self.app.runs[-1].store_id if self.app.runs else None

    @property
    def selected_run(self) -> LiveRun | None:
        """The session run under the Runs table cursor (the newest run unless the user moved it)."""
        return self.live_run(self.selected_id)

    def may_start(self) -> bool:
        """True when no run is going (else say so)."""
        if self.active_run is not None:
            self.app.notify(f"Run {self.active_run.label} is still going: stop it (x) first.", severity="warning")
            return False
        return True

    def begin_run(self, paused: bool = False) -> LiveRun | None:
        if not self.may_start():
            return None
        config = self.form.config()
        if config is None:
            self.app.notify("Fix the fields marked in red first.", title="Cannot start", severity="error")
            return None
        run = self.launch(config, self.app.preset.name, paused)
        self.query_one(TabbedContent).active = "live"
        return run

    def launch(self, config: RunConfig, preset_name: str, paused: bool = False) -> LiveRun:
        """Number a new run, start its training worker and show it."""
        hold_survivors()   # short collector pauses while it trains (rnntui.ui.collector)
        run = LiveRun(len(self.app.runs) + 1, RunRecord(config, preset=preset_name))
        recorder = self.app.store.recorder(preset_name, "tui")
        run.store_id = recorder.begin(config)    # the number users see, from the first frame
        if paused:
            run.control.pause()
        self.app.runs.append(run)
        self.opened = None
        self._train(run, recorder)
        self.mark_stale(run.number)
        return run

    @work(thread=True, exit_on_error=False, group="training")
    def _train(self, run: LiveRun, recorder: Recorder) -> None:
        from rnntui.engine.process import ProcessTrainer

        error = failure = ""
        posted = 0.0
        try:
            trainer = ProcessTrainer(run.record.config)   # its own interpreter: see rnntui.engine.process
            for event in trainer.run(run.control):
                if run.trainer is None:
                    run.trainer = trainer   # the model exists: the inspector may ask for it
                run.record.apply(event)
                recorder.apply(event)
                now = time.monotonic()
                if now - posted >= self.POST_SECONDS:
                    posted = now
                    self.post_message(RunUpdated(run.number))
        except Exception as exc:  # a crashed run must not take the UI down
            from rnntui.engine.config import ConfigError
            from rnntui.engine.data import DataUnavailable

            error = str(exc) or type(exc).__name__
            # Its message says how to fix it; a ConfigError here is a refusal (say, the memory estimate).
            failure = "no data" if isinstance(exc, DataUnavailable) else \
                "refused" if isinstance(exc, ConfigError) else "crashed"
            ending = RunFinished("stopped", run.record.last_step, f"{failure}: {error}")
            run.record.apply(ending)
            recorder.apply(ending)
        try:
            recorder.wait()
        except StoreError as exc:
            error, failure = error or str(exc), failure or "not stored"
        run.recorded.set()
        self.post_message(RunEnded(run.number, error, failure))

    def on_run_updated(self, message: RunUpdated) -> None:
        self.mark_stale(message.number)

    def on_run_ended(self, message: RunEnded) -> None:
        if not self.active_runs:
            release_survivors()
        self.mark_stale(message.number)
        self.flush()
        run = self.app.runs[message.number - 1]
        if message.error:
            self.app.notify(message.error, title=f"Run {run.label}: {message.failure}", severity="error", timeout=20)
        elif run.record.status == "diverged":
            self.app.notify(run.record.reason, title=f"Run {run.label} diverged", severity="error", timeout=10)
        else:
            self.app.notify(f"Run {run.label} {run.record.status} at step {run.record.finished_step}.")

    def mark_stale(self, number: int) -> None:
        """Note which views show run ``number``; ``tick`` redraws them one at a time."""
        self._stale.add("table")
        if number == len(self.app.runs):
            self._stale.update(LIVE_VIEWS)
        if self.app.runs[number - 1].store_id in self.marked:
            self._stale.add("compare")
        if self.app.runs and self.app.runs[-1].partner == number:
            self._stale.add("why")

    def tick(self) -> None:
        """Redraw the next stale view on screen. One view per tick keeps every frame short, so a
        keypress never waits behind a whole-screen redraw; a full cycle stays under 0.25 s.
        Views off screen (another tab or screen) stay stale and catch up once shown."""
        if not self.app.is_running:  # shutting down: the views are being removed
            return
        if collect_when_quiet(self.app.last_key):
            return
        for offset in range(len(VIEWS)):
            name = VIEWS[(self._turn + offset) % len(VIEWS)]
            if name in self._stale and self.on_screen(name):
                self._stale.discard(name)
                self._turn = VIEWS.index(name) + 1
                self.draw(name, background=True)
                return

    def flush(self) -> None:
        """Redraw every stale view on screen at once (a run just ended: show its final state now)."""
        if not self.app.is_running:
            return
        for name in VIEWS:
            if name in self._stale and self.on_screen(name):
                self._stale.discard(name)
                self.draw(name)

    def on_screen(self, name: str) -> bool:
        """Whether view ``name`` is shown: no full screen covers this one (a dialog leaves it
        visible) and the view's tab is open."""
        if not all(screen.is_modal for screen in self.app.screen_stack[1:]):
            return False
        tab = "why" if name == "why" else "runs" if name in ("table", "compare") else "live"
        return name == "status" or self.query_one(TabbedContent).active == tab

    def draw(self, name: str, background: bool = False) -> None:
        """Bring view ``name`` up to date; ``background`` builds plots off the event loop."""
        latest = self.app.runs[-1] if self.app.runs else None
        shown = self.stored_record(self.opened) if self.opened is not None else latest.record if latest else None
        if name == "status":
            self.query_one(StatusBar).show(latest)
        elif name == "table":
            table = self.query_one(StoredRunTable)
            table.sync(set(self.marked), {run.store_id: run for run in self.app.runs})
            hint = "enter marks runs to overlay, o opens one in Live, [ ] page"
            self.query_one("#runs-caption", Static).update(f"{table.caption} · {hint}" if table.total else
                                                           "No runs stored yet: press s to train one.")
        elif name == "compare":
            records = [self.stored_record(store_id) for store_id in self.marked]
            for plot in self.query("#compare LivePlot").results(LivePlot):
                plot.show(records, [f"#{store_id}" for store_id in self.marked], background=background)
        elif name == "why":
            self.query_one(VerdictView).show(runs_to_explain(self.app.runs), contrast_hint(self))
        elif shown is not None:
            widget = self.query_one(f"#{name}")
            widget.show(shown if isinstance(widget, GradHeatmap) else [shown], background=background)
            if name == "plot-task" and widget.display != bool(shown.views):
                widget.display = bool(shown.views)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "why":
            self._stale.add("why")
        elif event.pane.id == "runs":
            self._stale.add("table")   # the store may have runs from other processes meanwhile

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter or click on a run toggles its mark; the two newest marks are overlaid."""
        store_id = int(event.row_key.value)
        if store_id in self.marked:
            self.marked.remove(store_id)
        else:
            self.marked = (self.marked + [store_id])[-2:]
        self._stale.update(("compare", "table"))

    def on_stored_run_table_page_changed(self, message: StoredRunTable.PageChanged) -> None:
        self._stale.add("table")

    # -- actions ---------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("button-"):
            await self.run_action(event.button.id.removeprefix("button-"))

    def action_start(self) -> None:
        self.begin_run()

    def action_pause(self) -> None:
        """Pause or resume every run going (a contrast's two together)."""
        runs = self.active_runs
        if not runs:
            self.app.notify("No run is going: press s to start one.")
            return
        resume = runs[-1].control.paused
        for run in runs:
            if resume:
                run.control.resume()
            else:
                run.control.pause()
            self.mark_stale(run.number)

    def action_step(self) -> None:
        runs = self.active_runs
        if not runs:
            started = self.begin_run(paused=True)
            runs = [started] if started is not None else []
        for run in runs:
            run.control.step_once()
            self.mark_stale(run.number)

    def action_stop(self) -> None:
        runs = self.active_runs
        if not runs:
            self.app.notify("No run is going.")
            return
        for run in runs:
            run.control.stop()

    def action_export(self) -> None:
        store_id = self.selected_id
        if store_id is None:
            self.app.notify("Nothing to export yet: start a run first.")
            return

        def done(paths) -> None:
            if paths:
                self.app.notify(f"Wrote {paths[0]} and {paths[-1].name}.", title="Exported")

        run = self.live_run(store_id)
        if run is not None:
            self.app.push_screen(ExportScreen.for_run(run), done)
            return
        record = self.stored_record(store_id)
        self.app.push_screen(ExportScreen(f"run #{store_id} {record.preset} ({record.status})",
                                          default_export_path(record.preset, store_id),
                                          partial(export_run, record)), done)

    def action_open(self) -> None:
        """Redraw the Live tab's plots from a stored run (this session's or an earlier one's)."""
        store_id = self.query_one(StoredRunTable).selected_id
        if store_id is None:
            self.app.notify("No stored run to open: the Runs tab lists them.")
            return
        latest = self.app.runs[-1] if self.app.runs else None
        self.opened = None if latest is not None and latest.store_id == store_id else store_id
        self._stale.update(LIVE_VIEWS)
        self.query_one(TabbedContent).active = "live"

    def action_compare(self) -> None:
        """Overlay the two marked runs, else the two newest in the store (from any session)."""
        if len(self.marked) < 2:
            newest = [summary.id for summary in self.app.store.page(limit=2)]
            if len(newest) < 2:
                self.app.notify("Compare needs two runs: train another one first.")
                return
            self.marked = newest[::-1]
        self.overlay(*self.marked)

    def overlay(self, *store_ids: int) -> None:
        """Overlay these stored runs in the Runs tab and show it."""
        self.marked = list(store_ids)
        self._stale.update(("compare", "table"))
        self.query_one(TabbedContent).active = "runs"

    def action_contrast(self) -> None:
        """Train the loaded preset beside its partner (rnntui.ui.lab.contrast)."""
        start_contrast(self)

    def action_focus_presets(self) -> None:
        self.form.display = True
        picker = self.query_one("#preset", Select)
        picker.focus()
        picker.expanded = True

    def action_toggle_form(self) -> None:
        self.form.display = not self.form.display

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_landscape(self) -> None:
        """Open the cliff explorer (rnntui.ui.landscape) where that module is installed."""
        try:
            module = importlib.import_module("rnntui.ui.landscape")
        except ImportError:
            self.app.notify("The cliff explorer is not part of this build.", severity="warning")
            return
        self.app.push_screen(module.LandscapeScreen())

    def action_inspect(self) -> None:
        """Jacobian products and loss slices of the selected run's model (rnntui.ui.inspect)."""
        from ..inspect import InspectScreen  # torch loads with it; a run has loaded it already

        run = self.selected_run
        if run is None:
            self.app.notify("Inspect needs a run of this session (a stored run keeps no model): "
                            "start one, or rerun this one.", severity="warning")
            return
        self.app.push_screen(InspectScreen(run))

    def action_sweep(self) -> None:
        """Sweep the form's config over sequence length (rnntui.ui.sweep; f there picks another field)."""
        from ..sweep import SweepScreen, default_spec  # torch loads with the sweep engine

        config = self.form.config()
        if config is None:
            self.app.notify("Fix the fields marked in red first.", title="Cannot sweep", severity="error")
            return
        preset = self.app.preset
        self.app.push_screen(SweepScreen(default_spec(config, preset.name, ray=preset.sweep.get("ray")),
                                         store=self.app.store))
