"""‖∂L/∂h_t‖ over training as a half-block heatmap: the picture of vanishing gradients.

Rows are timesteps t (t = 1 at the top), columns are probes in training
order, colour is log10 of the norm. Each character cell shows two rows with
``▀`` (foreground = upper, background = lower), which plotext cannot do
without gaps. An exact zero has no log: it is black, dotted where both rows
are zero (so it reads without colour too), and a NaN or infinity is red; the
legend names both whenever they appear. Lines are built as Strips (Line API) and cached until the data
or the size changes (:mod:`.cached`), so a repaint costs almost nothing.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color, Gradient
from textual.strip import Strip

from rnntui.engine.record import RunRecord

from .cached import CachedLines
from .scale import log10_values

# Viridis stops: luminance rises monotonically, so it still reads in monochrome (NO_COLOR).
COLOUR_MAP = Gradient((0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"),
                      (1.0, "#fde725"), quality=64)
NOT_FINITE = Color.parse("#ff2d55")
ZERO = Color.parse("#000000")
ZERO_DOTS = Color.parse("#9e9e9e")
SHADES = 64
NOT_FINITE_SHADE, ZERO_SHADE = SHADES, SHADES + 1
# Shade i of the map is PALETTE[i]; then a NaN or infinity, then an exact zero (log10 = -inf).
PALETTE = [COLOUR_MAP.get_color(i / (SHADES - 1)).rich_color for i in range(SHADES)] + \
    [NOT_FINITE.rich_color, ZERO.rich_color]
GUTTER = 6
TITLE = "‖∂L/∂h_t‖ over training (log colour)"


def sample(length: int, cells: int) -> np.ndarray:
    """Index of the source row/column shown in each of ``cells`` cells (nearest neighbour, both ends kept)."""
    if cells <= 1:
        return np.zeros(max(cells, 0), dtype=int)
    return np.rint(np.linspace(0, length - 1, cells)).astype(int)


def shades(values: np.ndarray, low: float, span: float) -> np.ndarray:
    """Index into ``PALETTE`` of each log10 value: -inf (a zero) and NaN / +inf get their own."""
    scaled = np.clip((np.nan_to_num(values, posinf=0.0, neginf=0.0) - low) / span, 0, 1) * (SHADES - 1)
    special = np.where(np.isneginf(values), ZERO_SHADE, NOT_FINITE_SHADE)
    return np.where(np.isfinite(values), scaled.round(), special).astype(int)


@lru_cache(maxsize=4096)
def half_block(top: int, bottom: int) -> tuple[str, Style]:
    """The character and style of a cell showing shades ``top`` over ``bottom`` (zeros dotted)."""
    if top == bottom == ZERO_SHADE:
        return "·", Style(color=ZERO_DOTS.rich_color, bgcolor=PALETTE[ZERO_SHADE])
    return "▀", Style(color=PALETTE[top], bgcolor=PALETTE[bottom])


def special_swatches(cells: np.ndarray) -> list[tuple[str, Style]]:
    """Legend entries for the zero and non-finite colours, when the map shows them."""
    swatches = []
    if (cells == ZERO_SHADE).any():
        swatches.append((" ·", Style(color=ZERO_DOTS.rich_color, bgcolor=PALETTE[ZERO_SHADE])))
        swatches.append((" 0", Style()))
    if (cells == NOT_FINITE_SHADE).any():
        swatches.append((" █", Style(color=PALETTE[NOT_FINITE_SHADE])))
        swatches.append((" nan/inf", Style()))
    return swatches


class GradHeatmap(CachedLines):
    """Timestep × training-step map of per-timestep gradient norms, log colour."""

    DEFAULT_CSS = "GradHeatmap { width: 1fr; height: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.record: RunRecord | None = None
        self._shown: tuple = ()

    def show(self, record: RunRecord | None, *, background: bool = False) -> None:
        """Map this run's probes; without a new probe (or a new run) nothing is redrawn."""
        shown = (id(record), len(record.probes) if record else 0)
        if shown == self._shown:
            return
        self._shown = shown
        self.record = record
        self.news(background)

    def build_lines(self) -> list[Strip]:
        return self._build(self.record.probes[:] if self.record else [])

    def _text(self, text: str, style: Style | None = None) -> Strip:
        return Strip([Segment(text, self.rich_style + style if style else self.rich_style)])

    def _build(self, probes) -> list[Strip]:
        width, height = self.size.width, self.size.height
        columns, rows = width - GUTTER, height - 2
        if not probes or columns < 4 or rows < 1:
            return [self._text("‖∂L/∂h_t‖ heatmap — waiting for probes", Style(bold=True))]
        horizon = min(len(p.grad_per_timestep) for p in probes)
        matrix = log10_values([p.grad_per_timestep[:horizon] for p in probes]).T  # t × probe
        finite = matrix[np.isfinite(matrix)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        span = max(high - low, 1e-9)
        cells = shades(matrix[np.ix_(sample(horizon, 2 * rows), sample(len(probes), columns))], low, span)
        lines = [self._text(TITLE, Style(bold=True))]
        for row in range(rows):
            label = "t=1" if row == 0 else f"t={horizon}" if row == rows - 1 else ""
            segments = [Segment(f"{label:>{GUTTER - 1}} ", self.rich_style)]
            for top, bottom in zip(cells[2 * row].tolist(), cells[2 * row + 1].tolist()):
                segments.append(Segment(*half_block(top, bottom)))
            lines.append(Strip(segments).simplify())
        lines.append(self._legend(probes, low, high, width, special_swatches(cells)))
        return lines

    def _legend(self, probes, low: float, high: float, width: int, extra: list[tuple[str, Style]]) -> Strip:
        """Step range under the map and the colour scale; what zero and nan/inf look like comes first."""
        steps = f"{'':>{GUTTER}}step {probes[0].step}→{probes[-1].step}"
        scale = [Segment(f"1e{low:.0f} ", self.rich_style)]
        scale += [Segment("█", Style(color=COLOUR_MAP.get_color(float(p)).rich_color))
                  for p in np.linspace(0, 1, 6)]
        scale.append(Segment(f" 1e{high:.0f}", self.rich_style))
        special = [Segment(text, self.rich_style + style) for text, style in extra]
        for lead, parts in ((steps, scale + special), ("", scale + special), ("", special)):
            gap = width - len(lead) - sum(len(s.text) for s in parts)
            if gap >= 1 and parts:
                return Strip([Segment(lead + " " * gap, self.rich_style), *parts])
        return self._text(steps)
