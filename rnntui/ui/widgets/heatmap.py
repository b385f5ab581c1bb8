"""‖∂L/∂h_t‖ over training as a half-block heatmap: the picture of vanishing gradients.

Rows are timesteps t (t = 1 at the top), columns are probes in training
order, colour is log10 of the norm. Each character cell shows two rows with
``▀`` (foreground = upper, background = lower), which plotext cannot do
without gaps. Lines are built as Strips (Line API) and cached until the data
or the size changes, so a repaint costs almost nothing.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color, Gradient
from textual.strip import Strip
from textual.widget import Widget

from rnntui.engine.record import RunRecord

from .scale import log10_series

# Viridis stops: luminance rises monotonically, so it still reads in monochrome (NO_COLOR).
COLOUR_MAP = Gradient((0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"),
                      (1.0, "#fde725"), quality=64)
NOT_FINITE = Color.parse("#ff2d55")
SHADES = 64
# Shade i of the map is PALETTE[i]; the last entry marks a non-finite norm.
PALETTE = [COLOUR_MAP.get_color(i / (SHADES - 1)).rich_color for i in range(SHADES)] + [NOT_FINITE.rich_color]
GUTTER = 6
TITLE = "‖∂L/∂h_t‖ over training (log colour)"


def sample(length: int, cells: int) -> np.ndarray:
    """Index of the source row/column shown in each of ``cells`` cells (nearest neighbour)."""
    return np.minimum((np.arange(cells) * length) // max(cells, 1), length - 1)


def shades(values: np.ndarray, low: float, span: float) -> np.ndarray:
    """Index into ``PALETTE`` of each value (the last index for non-finite ones)."""
    scaled = np.clip((np.nan_to_num(values) - low) / span, 0, 1) * (SHADES - 1)
    return np.where(np.isfinite(values), scaled.round(), SHADES).astype(int)


class GradHeatmap(Widget):
    """Timestep × training-step map of per-timestep gradient norms, log colour."""

    DEFAULT_CSS = "GradHeatmap { width: 1fr; height: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.record: RunRecord | None = None
        self._key: object = None
        self._lines: list[Strip] = []

    def show(self, record: RunRecord | None) -> None:
        self.record = record
        self.refresh()

    def render_line(self, y: int) -> Strip:
        probes = self.record.probes[:] if self.record else []
        key = (id(self.record), len(probes), self.size)
        if key != self._key:
            self._key = key
            self._lines = self._build(probes)
        line = self._lines[y] if y < len(self._lines) else Strip.blank(0, self.rich_style)
        return line.crop_extend(0, self.size.width, self.rich_style)

    def _text(self, text: str, style: Style | None = None) -> Strip:
        return Strip([Segment(text, self.rich_style + style if style else self.rich_style)])

    def _build(self, probes) -> list[Strip]:
        width, height = self.size.width, self.size.height
        columns, rows = width - GUTTER, height - 2
        if not probes or columns < 4 or rows < 1:
            return [self._text("‖∂L/∂h_t‖ heatmap — waiting for probes", Style(bold=True))]
        horizon = min(len(p.grad_per_timestep) for p in probes)
        matrix = log10_series([p.grad_per_timestep[:horizon] for p in probes]).T  # t × probe
        finite = matrix[np.isfinite(matrix)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        span = max(high - low, 1e-9)
        cells = shades(matrix[np.ix_(sample(horizon, 2 * rows), sample(len(probes), columns))], low, span)
        styles: dict[tuple[int, int], Style] = {}  # a Style per colour pair, not per cell
        lines = [self._text(TITLE, Style(bold=True))]
        for row in range(rows):
            label = "t=1" if row == 0 else f"t={horizon}" if row == rows - 1 else ""
            segments = [Segment(f"{label:>{GUTTER - 1}} ", self.rich_style)]
            for pair in zip(cells[2 * row].tolist(), cells[2 * row + 1].tolist()):
                style = styles.get(pair)
                if style is None:
                    style = styles[pair] = Style(color=PALETTE[pair[0]], bgcolor=PALETTE[pair[1]])
                segments.append(Segment("▀", style))
            lines.append(Strip(segments).simplify())
        lines.append(self._legend(probes, low, high, width))
        return lines

    def _legend(self, probes, low: float, high: float, width: int) -> Strip:
        """Step range under the map, and the colour scale where it fits."""
        steps = f"{'':>{GUTTER}}step {probes[0].step}→{probes[-1].step}"
        scale = [Segment(f"1e{low:.0f} ", self.rich_style)]
        scale += [Segment("█", Style(color=COLOUR_MAP.get_color(float(p)).rich_color))
                  for p in np.linspace(0, 1, 6)]
        scale.append(Segment(f" 1e{high:.0f}", self.rich_style))
        gap = width - len(steps) - sum(len(s.text) for s in scale)
        if gap < 1:
            return self._text(steps)
        return Strip([Segment(steps + " " * gap, self.rich_style), *scale])
