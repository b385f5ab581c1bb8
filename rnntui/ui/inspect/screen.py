"""The model-inspection screen: why a run's gradients vanish or explode, measured on its own weights.

Four views of a copy of the model, computed on demand (``r``) in a thread
worker that posts each stage as it lands: Jacobian products against
distance, the validation loss along the gradient and along a scaling of
W_hh, and a random filter-normalised plane.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from rnntui.engine.analysis.slices import Cancelled
from rnntui.ui.session import LiveRun

from ..screens.help import HelpScreen, help_binding
from .compute import PLANE_SIDE, Ranges, Snapshot, stages, take_snapshot
from .plots import JacobianPlot, PlaneMap, SlicePlot, decay_per_step

PARK_SECONDS = 5.0          # how long a just-paused run may take to finish its step
ZOOM_LIMITS = (1 / 64, 8.0)


HELP_INTRO = """\
Why this run's gradients vanish or explode, measured on its own weights: a copy of the
model, taken while the run is paused or over, so training and inspection never race."""

HELP_NOTES = """\
## Reading the views
- **Jacobian products**: ‖∏ ∂h_j/∂h_{j−1}‖ against the distance k, with the textbook
  prediction (ρ^k, or the forget gate's product) beside it; the slope is the factor per step.
- **loss along −∇L**: the validation loss stepping along the gradient, the run marked.
- **loss as W_hh scales**: against its spectral radius ρ, with ρ = 1 in red.
- **random plane**: the loss on a filter-normalised random plane through the run (log colour).

Log axes show an exact 0 on a row of its own and infinity on an `inf` row."""


class InspectScreen(Screen):
    """Inspects one run; only while it is paused or over, on a copy of its model."""

    CSS_PATH = "inspect.tcss"
    BINDINGS = [
        Binding("r", "recompute", "Recompute", tooltip="copy the model again and recompute every view",
                id="inspect.recompute"),
        Binding("p", "pause", "Pause run", tooltip="pause / resume the run (the views need still weights)",
                id="inspect.pause"),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", tooltip="narrow the gradient slice and plane",
                id="inspect.zoom_in"),
        Binding("minus", "zoom(2.0)", "Zoom out", tooltip="widen the gradient slice and plane",
                id="inspect.zoom_out"),
        Binding("d", "directions", "New plane", tooltip="a new random plane", id="inspect.directions",
                show=False),
        Binding("escape", "app.pop_screen", "Back", tooltip="back to the lab", id="inspect.back"),
        help_binding("inspect"),
    ]
    HELP = ("Inspect a run's model", HELP_INTRO, HELP_NOTES)

    @dataclass
    class Part(Message):
        """One computed stage (see :func:`.compute.stages`), or 'snapshot', 'waiting', 'failed'."""

        generation: int
        name: str
        value: object

    def __init__(self, run: LiveRun) -> None:
        super().__init__()
        self.run = run
        self.ranges = Ranges()
        self.generation = 0
        self.snapshot: Snapshot | None = None
        self.parts: dict[str, object] = {}
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static(id="inspect-header")
        with Grid(id="inspect-grid"):
            yield JacobianPlot(id="inspect-jacobian")
            yield SlicePlot(id="inspect-gradient", waiting="loss along the gradient")
            yield SlicePlot(id="inspect-scale", waiting="loss along a scaling of W_hh")
            yield PlaneMap(id="inspect-plane", placeholder="random plane — waiting for the model")
        yield Footer()

    def on_mount(self) -> None:
        self.action_recompute()

    # -- keys -----------------------------------------------------------------
    def action_recompute(self) -> None:
        run = self.run
        if run.trainer is None and not run.active:
            self.note = "this run has no model: it stopped before training began"
        elif run.active and not run.paused:
            self.note = "it is training: press p to pause it and inspect (the views need still weights)"
        else:
            self.generation += 1
            self.snapshot, self.parts = None, {}
            self.note = "copying the model…"
            self._clear_views()
            self.compute(self.generation, self.ranges)
        self._show_header()

    async def action_pause(self) -> None:
        """Pause (or resume) this run through the lab, then inspect it once it stops."""
        if not self.run.active:
            self.notify(f"Run {self.run.label} is over: its model is ready (r recomputes).")
            return
        self.app.lab.action_pause()
        self.action_recompute()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_zoom(self, factor: float) -> None:
        low, high = ZOOM_LIMITS
        self.ranges = replace(self.ranges, zoom=min(high, max(low, self.ranges.zoom * factor)))
        self.action_recompute()

    def action_directions(self) -> None:
        self.ranges = replace(self.ranges, seed=self.ranges.seed + 1)
        self.action_recompute()

    # -- background work --------------------------------------------------------
    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def compute(self, generation: int, ranges: Ranges) -> None:
        worker = get_current_worker()
        deadline = time.monotonic() + PARK_SECONDS
        try:
            snap = take_snapshot(self.run)
            while snap is None:      # a just-paused run finishes its step first
                if worker.is_cancelled or not self.run.paused or time.monotonic() > deadline:
                    self.post_message(self.Part(generation, "waiting", None))
                    return
                time.sleep(0.05)
                snap = take_snapshot(self.run)
            self.post_message(self.Part(generation, "snapshot", snap))
            for name, value in stages(snap, ranges, lambda: worker.is_cancelled):
                self.post_message(self.Part(generation, name, value))
        except Cancelled:   # closed, recomputed or quitting: nobody waits for the rest
            return
        except Exception as exc:     # a failed view must not take the UI down
            self.post_message(self.Part(generation, "failed", str(exc) or type(exc).__name__))

    def on_inspect_screen_part(self, message: Part) -> None:
        if message.generation != self.generation:
            return
        name, value = message.name, message.value
        if name == "snapshot":
            self.snapshot, self.note = value, ""
        elif name == "waiting":
            self.note = "the run has not stopped at its pause point: pause it (p), then r"
        elif name == "failed":
            self.note = f"inspection failed: {value}"
        else:
            self.parts[name] = value
            self._draw(name, value)
        self._show_header()

    # -- drawing --------------------------------------------------------------
    def _clear_views(self) -> None:
        self.query_one(JacobianPlot).show_profile(None)
        for plot in self.query(SlicePlot).results(SlicePlot):
            plot.clear()
        self.query_one(PlaneMap).show_plane(None, 2 * PLANE_SIDE + 1)

    def _draw(self, name: str, value) -> None:
        snap = self.snapshot
        if name == "profile":
            self.query_one(JacobianPlot).show_profile(value)
        elif name == "gradient":
            span = float(value.offsets[-1])
            self.query_one("#inspect-gradient", SlicePlot).show_line(
                value.offsets.tolist(), value.losses.tolist(), (0.0, snap.loss),
                f"val loss along −∇L, ±{span:.3g} (= {self.ranges.zoom:g}·‖θ‖)", "α: step along −∇L/‖∇L‖")
        elif name == "scale" and value.rho is not None:
            self.query_one("#inspect-scale", SlicePlot).show_line(
                value.rho.tolist(), value.losses.tolist(), (snap.rho, snap.loss),
                "val loss as W_hh scales, against its ρ (red: ρ = 1)", "ρ(W_hh)", guide=1.0)
        elif name == "scale":
            self.query_one("#inspect-scale", SlicePlot).show_line(
                value.offsets.tolist(), value.losses.tolist(), (1.0, snap.loss),
                "val loss with W_hh → s·W_hh (gated cell: no ρ line)", "s")
        elif name == "plane":
            self.query_one(PlaneMap).show_plane(value, 2 * PLANE_SIDE + 1)

    def _show_header(self) -> None:
        run, snap = self.run, self.snapshot
        state = run.state if run.active else f"{run.record.status} at step {run.record.reached_step}"
        lines = [f"Run {run.label}: {state}."]
        if snap is not None:
            facts = [f"copy at step {snap.step}", f"val loss {snap.loss:.4g} on {snap.batch.size} of "
                     f"{snap.sequences} validation sequences"]
            if snap.rho is not None:
                facts.append(f"ρ(W_hh) = {snap.rho:.3g}")
            if "profile" in self.parts:
                facts.append(f"Jacobian product ×{decay_per_step(self.parts['profile']):.3g} per step")
            lines.append(" · ".join(facts))
        if self.note:
            lines.append(self.note)
        elif snap is not None and "plane" in self.parts and len(self.parts["plane"].betas) == 2 * PLANE_SIDE + 1:
            lines.append("r recomputes · + − zoom the gradient slice and plane · d new random plane")
        self.query_one("#inspect-header", Static).update("\n".join(lines))
