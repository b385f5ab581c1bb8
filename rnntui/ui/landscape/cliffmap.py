"""The (w, b) loss grid as a half-block heatmap with descent paths drawn on top.

The colour scale is fixed, 1e-6 … 0.5 in log10, so stepping T changes the
picture and not the legend: the walls sharpen in place.
"""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual import events
from textual.message import Message

from rnntui.engine.analysis.landscape import Landscape, Trajectory
from rnntui.ui.widgets.gridmap import GUTTER, GridMap, GridPicture, colour_bar

LOG_LOW, LOG_HIGH = -6.0, math.log10(0.5)
MARKERS = {None: ("×", "#ff5f5f"), "clipped": ("•", "#ffffff")}   # unclipped, clipped
CURSOR = ("+", "#ffd700")


def marker(path: Trajectory) -> tuple[str, str]:
    return MARKERS[None if path.clip is None else "clipped"]


def legend() -> Text:
    """The fixed loss colour scale (a loss below 1e-6 takes its lowest colour)."""
    return colour_bar("≤1e-6", "0.5")


class CliffMap(GridMap):
    """Loss heatmap over (w, b); click to move the cursor."""

    DEFAULT_CSS = "CliffMap { width: 1fr; height: 1fr; }"

    class Picked(Message):
        """The user clicked the map at fractions (fx, fy) of its plot area, y from the top."""

        def __init__(self, fx: float, fy: float) -> None:
            super().__init__()
            self.fx, self.fy = fx, fy

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, placeholder="computing the loss grid…")
        self.landscape: Landscape | None = None
        self.paths: list[Trajectory] = []
        self.cursor: tuple[float, float] | None = None
        self.pending = ""

    def show(self, landscape: Landscape | None, paths: list[Trajectory], cursor: tuple[float, float],
             pending: str = "") -> None:
        """Draw ``landscape`` in its own ranges; ``pending`` names a newer grid still computing."""
        if landscape is not self.landscape or pending != self.pending:
            self.picture = None if landscape is None else self._picture(landscape, pending)
        self.landscape, self.paths, self.cursor, self.pending = landscape, paths, cursor, pending
        self.refresh()

    @staticmethod
    def _picture(land: Landscape, pending: str) -> GridPicture:
        title = f"loss (σ(x_T) − 0.7)², T = {land.T}, log colour" + (f" (computing {pending}…)"
                                                                     if pending else "")
        return GridPicture(np.log10(np.clip(land.loss.numpy(), 10 ** LOG_LOW, None)),
                           (float(land.w[0]), float(land.w[-1])), (float(land.b[0]), float(land.b[-1])),
                           title, "w", "b", LOG_LOW, LOG_HIGH)

    def state_key(self) -> tuple:
        return tuple(map(id, self.paths)), self.cursor

    def overlay(self, columns: int, rows: int) -> dict[tuple[int, int], tuple[str, str]]:
        """Path markers (an arrow where a path leaves the map), then the cursor on top.

        The unclipped path goes last so its run-up to the wall stays visible where the two share cells.
        """
        cells: dict[tuple[int, int], tuple[str, str]] = {}
        for path in sorted(self.paths, key=lambda p: p.clip is None):
            glyph, colour = marker(path)
            for w, b, _ in path.points.tolist():
                row, col, arrow = self.place(w, b, columns, rows)
                cells[row, col] = (arrow or glyph, colour)
                if arrow:
                    break
        row, col, arrow = self.place(*self.cursor, columns, rows)
        if not arrow:
            cells[row, col] = CURSOR
        return cells

    def on_click(self, event: events.Click) -> None:
        columns, rows = self.plot_size
        x, y = event.x - GUTTER, event.y - 1
        if 0 <= x < columns and 0 <= y < rows:
            self.post_message(self.Picked((x + 0.5) / columns, (y + 0.5) / rows))
