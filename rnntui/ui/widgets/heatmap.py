"""‖∂L/∂h_t‖ over training as a half-block heatmap: the picture of vanishing gradients.

Rows are timesteps t (t = 1 at the top), columns are probes in training
order, colour is log10 of the norm. Each character cell shows two rows with
``▀`` (foreground = upper, background = lower), which plotext cannot do
without gaps. The rendered text is cached until the data or size changes.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.color import Color, Gradient
from textual.widget import Widget

from rnntui.engine.record import RunRecord

from .scale import log10_series

# Viridis stops: luminance rises monotonically, so it still reads in monochrome (NO_COLOR).
COLOUR_MAP = Gradient((0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"),
                      (1.0, "#fde725"), quality=64)
NOT_FINITE = Color.parse("#ff2d55")
GUTTER = 6


def sample(length: int, cells: int) -> np.ndarray:
    """Index of the source row/column shown in each of ``cells`` cells (nearest neighbour)."""
    return np.minimum((np.arange(cells) * length) // max(cells, 1), length - 1)


class GradHeatmap(Widget):
    """Timestep × training-step map of per-timestep gradient norms, log colour."""

    DEFAULT_CSS = "GradHeatmap { width: 1fr; height: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.record: RunRecord | None = None
        self._cache: tuple[object, Text] | None = None

    def show(self, record: RunRecord | None) -> None:
        self.record = record
        self.refresh()

    def render(self) -> Text:
        probes = self.record.probes[:] if self.record else []
        key = (id(self.record), len(probes), self.size)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._draw(probes))
        return self._cache[1]

    def _draw(self, probes) -> Text:
        title = "‖∂L/∂h_t‖ over training (log colour)"
        width, height = self.size.width, self.size.height
        columns, rows = width - GUTTER, height - 2
        if not probes or columns < 4 or rows < 1:
            return Text(title if probes else "‖∂L/∂h_t‖ heatmap — waiting for probes", style="bold")
        horizon = min(len(p.grad_per_timestep) for p in probes)
        matrix = log10_series([p.grad_per_timestep[:horizon] for p in probes]).T  # t × probe
        finite = matrix[np.isfinite(matrix)]
        low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        span = max(high - low, 1e-9)
        cells = matrix[np.ix_(sample(horizon, 2 * rows), sample(len(probes), columns))]
        text = Text(title[:width] + "\n", style="bold")
        for row in range(rows):
            label = "t=1" if row == 0 else f"t={horizon}" if row == rows - 1 else ""
            text.append(f"{label:>{GUTTER - 1}} ")
            upper, lower = cells[2 * row], cells[2 * row + 1]
            for top, bottom in zip(upper, lower):
                text.append("▀", self._style(top, bottom, low, span))
            text.append("\n")
        text.append(self._legend(probes, low, high, width))
        return text

    @staticmethod
    def _colour(value: float, low: float, span: float) -> Color:
        return COLOUR_MAP.get_color((value - low) / span) if np.isfinite(value) else NOT_FINITE

    def _style(self, top: float, bottom: float, low: float, span: float) -> Style:
        return Style(color=self._colour(top, low, span).rich_color,
                     bgcolor=self._colour(bottom, low, span).rich_color)

    @staticmethod
    def _legend(probes, low: float, high: float, width: int) -> Text:
        """Step range under the map, and the colour scale where it fits."""
        steps = f"{'':>{GUTTER}}step {probes[0].step}→{probes[-1].step}"
        bar = Text(f"1e{low:.0f} ")
        for position in np.linspace(0, 1, 6):
            bar.append("█", Style(color=COLOUR_MAP.get_color(float(position)).rich_color))
        bar.append(f" 1e{high:.0f}")
        gap = width - len(steps) - len(bar)
        return Text(steps + " " * gap) + bar if gap >= 1 else Text(steps)
