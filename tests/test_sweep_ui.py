"""The sweep view through Pilot: the curve fills in, keys pause, stop, pick a field and export; w opens it."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, ProgressBar, Select, Static

from rnntui.engine import export as run_export
from rnntui.engine.store import RunStore
from rnntui.engine.config import RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.sweep import SweepSpec
from rnntui.engine.sweep import LATCHING_CELLS, LATCHING_LENGTHS
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.commands import RnnCommands
from rnntui.ui.screens.export import ExportScreen
from rnntui.ui.sweep import SweepScreen, default_spec
from rnntui.ui.sweep.plots import SuccessPlot, SweepCurvePlot
from rnntui.ui.sweep.setup import SweepSetup
from ui_helpers import preset

TINY = RunConfig(task="latching", n_samples=64, batch_size=16, epochs=1, init="keras", single_bias=True,
                 probe_every=0)


class Host(App):
    def __init__(self, spec: SweepSpec, control: RunControl | None = None, store: RunStore | None = None) -> None:
        super().__init__()
        self.spec, self.control, self.store = spec, control, store

    async def on_mount(self) -> None:
        await self.push_screen(SweepScreen(self.spec, self.control, self.store))
        self.screen.action_start()   # what s does on the plan (tested below)


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
        assert "seq_len over 3 values (3,5,8) × 2 cells (rnn_tanh, lstm) × 2 repeats = 12 runs, each 1 epoch over" \
            in str(screen.query_one("#sweep-title", Static).render())
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
    # Long enough (many seconds) that it is still running between the two presses of p.
    spec = SweepSpec(TINY.replace(epochs=200), values=(3, 5, 8, 10), cells=("lstm", "rnn_tanh"), repeats=30,
                     backend="torch")
    app = Host(spec, control)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.started is not None)
        await pilot.press("p")
        assert not control.paused
        await pilot.press("p")
        assert control.paused and "(paused: p resumes)" in status(screen)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.status == "stopped" and status(screen).startswith("stopped")
        assert len(screen.results) < spec.repeats * 8
        await pilot.press("p")
        assert control.paused     # nothing runs: p does nothing (and says so)


async def test_stop_key_on_a_sweep_that_never_ran():
    control = RunControl()
    control.pause()
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("lstm",), repeats=2), control)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.started is not None)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.outcome is not None)
        assert screen.outcome.status == "stopped" and screen.results == []
        assert status(screen).startswith("stopped: 0/4 runs")


async def test_field_dialog_restarts_the_sweep_over_another_field():
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("lstm",), repeats=2))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.outcome is not None)
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, SweepSetup)
        dialog.query_one("#setup-field", Select).value = "hidden_size"
        await pilot.pause()
        assert dialog.query_one("#setup-values", Input).value == "1,2,4,8,16"
        dialog.query_one("#setup-values", Input).value = "1,x"
        dialog.query_one("#setup-repeats", Input).value = "1"
        await pilot.click("#setup-plan")
        assert app.screen is dialog and "hidden_size" in str(dialog.query_one("#setup-message", Static).render())
        dialog.query_one("#setup-values", Input).value = "1,3"
        dialog.query_one("#setup-values", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.spec.field == "hidden_size"
        assert screen.outcome is None and not screen.running    # the new plan waits for s
        assert "hidden_size over 2 values (1,3) × 1 cell (lstm) × 1 repeat = 2 runs" in \
            str(screen.query_one("#sweep-title", Static).render())
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.outcome is not None)
        assert sorted(r.value for r in screen.results) == [1, 3]
        assert screen.query_one(SweepCurvePlot).field == "hidden_size"


async def test_export_key_writes_both_csvs_and_reports_an_unwritable_path(tmp_path, monkeypatch):
    fallback = tmp_path / "fallback"
    monkeypatch.setattr(run_export, "fallback_dirs", lambda: [fallback])
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("rnn_tanh",), repeats=2))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.outcome is not None)
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen) and "4 of 4 runs" in str(dialog.query_one(Static).render())
        blocker = tmp_path / "file"
        blocker.write_text("")
        dialog.query_one("#export-path", Input).value = str(blocker / "sweep.csv")
        await pilot.press("enter")
        assert app.screen is dialog and "instead" in str(dialog.query_one("#export-message", Static).render())
        assert (fallback / "sweep.curve.csv").exists()
        dialog.query_one("#export-path", Input).value = str(tmp_path / "sweep.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        rows = (tmp_path / "sweep.csv").read_text().splitlines()
        curve = (tmp_path / "sweep.curve.csv").read_text().splitlines()
        assert len(rows) == 1 + 4 and len(curve) == 1 + 2


def test_default_spec_is_E4s_grid_for_latching_and_around_the_length_elsewhere():
    latching = default_spec(TINY, "tiny")
    assert (latching.values, latching.cells, latching.repeats) == (LATCHING_LENGTHS, LATCHING_CELLS, 30)
    adding = default_spec(RunConfig(task="adding", seq_len=50, cell="gru"), "adding")
    assert (adding.field, adding.values, adding.cells, adding.preset) == ("seq_len", (12, 25, 50, 100), ("gru",),
                                                                          "adding")


async def test_w_opens_a_sweep_of_the_form_and_the_palette_offers_it():
    tiny = preset("tiny-adding", RunConfig(task="adding", seq_len=8, iterations=3, batch_size=4, hidden_size=2,
                                           probe_every=0, device="cpu"))
    app = RnnTuiApp(tiny, [tiny])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        assert (screen.spec.preset, screen.spec.field, screen.spec.values) == ("tiny-adding", "seq_len", (2, 4, 8, 16))
        await pilot.pause(0.3)
        assert screen.started is None and "= 20 runs, each 3 steps of 4" in \
            str(screen.query_one("#sweep-title", Static).render())     # the plan: nothing runs before s
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.outcome is not None)
        assert len(screen.results) == 4 * 5
        await pilot.press("escape")
        names = [name for name, _, _ in RnnCommands(app.screen).commands()]
        assert "Sweep this preset over sequence length" in names


async def test_each_finished_run_of_a_sweep_is_recorded_in_the_store():
    store = RunStore()
    app = Host(SweepSpec(TINY, values=(3, 5), cells=("rnn_tanh",), repeats=2), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.outcome is not None)
        await wait_for(pilot, lambda: store.count() == 4)
    runs = store.page()
    assert sorted(r.seq_len for r in runs) == [3, 3, 5, 5] and {r.source for r in runs} == {"tui"}
    assert sorted(r.final_metric for r in runs) == sorted(r.metrics[screen.started.metric_name]
                                                          for r in screen.results)
    store.close()
