"""The (w, b) loss grid as a half-block heatmap with descent paths drawn on top.

Each character cell holds two grid rows (``▀``: foreground upper, background
lower). The colour scale is fixed, 1e-6 … 0.5 in log10, so stepping T
changes the picture and not the legend: the walls sharpen in place.
"""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from rnntui.engine.landscape import Landscape, Trajectory
from rnntui.ui.widgets.heatmap import COLOUR_MAP, sample

LOG_LOW, LOG_HIGH = -6.0, math.log10(0.5)
GUTTER = 7                      # b tick labels on the left
MARKERS = {None: ("×", "#ff5f5f"), "clipped": ("•", "#ffffff")}   # unclipped, clipped
CURSOR = ("+", "#ffd700")
ARROWS = {(0, 0): "", (1, 0): "→", (-1, 0): "←", (0, 1): "↓", (0, -1): "↑",
          (1, 1): "↘", (1, -1): "↗", (-1, 1): "↙", (-1, -1): "↖"}   # (x, y from the top) -> way out


def marker(path: Trajectory) -> tuple[str, str]:
    return MARKERS[None if path.clip is None else "clipped"]


def colour_bar(cells: int = 8) -> Text:
    """The fixed loss colour scale, for the legend."""
    bar = Text("1e-6 ")
    for position in np.linspace(0, 1, cells):
        bar.append("█", Style(color=COLOUR_MAP.get_color(float(position)).rich_color))
    return bar.append(" 0.5")


class CliffMap(Widget):
    """Loss heatmap over (w, b); click to move the cursor."""

    DEFAULT_CSS = "CliffMap { width: 1fr; height: 1fr; }"

    class Picked(Message):
        """The user clicked the map at fractions (fx, fy) of its plot area, y from the top."""

        def __init__(self, fx: float, fy: float) -> None:
            super().__init__()
            self.fx, self.fy = fx, fy

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.landscape: Landscape | None = None
        self.paths: list[Trajectory] = []
        self.cursor: tuple[float, float] | None = None
        self.pending = ""
        self._cache: tuple[tuple, Text] | None = None

    def show(self, landscape: Landscape | None, paths: list[Trajectory], cursor: tuple[float, float],
             pending: str = "") -> None:
        """Draw ``landscape`` in its own ranges; ``pending`` names a newer grid still computing."""
        self.landscape, self.paths, self.cursor, self.pending = landscape, paths, cursor, pending
        self.refresh()

    @property
    def ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        land = self.landscape
        return (float(land.w[0]), float(land.w[-1])), (float(land.b[0]), float(land.b[-1]))

    @property
    def plot_size(self) -> tuple[int, int]:
        """Character columns and rows of the coloured area (title and w labels excluded)."""
        return self.size.width - GUTTER, self.size.height - 2

    def render(self) -> Text:
        key = (id(self.landscape), tuple(map(id, self.paths)), self.cursor, self.pending, self.size)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._draw())
        return self._cache[1]

    def _draw(self) -> Text:
        land = self.landscape
        columns, rows = self.plot_size
        if land is None or columns < 4 or rows < 2:
            return Text("computing the loss grid…" if land is None else "", style="bold")
        title = f"loss (σ(x_T) − 0.7)², T = {land.T}, log colour" + (f" (computing {self.pending}…)"
                                                                     if self.pending else "")
        logs = np.log10(np.clip(land.loss.numpy(), 10 ** LOG_LOW, None))
        cells = logs[::-1][np.ix_(sample(logs.shape[0], 2 * rows), sample(logs.shape[1], columns))]
        shades = (np.clip((cells - LOG_LOW) / (LOG_HIGH - LOG_LOW), 0, 1) * 63).round().astype(int)
        palette = [COLOUR_MAP.get_color(i / 63).rich_color for i in range(64)]
        overlay = self._overlay(columns, rows)
        (w0, w1), (b0, b1) = self.ranges
        text = Text(title[: self.size.width] + "\n", style="bold")
        for row in range(rows):
            label = f"{b1:.3g}" if row == 0 else f"{b0:.3g}" if row == rows - 1 else "b" if row == rows // 2 else ""
            text.append(f"{label:>{GUTTER - 1}} ")
            for col in range(columns):
                top, bottom = palette[shades[2 * row, col]], palette[shades[2 * row + 1, col]]
                if (row, col) in overlay:
                    glyph, colour = overlay[(row, col)]
                    text.append(glyph, Style(color=colour, bgcolor=top, bold=True))
                else:
                    text.append("▀", Style(color=top, bgcolor=bottom))
            text.append("\n")
        left, right = f"{w0:.3g}", f"{w1:.3g}"
        middle = "w".center(max(columns - len(left) - len(right), 1))
        text.append(" " * GUTTER + left + middle + right)
        return text

    def _place(self, w: float, b: float, columns: int, rows: int) -> tuple[int, int, str]:
        """The character cell for (w, b), clamped to the border; the arrow names the way off the map."""
        (w0, w1), (b0, b1) = self.ranges
        fx, fy = (w - w0) / (w1 - w0), (b1 - b) / (b1 - b0)
        arrow = ARROWS[(fx > 1) - (fx < 0), (fy > 1) - (fy < 0)]
        fx, fy = min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)
        return min(int(fy * 2 * rows), 2 * rows - 1) // 2, min(int(fx * columns), columns - 1), arrow

    def _overlay(self, columns: int, rows: int) -> dict[tuple[int, int], tuple[str, str]]:
        """Path markers (an arrow where a path leaves the map), then the cursor on top.

        The unclipped path goes last so its run-up to the wall stays visible where the two share cells.
        """
        cells: dict[tuple[int, int], tuple[str, str]] = {}
        for path in sorted(self.paths, key=lambda p: p.clip is None):
            glyph, colour = marker(path)
            for w, b, _ in path.points.tolist():
                row, col, arrow = self._place(w, b, columns, rows)
                cells[row, col] = (arrow or glyph, colour)
                if arrow:
                    break
        row, col, arrow = self._place(*self.cursor, columns, rows)
        if not arrow:
            cells[row, col] = CURSOR
        return cells

    def on_click(self, event: events.Click) -> None:
        columns, rows = self.plot_size
        x, y = event.x - GUTTER, event.y - 1
        if 0 <= x < columns and 0 <= y < rows:
            self.post_message(self.Picked((x + 0.5) / columns, (y + 0.5) / rows))
