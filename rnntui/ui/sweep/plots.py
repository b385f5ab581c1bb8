"""The sweep's two plots: mean ± std of the final metric, and the success fraction, per cell."""

from __future__ import annotations

from rnntui.engine.sweep import CurvePoint

from ..widgets.plots import RUN_COLOURS, LivePlot

NUMERIC_FIELDS = ("seq_len", "hidden_size")


class _SweepPlot(LivePlot):
    """Keeps the aggregated curve; x is the value itself for lengths and sizes, else its position."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[CurvePoint] = []
        self.field = "seq_len"
        self.values: tuple = ()
        self.cells: tuple[str, ...] = ()
        self.metric = "metric"

    def configure(self, field: str, values: tuple, cells: tuple[str, ...], metric: str) -> None:
        self.field, self.values, self.cells, self.metric = field, values, cells, metric
        self.refresh()

    def show_curve(self, points: list[CurvePoint]) -> None:
        self.points = list(points)
        self.refresh()

    def x(self, value) -> float:
        return float(value) if self.field in NUMERIC_FIELDS else float(self.values.index(value))

    def series(self, cell: str) -> list[CurvePoint]:
        order = {value: i for i, value in enumerate(self.values)}
        return sorted((p for p in self.points if p.cell == cell), key=lambda p: order.get(p.value, 0))

    def value_ticks(self) -> bool:
        """Whether a tick per swept value fits (always for fields that are not numbers)."""
        room = self.size.width - 8
        return self.field not in NUMERIC_FIELDS or sum(len(str(v)) + 2 for v in self.values) <= room

    def whole_x(self) -> bool:
        return not self.value_ticks()

    def axes(self, plt) -> None:
        self.xlabel(self.field)
        if self.values and self.value_ticks():
            plt.xticks([self.x(v) for v in self.values], [f"{v:g}" if isinstance(v, float) else str(v)
                                                          for v in self.values])
        if self.values:
            plt.xlim(min(map(self.x, self.values)), max(map(self.x, self.values)))


class SweepCurvePlot(_SweepPlot):
    """Mean final metric per value, with the ±1 std band drawn faint, one line per cell."""

    def draw(self, plt, points: int) -> None:
        plt.title(f"final val {self.metric}: mean ± std" + ("" if self.points else " — waiting for runs"))
        for i, cell in enumerate(self.cells):
            curve = [p for p in self.series(cell) if p.mean == p.mean]
            if not curve:
                continue
            xs = [self.x(p.value) for p in curve]
            colour = RUN_COLOURS[i % len(RUN_COLOURS)]
            for sign in (-1, 1):
                self.line(plt, xs, [p.mean + sign * p.std for p in curve], "", self.colour(colour, 0.6),
                          points, "dot")
            self.line(plt, xs, [p.mean for p in curve], cell, self.colour(colour), points, "hd")
            self.note("dots: ± 1 std")
        if self.metric == "accuracy":
            plt.ylim(0, 1)
        self.axes(plt)


class SuccessPlot(_SweepPlot):
    """Fraction of runs that met the task's success criterion, per value and cell."""

    def draw(self, plt, points: int) -> None:
        plt.title("success fraction")
        for i, cell in enumerate(self.cells):
            curve = [p for p in self.series(cell) if p.success_fraction is not None]
            if curve:
                self.line(plt, [self.x(p.value) for p in curve], [p.success_fraction for p in curve], cell,
                          self.colour(RUN_COLOURS[i % len(RUN_COLOURS)]), points, "hd")
        plt.ylim(0, 1)
        self.axes(plt)
