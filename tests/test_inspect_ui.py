"""The model-inspection screen through Pilot, on real tiny runs; one snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnntui.engine.config import RunConfig
from rnntui.engine.presets import list_presets
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.commands import RnnCommands
from rnntui.ui.inspect import InspectScreen
from rnntui.ui.inspect.compute import LINE_SIDE, PLANE_SIDE
from rnntui.ui.inspect.plots import JacobianPlot, PlaneMap, SlicePlot
from snapshot_apps.finished_run import finish_run
from ui_helpers import LONG, SMOKE, preset, wait_until

SNAPSHOT_APP = Path(__file__).parent / "snapshot_apps" / "finished_run.py"
TANH = preset("tanh", RunConfig(task="latching", cell="rnn_tanh", seq_len=6, n_samples=64, hidden_size=3,
                                epochs=1, probe_every=0, device="cpu"))


def done(screen: InspectScreen) -> bool:
    plane = screen.parts.get("plane")
    return plane is not None and len(plane.betas) == 2 * PLANE_SIDE + 1


def header(screen: InspectScreen) -> str:
    return str(screen.query_one("#inspect-header").render())


async def finished(app: RnnTuiApp, pilot) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: app.runs and not app.runs[-1].active)


async def inspect(app: RnnTuiApp, pilot) -> InspectScreen:
    await pilot.press("i")
    screen = app.screen
    assert isinstance(screen, InspectScreen)
    await wait_until(pilot, lambda: done(screen))
    return screen


async def test_finished_vanilla_run_every_view_passes_through_the_run():
    app = RnnTuiApp(TANH, [TANH])
    async with app.run_test(size=(120, 36)) as pilot:
        await finished(app, pilot)
        screen = await inspect(app, pilot)
        record = app.runs[-1].record
        val_loss = record.final_evaluation.val_loss
        # the known value: α = 0 on the gradient slice is the run's own validation loss
        assert float(screen.parts["gradient"].losses[LINE_SIDE]) == pytest.approx(val_loss, rel=1e-6)
        assert float(screen.parts["plane"].losses[PLANE_SIDE, PLANE_SIDE]) == pytest.approx(val_loss, rel=1e-6)
        scale = screen.parts["scale"]
        assert scale.rho is not None and float(scale.rho[-1]) >= 2.0 and float(scale.rho[0]) == 0.0
        assert screen.snapshot.step == record.last_step
        text = header(screen)
        assert f"copy at step {record.last_step}" in text and "ρ(W_hh) =" in text and "per step" in text
        assert screen.query_one(JacobianPlot).profile is screen.parts["profile"]
        assert screen.query_one("#inspect-scale", SlicePlot).slice[-1] == 1.0   # the ρ = 1 guide
        assert screen.query_one(PlaneMap).picture is not None


async def test_recompute_zoom_and_new_directions_keys():
    app = RnnTuiApp(SMOKE, list_presets())
    async with app.run_test(size=(120, 36)) as pilot:
        await finished(app, pilot)
        screen = await inspect(app, pilot)
        first = screen.parts
        assert screen.parts["scale"].rho is None and "ρ(W_hh)" not in header(screen)   # LSTM: no ρ
        await pilot.press("r")
        await wait_until(pilot, lambda: done(screen))
        assert screen.parts is not first and screen.generation == 2
        assert first["gradient"].losses.equal(screen.parts["gradient"].losses)   # same weights, same slice
        span = float(first["gradient"].offsets[-1])
        await pilot.press("plus")
        await wait_until(pilot, lambda: done(screen))
        assert float(screen.parts["gradient"].offsets[-1]) == pytest.approx(span / 2)
        plane = screen.parts["plane"].losses
        await pilot.press("d")
        await wait_until(pilot, lambda: done(screen))
        again = screen.parts["plane"].losses
        assert float(again[PLANE_SIDE, PLANE_SIDE]) == pytest.approx(float(plane[PLANE_SIDE, PLANE_SIDE]))
        assert not again.equal(plane)
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectScreen)


async def test_a_training_run_is_inspected_once_paused_from_the_screen():
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("s")
        run = app.runs[-1]
        await wait_until(pilot, lambda: run.record.last_step > 5)
        await pilot.press("i")
        screen = app.screen
        assert "press p to pause" in header(screen) and screen.snapshot is None
        await pilot.press("p")
        assert run.paused
        await wait_until(pilot, lambda: done(screen))
        assert screen.snapshot.step == run.record.last_step     # the copy is the paused run
        await pilot.press("p")                                  # resumes; the copy is untouched
        await wait_until(pilot, lambda: run.record.last_step > screen.snapshot.step)
        assert "press p to pause" in header(screen)
        await pilot.press("x")                                  # the lab's key: not on this screen
        assert run.active and app.screen is screen
        await pilot.press("escape", "x")
        await wait_until(pilot, lambda: not run.active)


async def test_no_run_yet_and_the_palette_entry():
    app = RnnTuiApp(SMOKE, list_presets())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        assert not isinstance(app.screen, InspectScreen)
        names = [name for name, _, _ in RnnCommands(app.screen).commands()]
        assert "Inspect model" in names


def test_snapshot_of_a_finished_run(snap_compare):
    async def run_before(pilot) -> None:
        await finish_run(pilot)
        await pilot.press("i")
        await wait_until(pilot, lambda: done(pilot.app.screen))
        await pilot.pause(0.3)

    assert snap_compare(SNAPSHOT_APP, run_before=run_before, terminal_size=(120, 36))
