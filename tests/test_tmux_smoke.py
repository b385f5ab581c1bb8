"""A real terminal: tmux runs the TUI, keys start the smoke run, capture-pane shows plots and progress."""

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

# A server of our own: a shared tmux server sizes windows after its other clients.
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
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared:\n{capture(session)}")


def quit_app(session: str) -> None:
    """Press q and wait for the app (and so the session) to end."""
    tmux("send-keys", "-t", session, "q", check=True)
    deadline = time.monotonic() + 10
    while tmux("has-session", "-t", session, capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "q did not quit"
        time.sleep(0.1)


@pytest.mark.parametrize("width, height", [(80, 24), (160, 48)])
def test_keys_start_a_run_and_the_terminal_shows_plots_and_progress(width, height):
    session = f"rnntui-smoke-{width}x{height}-{time.monotonic_ns()}"
    # COLUMNS/LINES inherited by the tmux server would pin the app at their size.
    command = f"cd {ROOT} && env -u COLUMNS -u LINES {sys.executable} -c 'from rnntui.ui.app import run_app; run_app(\"smoke\")'"
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command, check=True)
    try:
        wait_for(session, "Start")
        tmux("send-keys", "-t", session, "s", check=True)
        wait_for(session, "finished at step")
        # Views repaint one per tick after the run ends: wait for the last one we look at.
        screen = wait_for(session, "▀" if height >= 40 else "loss (log scale)")
        assert "loss (log scale)" in screen and "100%" in screen
        assert "•" in screen or any(0x2800 < ord(ch) <= 0x28FF for ch in screen), "no plot glyphs"
        assert "┤" in screen  # plot axes
        quit_app(session)
    finally:
        tmux("kill-server", capture_output=True)
