"""The inspection views: Jacobian products, 1-D loss slices, and the random plane as a heatmap.

They keep what they were given and re-plot it on every render (see
:mod:`rnntui.ui.widgets.plots`); log axes are log10 values with ``1eK`` ticks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..widgets.gridmap import GridMap, GridPicture
from ..widgets.plots import LivePlot
from ..widgets.scale import finite_range, log10_values

if TYPE_CHECKING:
    from rnntui.engine.analysis.jacobian import JacobianProfile
    from rnntui.engine.analysis.slices import Plane

CURRENT = ("+", "#ffd700")


def decay_per_step(profile: JacobianProfile) -> float:
    """The factor the product norm changes by per step: the least-squares slope of log10 ‖∏‖ against k."""
    logs = profile.log10_norm.numpy()
    finite = np.isfinite(logs)
    if finite.sum() < 2:
        return float("nan")
    k = profile.distance.numpy()[finite]
    return float(10 ** np.polyfit(k, logs[finite], 1)[0])


class JacobianPlot(LivePlot):
    """‖∏ ∂s_j/∂s_{j−1}‖ against the distance k, the textbook prediction beside it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile: JacobianProfile | None = None

    def show_profile(self, profile: JacobianProfile | None) -> None:
        self.profile = profile
        self.refresh()

    def draw(self, plt, points: int) -> None:
        profile = self.profile
        if profile is None:
            plt.title("Jacobian products — computing…")
            return
        plt.title(f"‖∏ ∂h_j/∂h_j−1‖ vs k, layer 1: ×{decay_per_step(profile):.3g}/step")
        distance = profile.distance.tolist()
        self.plot_log10(plt, [(distance, profile.log10_norm.numpy(), "measured", self.colour("primary")),
                              (distance, profile.log10_reference.numpy(), profile.reference_label,
                               self.colour("warning"))], points)
        self.xlabel("distance k = T − t")


class SlicePlot(LivePlot):
    """Validation loss along one line through the run, log-y; the run marked, an optional guide line."""

    def __init__(self, *, id: str | None = None, waiting: str = "") -> None:
        super().__init__(id=id)
        self.waiting = waiting
        self.slice: tuple | None = None

    def show_line(self, xs: Sequence[float], losses: Sequence[float], current: tuple[float, float], title: str,
                  xlabel: str, guide: float | None = None) -> None:
        """``current`` is (x, loss) of the run; ``guide`` draws a vertical line (ρ = 1)."""
        self.slice = (list(xs), list(losses), current, title, xlabel, guide)
        self.refresh()

    def clear(self) -> None:
        self.slice = None
        self.refresh()

    def whole_x(self) -> bool:
        return False

    def draw(self, plt, points: int) -> None:
        if self.slice is None:
            plt.title(f"{self.waiting} — computing…")
            return
        xs, losses, (x0, loss0), title, xlabel, guide = self.slice
        plt.title(title)
        self.plot_log10(plt, [(xs, log10_values(losses), "val loss", self.colour("primary"))], points)
        if guide is not None:
            plt.vline(guide, self.colour("error"))
        here = float(log10_values([loss0])[0])
        if finite_range([np.array([here])]):
            plt.scatter([x0], [here], color=self.colour("warning"), marker="●")
            self.add_key("the run", self.colour("warning"), "●")
        self.xlabel(xlabel)


class PlaneMap(GridMap):
    """The random-directions plane, log colour, the run marked at the centre."""

    def show_plane(self, plane: Plane | None, total_rows: int) -> None:
        """Draw the plane once all ``total_rows`` rows are in; until then say how far it got."""
        if plane is None or len(plane.betas) < total_rows:
            self.picture = None
            self.placeholder = f"random plane: {0 if plane is None else len(plane.betas)}/{total_rows} rows…"
        else:
            logs = log10_values(plane.losses.numpy().ravel()).reshape(plane.losses.shape)
            finite = logs[np.isfinite(logs)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            span = (float(plane.alphas[0]), float(plane.alphas[-1]))
            title = f"random filter-normalised plane, loss {10 ** low:.2g}…{10 ** high:.2g} (log)"
            self.picture = GridPicture(logs, span, (float(plane.betas[0]), float(plane.betas[-1])), title,
                                       "α·d₁", "β·d₂", low, high)
        self.refresh()

    def overlay(self, columns: int, rows: int) -> dict[tuple[int, int], tuple[str, str]]:
        row, col, _ = self.place(0.0, 0.0, columns, rows)
        return {(row, col): CURRENT}
