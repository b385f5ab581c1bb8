"""A 2-D grid of values as a half-block heatmap with axis ranges and markers on top.

Each character cell holds two grid rows (``▀``: foreground upper, background
lower). The cliff explorer and the model-inspection plane both draw with it;
subclasses add their own markers through :meth:`GridMap.overlay`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from .heatmap import COLOUR_MAP, PALETTE, half_block, sample, shades

GUTTER = 7                      # y tick labels on the left
ARROWS = {(0, 0): "", (1, 0): "→", (-1, 0): "←", (0, 1): "↓", (0, -1): "↑",
          (1, 1): "↘", (1, -1): "↗", (-1, 1): "↙", (-1, -1): "↖"}   # (x, y from the top) -> way out


@dataclass(frozen=True)
class GridPicture:
    """``values[j, i]`` at (x_i, y_j), y ascending; colour runs from ``low`` to ``high`` (clamped)."""

    values: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    title: str
    x_label: str
    y_label: str
    low: float
    high: float


def colour_bar(low: str, high: str, cells: int = 8) -> Text:
    """The colour scale between two labels, for a legend."""
    bar = Text(f"{low} ")
    for position in np.linspace(0, 1, cells):
        bar.append("█", Style(color=COLOUR_MAP.get_color(float(position)).rich_color))
    return bar.append(f" {high}")


class GridMap(Widget):
    """Draws a :class:`GridPicture`; ``placeholder`` stands in until there is one."""

    DEFAULT_CSS = "GridMap { width: 1fr; height: 1fr; }"

    def __init__(self, *, id: str | None = None, placeholder: str = "computing…") -> None:
        super().__init__(id=id)
        self.picture: GridPicture | None = None
        self.placeholder = placeholder
        self._cache: tuple[tuple, Text] | None = None

    def state_key(self) -> tuple:
        """What the drawing depends on besides the picture and the size (subclasses add markers)."""
        return ()

    def render(self) -> Text:
        key = (id(self.picture), self.placeholder, self.state_key(), self.size)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._draw())
        return self._cache[1]

    @property
    def plot_size(self) -> tuple[int, int]:
        """Character columns and rows of the coloured area (title and x labels excluded)."""
        return self.size.width - GUTTER, self.size.height - 2

    def _draw(self) -> Text:
        picture = self.picture
        columns, rows = self.plot_size
        if picture is None or columns < 4 or rows < 2:
            return Text(self.placeholder if picture is None else "", style="bold")
        values = picture.values[::-1]
        cells = values[np.ix_(sample(values.shape[0], 2 * rows), sample(values.shape[1], columns))]
        indices = shades(cells, picture.low, max(picture.high - picture.low, 1e-12)).tolist()
        overlay = self.overlay(columns, rows)
        (x0, x1), (y0, y1) = picture.x_range, picture.y_range
        text = Text(picture.title[: self.size.width] + "\n", style="bold")
        for row in range(rows):
            label = (f"{y1:.3g}" if row == 0 else f"{y0:.3g}" if row == rows - 1 else
                     picture.y_label if row == rows // 2 else "")
            text.append(f"{label:>{GUTTER - 1}} ")
            for col in range(columns):
                top, bottom = indices[2 * row][col], indices[2 * row + 1][col]
                if (row, col) in overlay:
                    glyph, colour = overlay[(row, col)]
                    text.append(glyph, Style(color=colour, bgcolor=PALETTE[top], bold=True))
                else:
                    text.append(*half_block(top, bottom))
            text.append("\n")
        left, right = f"{x0:.3g}", f"{x1:.3g}"
        middle = picture.x_label.center(max(columns - len(left) - len(right), 1))
        text.append(" " * GUTTER + left + middle + right)
        return text

    def place(self, x: float, y: float, columns: int, rows: int) -> tuple[int, int, str]:
        """The character cell for (x, y), clamped to the border; the arrow names the way off the map."""
        (x0, x1), (y0, y1) = self.picture.x_range, self.picture.y_range
        fx, fy = (x - x0) / (x1 - x0), (y1 - y) / (y1 - y0)
        arrow = ARROWS[(fx > 1) - (fx < 0), (fy > 1) - (fy < 0)]
        fx, fy = min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)
        return min(int(fy * 2 * rows), 2 * rows - 1) // 2, min(int(fx * columns), columns - 1), arrow

    def overlay(self, columns: int, rows: int) -> dict[tuple[int, int], tuple[str, str]]:
        """Markers by character cell: (glyph, colour). None by default."""
        return {}
