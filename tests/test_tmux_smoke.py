"""A real terminal: tmux runs the TUI and a user's keys drive every screen, with and without NO_COLOR.

Textual's NO_COLOR filter, its drivers and the footer only run for real here.
Each case edits a field (esc leaves it, enter commits it), trains the smoke
preset, and visits the sweep, the cliff explorer and the inspector, pressing
keys that belong to other screens and each screen's own help key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# A server of our own per case: a shared one sizes windows after its other clients.
SOCKET = f"rnntui-smoke-{os.getpid()}"


def tmux(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["tmux", "-L", SOCKET, *args], **kwargs)


def capture(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session, capture_output=True, text=True, check=True).stdout


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = capture(session)
        if text in screen:
            return screen
        if "Traceback" in screen:       # the app crashed: its traceback is on the terminal
            break
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared:\n{capture(session)}")


def keys(session: str, *names: str) -> None:
    for name in names:
        tmux("send-keys", "-t", session, name, check=True)
        # A lone ESC with a key right behind it reads as alt+key: let the parser time out first.
        time.sleep(0.6 if name == "Escape" else 0.15)


def settle(session: str, seconds: float = 0.6) -> str:
    """The screen once keys have been handled (nothing to wait for when a key must do nothing)."""
    time.sleep(seconds)
    return capture(session)


@pytest.fixture
def terminal(request):
    """Start the TUI on smoke at (width, height, no_color) in a private tmux server; yields the session."""
    width, height, no_color = request.param
    session = f"{'mono' if no_color else 'colour'}-{width}x{height}"
    # COLUMNS/LINES inherited by the tmux server would pin the app at their size; the shell stays
    # after the app so a crash leaves its traceback on the terminal.
    colour = "NO_COLOR=1" if no_color else "-u NO_COLOR"
    command = (f"cd {ROOT} && env -u COLUMNS -u LINES {colour} {sys.executable} -c "
               f"'from rnntui.ui.app import run_app; run_app(\"smoke\")'; sleep 30")
    global SOCKET
    SOCKET = f"rnntui-smoke-{os.getpid()}-{session}"
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command, check=True)
    try:
        yield session, height
    finally:
        tmux("kill-server", capture_output=True)


def edit_fields_and_train(session: str, height: int) -> None:
    """A text field: esc leaves it, enter commits it, the footer says so meanwhile; then s trains."""
    wait_for(session, "s Start")
    # Like a user, look at the screen before the next keys: a loaded machine lags behind them.
    keys(session, "Tab", "Tab", "Tab")                            # preset, task, then seq_len
    wait_for(session, "Commit")
    keys(session, "C-e", "BSpace", "9")
    screen = wait_for(session, "seq_len         9")
    assert "Commit" in screen and "Done" in screen, screen     # not just "f1 Help"
    keys(session, "Escape")
    wait_for(session, "c Compare")
    keys(session, "Tab", "Tab", "Tab")
    wait_for(session, "Commit")
    keys(session, "C-e", "BSpace", "7")
    wait_for(session, "seq_len         7")
    keys(session, "Enter")
    wait_for(session, "c Compare")
    keys(session, "s")
    wait_for(session, "finished at step")
    screen = wait_for(session, "t=7" if height >= 40 else "loss (log scale)")   # trained on the committed T
    assert "seq_len         7 " in screen and "7s" not in screen
    assert "•" in screen or any(0x2800 < ord(ch) <= 0x28FF for ch in screen), "no plot glyphs"
    screen = wait_for(session, "┤")                  # plots build off the event loop: wait for the axes
    assert "100%" in screen


def quit_app(session: str) -> None:
    """Press q and wait for the app to end (its session ends, or the shell after it takes over)."""
    tmux("send-keys", "-t", session, "q", check=True)
    deadline = time.monotonic() + 10
    while True:
        pane = tmux("capture-pane", "-p", "-t", session, capture_output=True, text=True)
        if pane.returncode != 0 or "^p palette" not in pane.stdout:   # no session, or no app in it
            return
        assert time.monotonic() < deadline, "q did not quit"
        time.sleep(0.1)


@pytest.mark.parametrize("terminal", [(80, 24, False)], ids=["80x24"], indirect=True)
def test_fields_let_go_and_a_run_draws_its_plots(terminal):
    """In colour (the 160x48 picture is checked without colour below, where every view is on screen)."""
    session, height = terminal
    edit_fields_and_train(session, height)
    quit_app(session)


@pytest.mark.parametrize("terminal", [(80, 24, True), (160, 48, True)], ids=["80x24", "160x48"], indirect=True)
def test_without_colour_every_screen_draws_and_keeps_its_own_keys(terminal):
    """NO_COLOR runs Textual's monochrome filter over every line of every screen visited here."""
    session, height = terminal
    edit_fields_and_train(session, height)

    # The sweep opens on its plan; the lab's n does nothing here; a small grid; s starts it.
    keys(session, "w")
    wait_for(session, "runs, each")
    keys(session, "n")
    assert "ready: s starts it" in settle(session)
    keys(session, "?")
    wait_for(session, "Many short runs")
    keys(session, "Escape", "f")
    wait_for(session, "Sweep smoke over:")             # the grid dialog ("repeats" is in the plan too)
    for text in ("3,5", "lstm", "2"):    # values, cells, repeats (an Input selects its text just after focus)
        keys(session, "Tab")
        settle(session, 0.4)
        keys(session, "C-e", "C-u", *text)
    wait_for(session, "3,5")
    keys(session, "Enter")
    wait_for(session, "= 4 runs")
    keys(session, "s")
    wait_for(session, "finished: 4/4 runs")
    keys(session, "Escape")
    screen = wait_for(session, "#1 smoke finished")
    assert "#2 smoke" not in screen                  # the sweep's s and n started no run in the lab

    # The cliff explorer: e is not the lab's export here.
    keys(session, "g")
    wait_for(session, "x_t = w·σ")
    keys(session, "e")
    assert "as CSV" not in settle(session)
    keys(session, "?")
    wait_for(session, "Pascanu")
    keys(session, "Escape", "Escape")
    wait_for(session, "c Compare")

    # The inspector of the finished run: s does not start another run.
    keys(session, "i")
    wait_for(session, "copy at step", timeout=60)
    keys(session, "s")
    assert "Run #1" in settle(session)
    keys(session, "?")
    wait_for(session, "still weights")
    keys(session, "Escape", "Escape")
    screen = wait_for(session, "#1 smoke finished")
    assert "#2 smoke" not in screen
    quit_app(session)
