"""What keeps typing instant while a run trains (issue 13), each piece on its own:
Textual's frame rate, the collector's view of long-lived objects, plot builds
that leave no cycles of their own, and a training loop outside the UI's process."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time

from textual.app import App, ComposeResult

from rnntui.ui import collector
from rnntui.ui.widgets.cached import BUILDER, CachedLines, LineBuilder
from rnntui.ui.app import RnnTuiApp

from ui_helpers import LONG, wait_until


def test_the_ui_runs_textual_at_120_frames_a_second_unless_the_user_chose():
    """Fails when Textual stops reading TEXTUAL_FPS at import, or renames the period it derives."""
    probe = "import rnntui.ui.app, textual.screen; print(round(1 / textual.screen.UPDATE_PERIOD))"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    chosen = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert chosen.stdout.strip() == "120"
    users = subprocess.run([sys.executable, "-c", probe], env={**env, "TEXTUAL_FPS": "30"},
                           capture_output=True, text=True, check=True)
    assert users.stdout.strip() == "30"


def test_full_collections_wait_for_a_pause_in_typing_while_runs_train(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(collector.time, "monotonic", lambda: clock[0])
    before = gc.get_threshold()
    collector.hold_survivors()
    try:
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[2] == collector.NEVER
        clock[0] += collector.EVERY_SECONDS + 1
        assert not collector.collect_when_quiet(last_key=clock[0] - 0.2)        # typing: not now
        assert collector.collect_when_quiet(last_key=clock[0] - collector.QUIET_SECONDS)   # a pause
        assert not collector.collect_when_quiet(last_key=0.0)                  # just ran
        clock[0] += collector.LONGEST_WAIT
        assert collector.collect_when_quiet(last_key=clock[0])                 # typing on: not forever
    finally:
        collector.release_survivors()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert not collector.collect_when_quiet(last_key=0.0)                      # no run: the usual schedule


class Counting(CachedLines):
    """Lines of one segment per cell, like a plot's: what a leaked build would leave is easy to see."""

    def build_lines(self):
        from rich.segment import Segment
        from textual.strip import Strip

        return [Strip([Segment("x") for _ in range(self.size.width)]) for _ in range(self.size.height)]


class OneWidget(App):
    def compose(self) -> ComposeResult:
        yield Counting()


async def cyclic_garbage_of_builds(background: bool) -> int:
    """Objects the cyclic collector finds after 20 rebuilds of a small widget."""
    app = OneWidget()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one(Counting)
        await pilot.pause()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for news in range(1, 21):
                widget.news(background=background)
                await wait_until(pilot, lambda: widget._drawn is not None and widget._drawn[1] >= news)
            gc.collect()
            return len(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()


async def test_background_builds_leave_no_more_for_the_cyclic_collector_than_builds_in_place():
    """A Textual worker per build made a task/coroutine cycle holding the build's lines: garbage
    for the full collections to find. The one builder thread adds nothing to what the UI leaves."""
    in_place = await cyclic_garbage_of_builds(background=False)
    behind = await cyclic_garbage_of_builds(background=True)
    assert BUILDER._thread is not None and BUILDER._thread.name == "rnntui-line-builder"
    assert behind - in_place < 100, (behind, in_place)   # a worker per build: +420 per build here


async def test_the_training_loop_runs_in_another_process():
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(app.runs) and app.runs[0].trainer is not None)
        child = app.runs[0].trainer._process
        assert child.pid != os.getpid() and child.is_alive()
        app.lab.action_stop()
        await wait_until(pilot, lambda: not app.runs[0].active)
    child.join(10)
    assert not child.is_alive()


def test_a_build_waits_for_a_gap_in_the_keys_but_not_for_ever():
    builder = LineBuilder()
    started = time.monotonic()
    builder._wait_for_a_gap_in_the_keys()                   # no keys: at once
    assert time.monotonic() - started < 0.01
    typed = time.monotonic()
    builder.last_key = lambda: typed                         # a key just now: wait for the gap
    builder._wait_for_a_gap_in_the_keys()
    assert time.monotonic() - typed >= LineBuilder.KEY_GAP
    builder.last_key = time.monotonic                        # keys without pause: at most the longest deferral
    started = time.monotonic()
    builder._wait_for_a_gap_in_the_keys()
    assert LineBuilder.LONGEST_DEFER <= time.monotonic() - started < LineBuilder.LONGEST_DEFER + 0.1
