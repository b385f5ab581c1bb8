"""What the plots and heatmaps draw: zeros, infinities and NaNs as what they are, keys off the data, whole steps.

Each view is mounted alone in a small app and fed a hand-made record, so the
picture's every row can be read back as text.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.app import App

from rnntui.engine.config import RunConfig
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics
from rnntui.engine.record import RunRecord
from rnntui.ui.widgets.heatmap import GradHeatmap, sample
from rnntui.ui.widgets.plots import ClipPlot, GradProfilePlot, LossPlot, MetricPlot
from rnntui.ui.widgets.scale import finite_runs, log10_values, log_axis, whole_ticks

from ui_helpers import drawn

CONFIG = RunConfig(task="adding", seq_len=100, cell="rnn_tanh", hidden_size=4, device="cpu")


def record(steps: int = 0, losses=None, probes=(), accuracy=None, diverged_at: int | None = None) -> RunRecord:
    rec = RunRecord(CONFIG)
    rec.apply(RunStarted(CONFIG, "cpu", 1000, 0, "accuracy" if accuracy is not None else "mse",
                         "max" if accuracy is not None else "min"))
    for step in range(1, steps + 1):
        loss = losses[step - 1] if losses is not None else 1.0 / step
        rec.apply(StepMetrics(step, float(step), loss, loss, loss, 100.0))
    for step, profile in probes:
        rec.apply(ProbeResult(step, tuple(profile), 1.0, 1.0, {}, (), 0))
    if accuracy is not None:
        for step in range(50, steps + 1, 50):
            rec.apply(Evaluation(step, float(step), 0.1, 0.1, {"accuracy": accuracy}))
    if diverged_at is not None:
        rec.apply(RunFinished("diverged", diverged_at, f"diverged at step {diverged_at}"))
    return rec


class Host(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


async def picture(widget, data, size=(60, 20)) -> list[str]:
    async with Host(widget).run_test(size=size) as pilot:
        widget.show(data)
        await pilot.pause()
        return drawn(widget).splitlines()


def row(lines: list[str], label: str) -> str:
    """The plot row whose y tick reads ``label`` (the part right of the axis)."""
    found = [line for line in lines if line.split("┤")[0].strip() == label and "┤" in line]
    assert found, f"no {label!r} row in:\n" + "\n".join(lines)
    return found[0].split("┤", 1)[1]


# -- the scale itself ------------------------------------------------------------
def test_log10_values_keep_zero_infinity_and_nan_apart():
    logs = log10_values([0.0, 1.0, 100.0, float("nan"), float("inf"), -2.0])
    assert logs[0] == -math.inf and logs[5] == -math.inf
    assert logs[1] == 0.0 and logs[2] == 2.0
    assert math.isnan(logs[3]) and logs[4] == math.inf


def test_log_axis_puts_zero_below_and_inf_above_the_data_with_their_own_labels():
    axis = log_axis([log10_values([0.0, 1e-6, 1e-2, float("inf")])])
    assert axis.labels[0] == "0" and axis.labels[-1] == "inf"
    finite_ticks = axis.ticks[1:-1]
    assert axis.ticks[0] < -6 <= min(finite_ticks) and axis.ticks[-1] > -2 >= max(finite_ticks) - 0.5
    assert "0" not in log_axis([log10_values([1.0, 2.0])]).labels


def test_finite_runs_break_at_nan_zero_and_inf():
    runs = finite_runs(range(7), log10_values([1, 2, np.nan, 3, 0, 4, np.inf]))
    assert [r[0].tolist() for r in runs] == [[0, 1], [3], [5]]


@pytest.mark.parametrize("low, high, count", [(1, 1000, 6), (1, 22, 5), (1, 6, 8), (300, 1271, 7)])
def test_whole_ticks_are_round_integers_inside_the_range(low, high, count):
    ticks = whole_ticks(low, high, count)
    assert ticks and all(isinstance(t, int) and low <= t <= high for t in ticks)
    assert len(set(np.diff(ticks))) <= 1 and len(ticks) <= count + 1


def test_heatmap_sampling_keeps_both_ends():
    assert sample(100, 40)[0] == 0 and sample(100, 40)[-1] == 99


# -- the views ---------------------------------------------------------------------
async def test_zero_gradients_sit_on_a_zero_row_never_at_one():
    """explode-noclip at step 10: ‖∂L/∂h_t‖ is exactly 0 for t = 1..97; it was drawn as a flat line at 1e0."""
    profile = [0.0] * 97 + [1e-3, 1e-2, 1e-1]
    lines = await picture(GradProfilePlot(), [record(probes=[(10, profile)])])
    zero = row(lines, "0")
    assert zero.count("•") >= 20, "zeros are not drawn on the 0 row"
    labels = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    assert "1e0" not in labels and labels[-1] == "0", labels   # the 0 row is the bottom one


async def test_infinite_and_nan_losses_are_an_inf_row_and_a_gap():
    losses = [1.0, 0.5, float("nan"), 0.3, 0.2, float("inf")]
    lines = await picture(LossPlot(), [record(6, losses)])
    assert "•" in row(lines, "inf")
    assert "gap: NaN" in lines[-1]


async def test_exact_zero_in_the_heatmap_is_dotted_and_named_in_the_legend():
    probes = [(1, [1e-3] * 10), (10, [0.0] * 8 + [1.0, float("inf")])]
    lines = await picture(GradHeatmap(), record(probes=probes), size=(60, 14))
    assert "·" in "".join(lines[1:-1])
    assert " 0" in lines[-1] and "nan/inf" in lines[-1]
    plain = await picture(GradHeatmap(), record(probes=[(1, [1e-3] * 10), (10, [1e-2] * 10)]), size=(60, 14))
    assert "·" not in "".join(plain) and "nan/inf" not in plain[-1]


async def test_the_key_is_below_the_axes_so_a_line_at_accuracy_one_stays_visible():
    lines = await picture(MetricPlot(), [record(300, accuracy=1.0)])
    top = row(lines, "1.00")
    assert top.count("•") >= 5, "the line at 1.00 is hidden"
    bottom = max(i for i, line in enumerate(lines) if "└" in line)
    assert "accuracy" in "\n".join(lines[bottom + 1:]) and "step" in lines[-1]
    assert "accuracy" not in "\n".join(lines[1:bottom])


async def test_step_ticks_are_whole_numbers():
    lines = await picture(LossPlot(), [record(1271)], size=(70, 16))
    ticks = lines[max(i for i, line in enumerate(lines) if "└" in line) + 1].split()
    assert ticks and all(tick.isdigit() for tick in ticks), ticks


async def test_divergence_is_marked_and_keyed():
    lines = await picture(ClipPlot(), [record(19, diverged_at=20)])
    assert "diverged" in lines[-1]
