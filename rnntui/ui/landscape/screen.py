"""The cliff explorer screen: Pascanu et al.'s Fig. 6, live.

Grids and descent paths are computed in thread workers (exclusive per kind,
results for a stale view are dropped), so holding ``]`` never blocks keys.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from rnntui.engine.analysis.landscape import Landscape, Trajectory, descend, grid, loss_and_grad

from ..screens.help import HelpScreen, help_binding
from .cliffmap import CliffMap
from .panel import describe
from .view import View

PLAIN, CLIPPED = "plain", "clipped"


HELP_INTRO = """\
Pascanu et al.'s Fig. 6, live: the loss of a one-unit RNN x_t = w·σ(x_{t−1}) + b over
(w, b), and gradient descent from the cursor **+** with and without clipping. Near the
wall the unclipped gradient throws the path far away; the clipped one steps over."""

HELP_NOTES = """\
The colour is the loss on a fixed log scale (≤1e-6 … 0.5), so stepping T sharpens the
walls in place. × marks the unclipped path, • the clipped one; an arrow at the border
shows where a path left the map. The panel on the right gives the numbers."""


class LandscapeScreen(Screen):
    """Loss heatmap of the one-unit system, with a pair of descent paths from the cursor."""

    CSS_PATH = "landscape.tcss"
    BINDINGS = [
        Binding("left_square_bracket", "step_T(-1)", "T−", tooltip="shorter sequences T", id="landscape.t_down"),
        Binding("right_square_bracket", "step_T(1)", "T+", tooltip="longer sequences T", id="landscape.t_up"),
        Binding("enter", "descend('both')", "Descend",
                tooltip="descend from + with and without clipping", id="landscape.descend"),
        Binding("d", "descend('plain')", "No clip", tooltip="add the path without clipping",
                id="landscape.plain", show=False),
        Binding("c", "descend('clipped')", "Clipped", tooltip="add the clipped path", id="landscape.clipped",
                show=False),
        Binding("backspace,delete", "clear", "Clear", tooltip="clear the paths", id="landscape.clear", show=False),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", tooltip="zoom in", id="landscape.zoom_in"),
        Binding("minus", "zoom(2.0)", "Zoom out", tooltip="zoom out", id="landscape.zoom_out"),
        Binding("r", "resolution(1)", "Finer", tooltip="finer grid", id="landscape.finer", show=False),
        Binding("R", "resolution(-1)", "Coarser", tooltip="coarser grid", id="landscape.coarser", show=False),
        Binding("l", "cycle('lr')", "lr", tooltip="next descent learning rate", id="landscape.lr", show=False),
        Binding("k", "cycle('clip')", "Clip at", tooltip="next clipping threshold", id="landscape.clip",
                show=False),
        Binding("m", "cycle('steps')", "Steps", tooltip="next number of descent steps", id="landscape.steps",
                show=False),
        Binding("0,home", "reset", "Reset view", tooltip="back to the starting ranges", id="landscape.reset",
                show=False),
        Binding("up", "move(0, 1)", "Up", tooltip="move + (arrows; a click too)", show=False),
        Binding("down", "move(0, -1)", "Down", tooltip="move + (arrows; a click too)", show=False),
        Binding("left", "move(-1, 0)", "Left", tooltip="move + (arrows; a click too)", show=False),
        Binding("right", "move(1, 0)", "Right", tooltip="move + (arrows; a click too)", show=False),
        Binding("shift+up", "pan(0, 1)", "Pan up", tooltip="pan the map", show=False),
        Binding("shift+down", "pan(0, -1)", "Pan down", tooltip="pan the map", show=False),
        Binding("shift+left", "pan(-1, 0)", "Pan left", tooltip="pan the map", show=False),
        Binding("shift+right", "pan(1, 0)", "Pan right", tooltip="pan the map", show=False),
        Binding("escape", "app.pop_screen", "Back", tooltip="back to the lab", id="landscape.back"),
        help_binding("landscape"),
    ]
    HELP = ("Cliff explorer", HELP_INTRO, HELP_NOTES)

    class GridReady(Message):
        def __init__(self, key: tuple, landscape: Landscape) -> None:
            super().__init__()
            self.key, self.landscape = key, landscape

    class PathsReady(Message):
        def __init__(self, key: tuple, paths: list[Trajectory]) -> None:
            super().__init__()
            self.key, self.paths = key, paths

    def __init__(self, view: View | None = None) -> None:
        super().__init__()
        self.view = view or View()
        self.landscape: Landscape | None = None
        self.landscape_key: tuple | None = None
        self.start: tuple[float, float] | None = None   # shared start of the shown paths
        self.kinds: tuple[str, ...] = ()
        self.paths: list[Trajectory] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="landscape-body"):
            yield CliffMap(id="cliff-map")
            yield Static(id="cliff-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.compute_grid(self.view)
        self._show()

    # -- state changes ------------------------------------------------------
    def _set_view(self, view: View) -> None:
        old, self.view = self.view, view
        if view.grid_key != old.grid_key:
            self.compute_grid(view)
        if self.kinds and view.descent_key != old.descent_key:
            self.compute_paths()
        self._show()

    def action_step_T(self, step: int) -> None:
        self._set_view(self.view.step_T(step))

    def action_zoom(self, factor: float) -> None:
        self._set_view(self.view.zoom(factor))

    def action_resolution(self, step: int) -> None:
        self._set_view(self.view.step_resolution(step))

    def action_reset(self) -> None:
        self._set_view(self.view.reset_ranges())

    def action_cycle(self, knob: str) -> None:
        self._set_view(self.view.cycle(knob))

    def action_pan(self, dw: int, db: int) -> None:
        self._set_view(self.view.pan(dw, db))

    def action_move(self, dw: int, db: int) -> None:
        self._set_view(self.view.move(dw, db))

    def on_cliff_map_picked(self, message: CliffMap.Picked) -> None:
        self._set_view(self.view.pick(message.fx, message.fy))

    def action_descend(self, which: str) -> None:
        """Add the ``which`` path ('plain', 'clipped' or 'both'); a moved cursor starts a new pair."""
        if self.start != self.view.cursor:
            self.start, self.kinds = self.view.cursor, ()
        wanted = (PLAIN, CLIPPED) if which == "both" else (which,)
        self.kinds = tuple(k for k in (PLAIN, CLIPPED) if k in wanted or k in self.kinds)
        self.compute_paths()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_clear(self) -> None:
        self.start, self.kinds, self.paths = None, (), []
        self.workers.cancel_group(self, "cliff-paths")
        self._show()

    # -- background work ----------------------------------------------------
    def _paths_key(self) -> tuple:
        return self.start, self.kinds, *self.view.descent_key

    @work(thread=True, exclusive=True, group="cliff-grid", exit_on_error=False)
    def compute_grid(self, view: View) -> None:
        land = grid(view.w_range, view.b_range, view.resolution, view.T)
        if not get_current_worker().is_cancelled:
            self.post_message(self.GridReady(view.grid_key, land))

    def compute_paths(self) -> None:
        self._descend(self._paths_key())

    @work(thread=True, exclusive=True, group="cliff-paths", exit_on_error=False)
    def _descend(self, key: tuple) -> None:
        start, kinds, T, lr, clip, steps = key
        clips = [None if kind == PLAIN else clip for kind in kinds]
        paths = descend([start] * len(kinds), T, lr, steps, clips)
        if not get_current_worker().is_cancelled:
            self.post_message(self.PathsReady(key, paths))

    def on_landscape_screen_grid_ready(self, message: GridReady) -> None:
        if message.key == self.view.grid_key:
            self.landscape, self.landscape_key = message.landscape, message.key
            self._show()

    def on_landscape_screen_paths_ready(self, message: PathsReady) -> None:
        if message.key == self._paths_key():
            self.paths = message.paths
            self._show()

    # -- drawing ------------------------------------------------------------
    def _show(self) -> None:
        fresh = self.landscape_key == self.view.grid_key
        pending = "" if fresh else f"T = {self.view.T}, {self.view.resolution}²"
        self.query_one(CliffMap).show(self.landscape, self.paths, self.view.cursor, pending)
        loss, gw, gb = (float(v) for v in loss_and_grad(*self.view.cursor, self.view.T))
        summary = self.landscape.summary() if fresh else None
        self.query_one("#cliff-panel", Static).update(
            describe(self.view, summary, (loss, (gw * gw + gb * gb) ** 0.5), self.paths))
