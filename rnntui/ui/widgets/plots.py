"""Live plots (textual-plotext), redrawn from data kept on the widget.

Every picture is plotted afresh from the stored records (when: see
:mod:`.cached`), so resizes and theme changes are safe, series are thinned to the current width, and log axes are drawn
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

from . import braille
from .cached import CachedLines
from .scale import (INF_LABEL, ZERO_LABEL, finite_range, finite_runs, log10_values, log_axis, thin,
                    whole_ticks)
from .series import StepColumns

braille.install()   # plotext's braille grouping, same output, a quarter of the cost

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


def ansi_colour(rgb: tuple[int, int, int]) -> str:
    return "\x1b[38;2;{};{};{}m".format(*rgb)


class LivePlot(CachedLines, PlotextPlot):
    """Base class: keeps the records it shows and re-plots them when they have news.

    The key (which colour is which series, what a gap or a 0 row means) and the x
    label share the last line, below the axes, so no legend ever hides the data.
    """

    READS: tuple[str, ...] = ("steps", "evaluations")   # the record lists this plot draws from

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.records: list[RunRecord] = []
        self.labels: list[str] = []
        self._shown: tuple = ()
        self._columns: dict[int, StepColumns] = {}
        self._key: dict[str, tuple[str, tuple[int, int, int]]] = {}   # label -> (glyph, rgb)
        self._notes: list[str] = []
        self._x_label = ""
        self._x_span: tuple[float, float] | None = None

    def show(self, records: Sequence[RunRecord], labels: Sequence[str] = (), *, background: bool = False) -> None:
        """Plot these runs; ``labels`` name each run in an overlay. Without news (the same runs,
        no new data this plot reads) nothing is redrawn; ``background``: see :class:`CachedLines`."""
        shown = (tuple(labels), *((id(r), r.status, *self.data_version(r)) for r in records))
        if shown == self._shown:
            return
        self._shown = shown
        self.records = list(records)
        self.labels = list(labels)
        self._columns = {id(r): self._columns.get(id(r)) or StepColumns(r) for r in self.records}
        self.news(background)

    def data_version(self, record: RunRecord) -> tuple:
        """What changes when ``record`` has news for this plot (the lengths of the lists it reads)."""
        return tuple(len(getattr(record, name)) for name in self.READS)

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

    def build_lines(self) -> list[Strip]:
        return ansi_strips(self.plot())

    def plot(self) -> str:
        """The current data drawn by plotext at the widget's size and theme, as ANSI text."""
        plt = self.plt
        plt.clear_figure()
        self._key, self._notes, self._x_label, self._x_span = {}, [], "", None
        width, height = self.size
        self.draw(plt, max(16, width))  # 2x the width made noisy series 3-6x slower to build
        if self.whole_x() and self._x_span is not None:
            label_width = len(str(int(self._x_span[1]))) + 4
            ticks = whole_ticks(*self._x_span, max(2, (width - 6) // label_width))
            if ticks:
                plt.xticks(ticks, [str(tick) for tick in ticks])
        plt.plotsize(width, height - 1)
        plt._set_size(width, height - 1)  # as PlotextPlot.render does (textual-plotext issue #5)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        return plt.build().rstrip("\n") + "\n" + self.key_line(width)

    def draw(self, plt, points: int) -> None:
        raise NotImplementedError

    def whole_x(self) -> bool:
        """Whether x holds whole numbers (steps, timesteps, distances): ticks then fall on them."""
        return True

    def xlabel(self, text: str) -> None:
        """The x axis name, right-aligned on the key line."""
        self._x_label = text

    def add_key(self, label: str, rgb: tuple[int, int, int], glyph: str = "──") -> None:
        if label:
            self._key.setdefault(label, (glyph, rgb))

    def note(self, text: str) -> None:
        """A remark for the key line, shown after the series while it fits."""
        if text not in self._notes:
            self._notes.append(text)

    def key_line(self, width: int) -> str:
        """Series colours, then notes, then the x label at the right; what does not fit is dropped."""
        room = width - (len(self._x_label) + 1 if self._x_label else 0)
        parts, used = [], 1
        for label, (glyph, rgb) in self._key.items():
            if used + len(glyph) + len(label) + 3 > room:
                break
            parts.append(f"{ansi_colour(rgb)}{glyph}{RESET} {label}")
            used += len(glyph) + len(label) + 3
        muted = ansi_colour(self.colour("foreground", 0.4))
        for text in self._notes:
            if used + len(text) + 2 > room:
                break
            parts.append(f"{muted}{text}{RESET}")
            used += len(text) + 2
        line = " " + "  ".join(parts)
        gap = max(1, width - used - len(self._x_label)) if self._x_label else 0
        return line + " " * gap + self._x_label

    def set_title(self, plt, *parts: str) -> None:
        """The title: the first part, then each further part that still fits (plotext drops a
        title wider than the plot minus 4 columns altogether, so the first is cut with … if need be)."""
        room = self.size.width - 4
        title = parts[0] if len(parts[0]) <= room else parts[0][: room - 1] + "…"
        for part in parts[1:]:
            if part and len(title) + 1 + len(part) <= room:
                title += f" {part}"
        plt.title(title)

    def widen_x(self, *xs: float) -> None:
        """Note x values drawn (the whole-number ticks span them all)."""
        values = [x for x in xs if np.isfinite(x)]
        if values:
            low, high = min(values), max(values)
            self._x_span = (low, high) if self._x_span is None else \
                (min(self._x_span[0], low), max(self._x_span[1], high))

    def line(self, plt, xs: Sequence[float], ys: Sequence[float], label: str, rgb: tuple[int, int, int],
             points: int, marker: str | None = None) -> None:
        """One series as lines through its finite stretches: a NaN (or a 0 / inf on a log axis) is a gap."""
        marker = marker or marker_for(xs)
        runs = finite_runs(xs, ys)
        total = sum(len(x) for x, _ in runs)
        for run_x, run_y in runs:
            x, y = thin(run_x, run_y, max(2, points * len(run_x) // max(total, 1)))
            plt.plot(x, y, color=rgb, marker=marker)
        xs_array = np.asarray(xs, dtype=float)
        if xs_array.size:
            self.widen_x(float(np.nanmin(xs_array)), float(np.nanmax(xs_array)))
        self.add_key(label, rgb, "•" if marker == "dot" else "──")
        if np.isnan(np.asarray(ys, dtype=float)).any():
            self.note("gap: NaN")

    def plot_log(self, plt, series: list[tuple[Sequence[float], Sequence[float], str, tuple]],
                 points: int) -> None:
        """Plot ``(xs, ys, label, rgb)`` series on a log10 y axis with ``1eK`` ticks."""
        self.plot_log10(plt, [(xs, log10_values(ys), label, rgb) for xs, ys, label, rgb in series], points)

    def plot_log10(self, plt, series: list[tuple[Sequence[float], Sequence[float], str, tuple]],
                   points: int) -> None:
        """Like :meth:`plot_log` for values already in log10 (so products past float range still plot).

        -inf (a zero) is drawn on the "0" row below the data and +inf on the "inf" row above,
        as dots: they are not on the log scale, so no line joins them to the data.
        """
        logs = [(xs, np.asarray(ys, dtype=float), label, rgb) for xs, ys, label, rgb in series]
        axis = log_axis([ys for _, ys, _, _ in logs])
        for xs, ys, label, rgb in logs:
            self.line(plt, xs, ys, label, rgb, points)
            for row, hits in ((axis.zero_row, np.isneginf(ys)), (axis.inf_row, np.isposinf(ys))):
                if hits.any():
                    x = np.asarray(xs, dtype=float)[hits]
                    x = x[np.linspace(0, len(x) - 1, min(len(x), points)).astype(int)]
                    plt.scatter(x.tolist(), [row] * len(x), color=rgb, marker="dot")
        if axis.ticks:
            plt.yticks(axis.ticks, axis.labels)
        if ZERO_LABEL in axis.labels:
            self.note("0: exactly zero")
        if INF_LABEL in axis.labels:
            self.note("inf: overflow")

    def mark_divergence(self, plt) -> None:
        for record in self.records:
            if record.status == "diverged" and record.finished_step:
                plt.vline(record.finished_step, self.colour("error"))
                self.add_key("diverged", self.colour("error"), "│")
                self.widen_x(record.finished_step)

    def run_label(self, index: int, what: str) -> str:
        """Series label: plain in a single-run plot, prefixed by the run in an overlay."""
        return f"{self.labels[index]} {what}" if self.labels else what


class LossPlot(LivePlot):
    """Training loss per step (faded) and validation loss per evaluation, log-y."""

    empty_title = "— press s to start"     # what the empty plot says (the Runs tab's overlay says how to fill it)

    def draw(self, plt, points: int) -> None:
        self.set_title(plt, "loss", "(log scale)" if self.records else self.empty_title)
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
        self.xlabel("step")


class MetricPlot(LivePlot):
    """The task's validation metric per evaluation (log-y when lower is better)."""

    READS = ("evaluations",)

    def draw(self, plt, points: int) -> None:
        if not self.records:
            self.set_title(plt, "metric")
            return
        first = self.records[0]
        lower_is_better = first.metric_goal == "min"
        waiting = "" if any(record.evaluations for record in self.records) else "— no evaluation yet"
        self.set_title(plt, f"val {first.metric_name}", waiting, "(log scale)" if lower_is_better else "")
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
            for xs, ys, label, rgb in series:
                self.line(plt, xs, ys, label, rgb, points)
            span = finite_range([np.asarray(ys, dtype=float) for _, ys, _, _ in series])
            if span and 0 <= span[0] and span[1] <= 1:
                plt.ylim(0, 1)
        self.mark_divergence(plt)
        self.xlabel("step")


class GradProfilePlot(LivePlot):
    """‖∂L/∂h_t‖ against t for the latest probe, the first probe faded behind it."""

    READS = ("probes",)

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
        self.xlabel("timestep t")


class ClipPlot(LivePlot):
    """Global gradient norm before and after clipping, with the threshold line."""

    READS = ("steps",)

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
        self.xlabel("step")


class TaskPlot(LivePlot):
    """The task's own picture: free-running sine vs truth, or recall truth vs prediction."""

    def data_version(self, record: RunRecord) -> tuple:
        return tuple((kind, view.step) for kind, view in record.views.copy().items())

    def whole_x(self) -> bool:
        return False

    def draw(self, plt, points: int) -> None:
        views = self.records[0].views if self.records else {}
        if "sine_generation" in views:
            view = views["sine_generation"]
            self.set_title(plt, f"free-running sine vs truth, step {view.step}")
            self.line(plt, view.x, view.truth, "truth", self.colour("foreground", 0.5), points, "braille")
            self.line(plt, view.x, view.prediction, "generated", self.colour("primary"), points, "braille")
            self.xlabel("t")
        elif "recall_scatter" in views:
            view = views["recall_scatter"]
            self.set_title(plt, f"recall: predicted vs true, step {view.step}")
            low, high = min(view.truth), max(view.truth)
            self.line(plt, [low, high], [low, high], "y = x", self.colour("foreground", 0.6), points, "braille")
            plt.scatter(list(view.truth), list(view.prediction), color=self.colour("primary"), marker="dot")
            self.add_key("predicted", self.colour("primary"), "•")
            self.xlabel("true")
        else:
            self.set_title(plt, "task view")
