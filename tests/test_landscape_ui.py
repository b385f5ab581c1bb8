"""Cliff explorer keys through Pilot, on a bare app that pushes the screen; one snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from rnntui.ui.landscape import LandscapeScreen
from rnntui.ui.landscape.cliffmap import CliffMap
from rnntui.ui.landscape.view import CURSOR_STEPS, View

SNAPSHOT_APP = Path(__file__).parent / "snapshot_apps" / "landscape_app.py"


class Host(App):
    def on_mount(self) -> None:
        self.push_screen(LandscapeScreen())


async def settle(app: App, pilot) -> None:
    """Wait until the screen shows the grid (and paths) of its current view."""
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        if not isinstance(screen, LandscapeScreen):
            return
        paths_done = not screen.kinds or [p.clip is None for p in screen.paths] == \
            [k == "plain" for k in screen.kinds]
        if screen.landscape_key == screen.view.grid_key and paths_done:
            return
    raise AssertionError("the cliff explorer never caught up with its view")


async def press(app: App, pilot, *keys: str) -> LandscapeScreen:
    await settle(app, pilot)
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)
    return app.screen


def panel(screen: LandscapeScreen) -> str:
    return str(screen.query_one("#cliff-panel").render())


async def test_brackets_step_T_and_the_grid_follows():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot)
        assert screen.landscape.T == 50
        await press(app, pilot, "right_square_bracket")
        assert screen.view.T == screen.landscape.T == 100
        await press(app, pilot, "left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert screen.view.T == screen.landscape.T == 10
        assert "T = 10" in panel(screen) and "T = 10" in screen.query_one(CliffMap).render().plain


async def test_enter_runs_the_pair_and_the_story_is_measured():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot, "enter")
        plain, clipped = screen.paths
        assert plain.clip is None and clipped.clip == screen.view.clip
        assert float(plain.step_norm.max()) > 100 * float(clipped.step_norm.max())
        text = panel(screen)
        assert "off map" in text and "clipping ends lower" in text
        drawn = screen.query_one(CliffMap).render().plain
        assert "•" in drawn and "↗" in drawn     # the clipped trail, and where the unclipped path left
        await press(app, pilot, "backspace")
        assert screen.paths == [] and "Enter descends" in panel(screen)


async def test_d_and_c_add_one_path_each_and_T_recomputes_them():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot, "d")
        assert [p.clip for p in screen.paths] == [None]
        await press(app, pilot, "c")
        assert [p.clip for p in screen.paths] == [None, 1.0]
        before = screen.paths
        await press(app, pilot, "left_square_bracket")
        assert screen.paths is not before and len(screen.paths) == 2
        await press(app, pilot, "left", "d")    # a moved cursor starts a new pair
        assert [p.clip for p in screen.paths] == [None]
        assert tuple(screen.paths[0].points[0, :2].tolist()) == screen.view.cursor


async def test_arrows_move_the_cursor_and_zoom_keeps_it_in_place():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot, "up", "right", "right")
        w, b = View().cursor
        assert screen.view.cursor == pytest.approx((w + 2 * 10 / CURSOR_STEPS, b + 8 / CURSOR_STEPS))
        await press(app, pilot, "plus")
        (w0, w1), (b0, b1) = screen.view.w_range, screen.view.b_range
        assert (w1 - w0, b1 - b0) == pytest.approx((5.0, 4.0))
        assert w0 < screen.view.cursor[0] < w1 and b0 < screen.view.cursor[1] < b1
        assert float(screen.landscape.w[0]) == pytest.approx(w0)
        await press(app, pilot, "minus")
        assert screen.view.w_range == pytest.approx((0.0, 10.0))
        await press(app, pilot, "plus", "plus", "0")
        assert screen.view.w_range == (0.0, 10.0) and screen.view.b_range == (-7.0, 1.0)


async def test_resolution_lr_click_and_escape():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot, "r")
        assert screen.landscape.loss.shape == (400, 400)
        await press(app, pilot, "R", "R")
        assert screen.landscape.loss.shape == (100, 100)
        await press(app, pilot, "l")
        assert screen.view.lr == 2.0 and "lr 2" in panel(screen)
        await pilot.click(CliffMap, offset=(7, 1))          # the top-left plot cell
        await settle(app, pilot)
        w, b = screen.view.cursor
        assert w < 0.5 and b > 0.5
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, LandscapeScreen)


def test_snapshot_after_descending(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("enter")
        await settle(pilot.app, pilot)

    assert snap_compare(SNAPSHOT_APP, run_before=run_before, terminal_size=(100, 30))


async def test_clip_threshold_and_step_keys_recompute_the_pair_and_shift_arrows_pan():
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await press(app, pilot, "enter", "k")
        assert screen.view.clip == 3.0 and screen.paths[1].clip == 3.0
        assert "clip at ‖g‖ ≤ 3" in panel(screen)
        await press(app, pilot, "m")
        assert screen.view.steps == 500 and len(screen.paths[0].points) == 501
        cursor = screen.view.cursor
        await press(app, pilot, "shift+right", "shift+up")
        assert screen.view.w_range == pytest.approx((2.5, 12.5)) and screen.view.b_range == pytest.approx((-5.0, 3.0))
        assert screen.view.cursor == pytest.approx((cursor[0] + 2.5, cursor[1] + 2.0))
        assert float(screen.landscape.w[0]) == pytest.approx(2.5)
