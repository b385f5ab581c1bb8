"""The sweep view through Pilot: the curve fills in, progress reaches the end, keys pause and stop."""

from __future__ import annotations

from textual.app import App
from textual.widgets import ProgressBar, Static

from rnntui.engine.config import RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.sweep import SweepSpec
from rnntui.ui.sweep import SweepScreen
from rnntui.ui.sweep.plots import SuccessPlot, SweepCurvePlot

TINY = RunConfig(task="latching", n_samples=64, batch_size=16, epochs=1, init="keras", single_bias=True,
                 probe_every=0)


class Host(App):
    def __init__(self, spec: SweepSpec, control: RunControl | None = None) -> None:
        super().__init__()
        self.spec, self.control = spec, control

    def on_mount(self) -> None:
        self.push_screen(SweepScreen(self.spec, self.control))


async def wait_for(pilot, condition, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the sweep view never got there")


def status(screen: SweepScreen) -> str:
    return str(screen.query_one("#sweep-status", Static).render())


async def test_curve_fills_in_and_the_sweep_finishes():
    spec = SweepSpec(TINY, values=(3, 5, 8), cells=("rnn_tanh", "lstm"), repeats=2, memory_mb=0)
    app = Host(spec)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.outcome is not None)
        await pilot.pause()
        assert screen.outcome.status == "finished" and len(screen.results) == 12
        for plot in (screen.query_one(SweepCurvePlot), screen.query_one(SuccessPlot)):
            assert {(p.cell, p.value) for p in plot.points} == {(c, t) for c in ("rnn_tanh", "lstm") for t in (3, 5, 8)}
            assert all(p.runs == 2 for p in plot.points)
        assert screen.query_one(ProgressBar).progress == 1.0
        assert "finished: 12/12 runs" in status(screen)
        assert "seq_len over 3 values x 2 cells x 2 repeats" in str(screen.query_one("#sweep-title", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, SweepScreen)


async def test_categorical_field_renders():
    spec = SweepSpec(TINY, field="init", values=("keras", "pytorch"), cells=("gru",), repeats=1)
    app = Host(spec)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.outcome is not None)
        await pilot.pause()
        assert [p.value for p in screen.query_one(SweepCurvePlot).points] == ["keras", "pytorch"]


async def test_pause_key_toggles_and_stop_key_ends_a_paused_sweep():
    control = RunControl()
    control.pause()                  # the sweep waits at its first step until told otherwise
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("lstm",), repeats=2), control)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.started is not None)
        await pilot.press("p")
        assert not control.paused
        await pilot.press("p")
        assert control.paused
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.outcome is not None)
        if screen.outcome.status == "stopped":
            assert len(screen.results) < 4 and status(screen).startswith("stopped")


async def test_stop_key_on_a_sweep_that_never_ran():
    control = RunControl()
    control.pause()
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("lstm",), repeats=2), control)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.started is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.status == "stopped" and screen.results == []
        assert status(screen).startswith("stopped: 0/4 runs")
