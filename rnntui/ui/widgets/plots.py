"""Live plots (textual-plotext), redrawn from data kept on the widget.

Every repaint re-plots from the stored records, so resizes and theme changes
are safe, series are thinned to the current width, and log axes are drawn
as ``log10`` values with ``1eK`` labels (plotext 5's log scale breaks on
rebuild). Colours come from the app theme so the plots follow it.

plotext's ANSI text is turned into Strips here (Line API): rich's general
ANSI decoder and Textual's Text-to-Content conversion took twice as long as
the plotext build itself, on the UI thread, several times a second.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.strip import Strip
from textual_plotext import PlotextPlot

from rnntui.engine.record import RunRecord

from .scale import log10_series, log_ticks, thin
from .series import StepColumns

RUN_COLOURS = ("primary", "warning", "success", "error")
SPARSE = 40


ANSI_TOKEN = re.compile(r"(\x1b\[[0-9;]*m)|([^\x1b]+)")
RESET = "\x1b[0m"


@lru_cache(maxsize=512)
def ansi_style(escapes: str) -> Style:
    """rich's reading of the escape codes in force (a plot uses only a handful of them)."""
    spans = Text.from_ansi(escapes + " ").spans
    return spans[0].style if spans else Style()


def ansi_strips(text: str) -> list[Strip]:
    """plotext's output as one Strip per line: runs of text after ``ESC[...m`` codes, ``ESC[0m`` resets."""
    strips = []
    for line in text.splitlines():
        segments, escapes = [], ""
        for escape, chunk in ANSI_TOKEN.findall(line):
            if escape:
                escapes = "" if escape == RESET else escapes + escape
            else:
                segments.append(Segment(chunk, ansi_style(escapes)))
        strips.append(Strip(segments))
    return strips


def marker_for(xs: Sequence[float]) -> str:
    """Braille lines for dense series; visible dots for a few evaluations."""
    return "braille" if len(xs) > SPARSE else "dot"


class LivePlot(PlotextPlot):
    """Base class: keeps the records it shows and re-plots them on every repaint."""

    _drawn: tuple[object, list[Strip]] | None = None   # (size, lines) of the last plot

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.records: list[RunRecord] = []
        self.labels: list[str] = []
        self._columns: dict[int, StepColumns] = {}

    def show(self, records: Sequence[RunRecord], labels: Sequence[str] = ()) -> None:
        """Plot these runs; ``labels`` name each run in an overlay."""
        self.records = list(records)
        self.labels = list(labels)
        self._columns = {id(r): self._columns.get(id(r)) or StepColumns(r) for r in self.records}
        self.refresh()

    def steps(self, record: RunRecord) -> StepColumns:
        """The record's per-step columns, brought up to date."""
        return self._columns.setdefault(id(record), StepColumns(record)).update()

    def colour(self, name: str, fade: float = 0.0) -> tuple[int, int, int]:
        """A theme colour as RGB, optionally faded towards the plot background."""
        variables = self.app.theme_variables
        colour = Color.parse(variables.get(name, variables["foreground"]))
        if fade:
            colour = colour.blend(Color.parse(variables["surface"]), fade)
        return colour.rgb

    def refresh(self, *regions, **kwargs):
        self._drawn = None  # new data, theme or size: plot again on the next paint
        return super().refresh(*regions, **kwargs)

    def render_line(self, y: int) -> Strip:
        if self._drawn is None or self._drawn[0] != self.size:
            self._drawn = (self.size, ansi_strips(self.plot()))
        lines = self._drawn[1]
        return (lines[y] if y < len(lines) else Strip.blank(0, self.rich_style)).crop_extend(0, self.size.width, self.rich_style)

    def plot(self) -> str:
        """The current data drawn by plotext at the widget's size and theme, as ANSI text."""
        plt = self.plt
        plt.clear_figure()
        self.draw(plt, max(16, self.size.width))  # 2x the width made noisy series 3-6x slower to build
        width, height = self.size
        plt.plotsize(width, height)
        plt._set_size(width, height)  # as PlotextPlot.render does (textual-plotext issue #5)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        return plt.build()

    def draw(self, plt, points: int) -> None:
        raise NotImplementedError

    def set_title(self, plt, *parts: str) -> None:
        """The title: the first part, then each further part that still fits (plotext drops a
        title wider than the plot minus 4 columns altogether, so the first is cut with … if need be)."""
        room = self.size.width - 4
        title = parts[0] if len(parts[0]) <= room else parts[0][: room - 1] + "…"
        for part in parts[1:]:
            if part and len(title) + 1 + len(part) <= room:
                title += f" {part}"
        plt.title(title)

    def plot_log(self, plt, series: list[tuple[Sequence[float], Sequence[float], str, tuple]],
                 points: int) -> None:
        """Plot ``(xs, ys, label, rgb)`` series on a log10 y axis with ``1eK`` ticks."""
        self.plot_log10(plt, [(xs, log10_series(ys), label, rgb) for xs, ys, label, rgb in series], points)

    def plot_log10(self, plt, series: list[tuple[Sequence[float], Sequence[float], str, tuple]],
                   points: int) -> None:
        """Like :meth:`plot_log` for values already in log10 (so products past float range still plot)."""
        low, high = np.inf, -np.inf
        for xs, ys, label, rgb in series:
            x, y = thin(xs, ys, points)
            if x:
                plt.plot(x, y, label=label or None, color=rgb, marker=marker_for(xs))
                low, high = min(low, min(y)), max(high, max(y))
        ticks, labels = log_ticks(low, high)
        if ticks:
            plt.yticks(ticks, labels)

    def mark_divergence(self, plt) -> None:
        for record in self.records:
            if record.status == "diverged" and record.finished_step:
                plt.vline(record.finished_step, self.colour("error"))

    def run_label(self, index: int, what: str) -> str:
        """Series label: plain in a single-run plot, prefixed by the run in an overlay."""
        return f"{self.labels[index]} {what}" if self.labels else what


class LossPlot(LivePlot):
    """Training loss per step (faded) and validation loss per evaluation, log-y."""

    def draw(self, plt, points: int) -> None:
        self.set_title(plt, "loss", "(log scale)" if self.records else "— press s to start")
        series = []
        for i, record in enumerate(self.records):
            base = RUN_COLOURS[i % len(RUN_COLOURS)]
            steps = self.steps(record)
            evaluations = record.evaluations[:]
            series.append((steps["step"], steps["loss"], self.run_label(i, "train"), self.colour(base, 0.55)))
            series.append(([e.step for e in evaluations], [e.val_loss for e in evaluations],
                           self.run_label(i, "val"), self.colour(base if len(self.records) > 1 else "accent")))
        self.plot_log(plt, series, points)
        self.mark_divergence(plt)
        plt.xlabel("step")


class MetricPlot(LivePlot):
    """The task's validation metric per evaluation (log-y when lower is better)."""

    def draw(self, plt, points: int) -> None:
        if not self.records:
            self.set_title(plt, "metric")
            return
        first = self.records[0]
        lower_is_better = first.metric_goal == "min"
        self.set_title(plt, f"val {first.metric_name}", "(log scale)" if lower_is_better else "")
        series = []
        for i, record in enumerate(self.records):
            evaluations = record.evaluations[:]
            xs = [e.step for e in evaluations]
            ys = [e.metrics.get(record.metric_name, np.nan) for e in evaluations]
            series.append((xs, ys, self.run_label(i, record.metric_name),
                           self.colour(RUN_COLOURS[i % len(RUN_COLOURS)])))
        if lower_is_better:
            self.plot_log(plt, series, points)
        else:
            values = []
            for xs, ys, label, rgb in series:
                x, y = thin(xs, np.asarray(ys, dtype=float), points)
                if x:
                    plt.plot(x, y, label=label, color=rgb, marker=marker_for(xs))
                    values += y
            if values and 0 <= min(values) and max(values) <= 1:
                plt.ylim(0, 1)
        self.mark_divergence(plt)
        plt.xlabel("step")


class GradProfilePlot(LivePlot):
    """‖∂L/∂h_t‖ against t for the latest probe, the first probe faded behind it."""

    def draw(self, plt, points: int) -> None:
        probes = self.records[0].probes[:] if self.records else []
        if not probes:
            self.set_title(plt, "‖∂L/∂h_t‖ vs t", "— waiting for a probe")
            return
        first, latest = probes[0], probes[-1]
        ts = range(1, len(latest.grad_per_timestep) + 1)
        self.set_title(plt, f"‖∂L/∂h_t‖ vs t, step {latest.step}", f"· reach {latest.reach}",
                       f"· faded: step {first.step}")
        series = [(ts, latest.grad_per_timestep, f"step {latest.step}", self.colour("primary"))]
        if first is not latest:
            series.insert(0, (ts, first.grad_per_timestep, f"step {first.step}", self.colour("primary", 0.65)))
        if latest.cell_grad_per_timestep:   # the LSTM's memory path, beside the h path
            series.append((ts, latest.cell_grad_per_timestep, "‖∂L/∂c_t‖", self.colour("secondary")))
        self.plot_log(plt, series, points)
        plt.xlabel("timestep t")


class ClipPlot(LivePlot):
    """Global gradient norm before and after clipping, with the threshold line."""

    def draw(self, plt, points: int) -> None:
        if not self.records:
            self.set_title(plt, "gradient norm")
            return
        record = self.records[0]
        steps = self.steps(record)
        xs = steps["step"]
        clipping = record.config.clip != "none"
        series = [(xs, steps["grad_norm"], "before clip" if clipping else "", self.colour("warning"))]
        if clipping:
            threshold = record.config.clip_threshold
            self.set_title(plt, f"grad norm, {record.config.clip} clip at {threshold:g}", "(log scale)")
            series.append((xs, steps["clipped_norm"], "after clip", self.colour("primary")))
            series.append(([xs[0], xs[-1]] if len(xs) else [0, 1], [threshold, threshold], "threshold",
                           self.colour("error")))
        else:
            self.set_title(plt, "grad norm, no clipping", "(log scale)")
        self.plot_log(plt, series, points)
        self.mark_divergence(plt)
        plt.xlabel("step")


class TaskPlot(LivePlot):
    """The task's own picture: free-running sine vs truth, or recall truth vs prediction."""

    def draw(self, plt, points: int) -> None:
        views = self.records[0].views if self.records else {}
        if "sine_generation" in views:
            view = views["sine_generation"]
            self.set_title(plt, f"free-running sine vs truth, step {view.step}")
            plt.plot(list(view.x), list(view.truth), label="truth", color=self.colour("foreground", 0.5),
                     marker="braille")
            plt.plot(list(view.x), list(view.prediction), label="generated", color=self.colour("primary"),
                     marker="braille")
        elif "recall_scatter" in views:
            view = views["recall_scatter"]
            self.set_title(plt, f"recall: predicted vs true, step {view.step}")
            low, high = min(view.truth), max(view.truth)
            plt.plot([low, high], [low, high], color=self.colour("foreground", 0.6), marker="braille")
            plt.scatter(list(view.truth), list(view.prediction), color=self.colour("primary"), marker="dot")
            plt.xlabel("true")
        else:
            self.set_title(plt, "task view")
