"""Which views redraw while a run trains: only those on screen, and only with news.

plotext builds are the UI's main cost (issue 13), so a plot off screen (another
tab, a screen over the lab) or without new data must not be built, and one
that comes back into view must catch up with the run at once.
"""

from __future__ import annotations

import pytest
from textual.screen import Screen
from textual.widgets import TabbedContent

from rnntui.engine.config import RunConfig
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.widgets.plots import LivePlot

from ui_helpers import LONG, preset, wait_until

# Steps and probes all the time, no evaluation for a long while: the metric plot has no news.
NO_EVALUATIONS = preset("no-evals", LONG.config.replace(eval_every=10**6))


def counter(monkeypatch, name: str) -> dict[str, int]:
    """Calls of ``LivePlot.<name>`` so far, per plot id."""
    counts: dict[str, int] = {}
    method = getattr(LivePlot, name)

    def counted(self, *args, **kwargs):
        counts[self.id] = counts.get(self.id, 0) + 1
        return method(self, *args, **kwargs)

    monkeypatch.setattr(LivePlot, name, counted)
    return counts


@pytest.fixture
def builds(monkeypatch) -> dict[str, int]:
    """plotext builds so far, per plot id."""
    return counter(monkeypatch, "plot")


@pytest.fixture
def refreshes(monkeypatch) -> dict[str, int]:
    """Repaints asked of each plot so far (new data, size or theme)."""
    return counter(monkeypatch, "refresh")


async def training(pilot, app: RnnTuiApp, steps: int = 100) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: bool(app.runs) and app.runs[-1].record.last_step >= steps)
    await pilot.pause(0.3)


def x_reach(app: RnnTuiApp) -> float:
    """The last step the loss plot's picture reaches."""
    span = app.query_one("#plot-loss", LivePlot)._x_span
    return span[1] if span else 0.0


@pytest.mark.parametrize("cover", ["tab", "screen"])
async def test_views_off_screen_do_not_redraw_and_catch_up_when_shown(builds, refreshes, cover):
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(160, 48)) as pilot:
        await training(pilot, app)
        record = app.runs[0].record
        if cover == "tab":
            app.query_one(TabbedContent).active = "runs"
        else:
            await app.push_screen(Screen())
        await pilot.pause(0.3)
        before, asked, reach = dict(builds), dict(refreshes), x_reach(app)
        hidden_at = record.last_step
        await pilot.pause(1.0)
        assert record.last_step > hidden_at + 50, "the run kept training meanwhile"
        assert builds == before and refreshes == asked and x_reach(app) == reach
        shown_at = record.last_step
        if cover == "tab":
            app.query_one(TabbedContent).active = "live"
        else:
            app.pop_screen()
        await wait_until(pilot, lambda: x_reach(app) >= shown_at, timeout=2.0)
        app.lab.action_stop()


async def test_plots_without_news_are_not_rebuilt(builds):
    app = RnnTuiApp(NO_EVALUATIONS, [NO_EVALUATIONS])
    async with app.run_test(size=(160, 48)) as pilot:
        await training(pilot, app)
        before = dict(builds)
        await pilot.pause(1.5)
        assert not app.runs[0].record.evaluations
        assert builds["plot-metric"] == before["plot-metric"]       # nothing new to show
        assert builds["plot-loss"] >= before["plot-loss"] + 3      # steps keep coming, ~5 Hz
        app.lab.action_stop()


async def test_plots_scrolled_away_wait_until_scrolled_to(builds):
    """At 80x24 the plots stack in one scrolling column: only those in view are rebuilt."""
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(80, 24)) as pilot:
        await training(pilot, app)
        clip = app.query_one("#plot-clip", LivePlot)
        column = app.query_one("#live-scroll")
        clip.scroll_visible(animate=False)
        await wait_until(pilot, lambda: clip.in_view() and clip._x_span is not None)
        column.scroll_home(animate=False)
        await pilot.pause(0.3)
        assert not clip.in_view() and app.query_one("#plot-loss", LivePlot).in_view()
        before = dict(builds)
        await pilot.pause(1.0)
        assert builds["plot-clip"] == before["plot-clip"]
        assert builds["plot-loss"] >= before["plot-loss"] + 2
        shown_at = app.runs[0].record.last_step
        clip.scroll_visible(animate=False)
        await wait_until(pilot, lambda: clip.in_view() and clip._x_span[1] >= shown_at, timeout=2.0)
        app.lab.action_stop()
