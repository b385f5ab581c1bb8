"""A real terminal: v trains a preset beside its partner, a click on Why shows both verdicts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_tmux_smoke import ROOT, capture, quit_app, tmux, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PAIR = """\
name = "{name}"
description = "A tiny tanh RNN on the adding problem ({what})."
contrast = "{partner}"

[config]
task = "adding"
seq_len = 6
cell = "rnn_tanh"
hidden_size = 3
optimizer = "sgd"
lr = 0.5
iterations = 60
probe_every = 5
device = "cpu"
{clip}
"""


def write_pair(folder: Path) -> Path:
    (folder / "pair-clip.toml").write_text(PAIR.format(name="pair-clip", what="clipped", partner="pair-noclip",
                                                       clip='clip = "global_norm"\nclip_threshold = 0.1'))
    path = folder / "pair-noclip.toml"
    path.write_text(PAIR.format(name="pair-noclip", what="not clipped", partner="pair-clip", clip=""))
    return path


def click(session: str, text: str) -> None:
    """Press and release the mouse on ``text`` (SGR mouse report, as a terminal sends it)."""
    for row, line in enumerate(capture(session).splitlines(), start=1):
        if text in line:
            column = line.index(text) + 2
            tmux("send-keys", "-t", session, "-l", f"\x1b[<0;{column};{row}M\x1b[<0;{column};{row}m", check=True)
            return
    raise AssertionError(f"{text!r} is not on screen:\n{capture(session)}")


@pytest.mark.parametrize("width, height, no_color", [(80, 24, True), (160, 48, False)])
def test_v_trains_the_pair_and_the_why_tab_reads_both(tmp_path, width, height, no_color):
    preset = write_pair(tmp_path)
    session = f"rnntui-contrast-{width}x{height}-{time.monotonic_ns()}"
    colour = "NO_COLOR=1" if no_color else "-u NO_COLOR"
    command = (f"cd {ROOT} && env -u COLUMNS -u LINES {colour} {sys.executable} -c "
               f"'from rnntui.ui.app import run_app; run_app(\"{preset}\")'")
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command, check=True)
    try:
        wait_for(session, "v Vs")                              # the footer names the key
        tmux("send-keys", "-t", session, "v", check=True)
        screen = wait_for(session, "pair-clip")                 # the Runs tab lists both runs
        assert "pair-noclip" in screen
        click(session, " Why")
        wait_for(session, "What run #1 pair-noclip shows (finished)", timeout=60)
        screen = wait_for(session, "What run #2 pair-clip shows (finished)", timeout=60)
        assert "Not solved in 60 steps" in screen and "The gradient reaching t = 1" in screen
        if height >= 40:
            assert "clipping at 0.1 was active on" in screen and "ρ(W_hh) stayed below 1" in screen
        quit_app(session)
    finally:
        tmux("kill-server", capture_output=True)
    # The terminal closes under the quitting app (SIGHUP, then SIGCONT): the process still ends.
    assert_process_ends(str(preset))


def assert_process_ends(marker: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, f"the app ({marker}) outlived its terminal"
        time.sleep(0.2)
