"""A real terminal: the Runs tab over the store at 80x24 and 160x48, with and without NO_COLOR,
and a hang-up (SIGHUP) that stops a training run, keeps it in the store and exits 129."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnntui.engine.store import RunStore

from test_tmux_contrast import assert_process_ends
from test_runs_ui import earlier_run

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A private tmux server (its own socket: a shared one sizes windows after other clients)."""

    def __init__(self, name: str, width: int, height: int, command: str):
        self.socket = f"rnntui-runs-{os.getpid()}-{name}"
        self.session = name
        self.tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command, check=True)

    def tmux(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], **kwargs)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session, capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            if "Traceback" in screen:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def keys(self, *names: str) -> None:
        for name in names:
            self.tmux("send-keys", "-t", self.session, name, check=True)
            time.sleep(0.2)

    def close(self) -> None:
        self.tmux("kill-server", capture_output=True)


def app_command(preset: str, colour: bool, after: str = "sleep 30") -> str:
    colour_env = "-u NO_COLOR" if colour else "NO_COLOR=1"
    code = ("import os; from pathlib import Path; Path('pid').write_text(str(os.getpid())); "
            "from rnntui.ui.app import run_app; Path('rc').write_text(str(run_app(%r)))" % preset)
    return f'env -u COLUMNS -u LINES {colour_env} PYTHONPATH={ROOT} {sys.executable} -c "{code}"; {after}'


@pytest.mark.parametrize("width, height, colour", [(80, 24, True), (80, 24, False), (160, 48, True),
                                                   (160, 48, False)],
                         ids=["80x24", "80x24-mono", "160x48", "160x48-mono"])
def test_the_runs_tab_lists_earlier_sessions_whole(tmp_path, monkeypatch, width, height, colour):
    with RunStore() as store:
        store.save([earlier_run(i) for i in range(3)], "test").result()
    monkeypatch.chdir(tmp_path)
    terminal = Terminal(f"runs-{width}x{height}-{colour}", width, height, f"cd {tmp_path} && " +
                        app_command("smoke", colour))
    try:
        terminal.wait_for("s Start")
        terminal.keys("c")                      # overlays the two newest stored runs, on the Runs tab
        screen = terminal.wait_for("finished")
        assert "earlier-2" in screen and "earlier-1" in screen
        if width >= 160:
            assert "runs 1–3 of 3" in screen and "accuracy 0.502" in screen, screen
            assert "finishe " not in screen and "accura " not in screen
        assert "— press s to start" not in screen        # the overlay (the status bar may say "ready: press s")
        terminal.keys("q")
        deadline = time.monotonic() + 10
        while not (tmp_path / "rc").exists():
            assert time.monotonic() < deadline, terminal.screen()
            time.sleep(0.1)
        assert (tmp_path / "rc").read_text() == "0"
    finally:
        terminal.close()


def test_a_hang_up_stops_the_run_keeps_it_and_exits_129(tmp_path, monkeypatch):
    preset = tmp_path / "long.toml"
    preset.write_text('name = "long"\ndescription = "x"\n[config]\ntask = "latching"\nseq_len = 5\n'
                      'n_samples = 64\nepochs = 20000\nhidden_size = 2\ndevice = "cpu"\n')
    monkeypatch.chdir(tmp_path)
    terminal = Terminal("hangup", 100, 30, f"cd {tmp_path} && " + app_command(str(preset), True))
    try:
        terminal.wait_for("s Start")
        terminal.keys("s")
        terminal.wait_for("running")
        time.sleep(1.0)
        os.kill(int((tmp_path / "pid").read_text()), signal.SIGHUP)
        deadline = time.monotonic() + 20
        while not (tmp_path / "rc").exists():
            assert time.monotonic() < deadline, terminal.screen()
            time.sleep(0.1)
        assert (tmp_path / "rc").read_text() == "129"
    finally:
        terminal.close()
    with RunStore() as store:
        (summary,) = store.page()
        assert summary.status == "stopped" and summary.reached_step > 0
        assert len(store.load(summary.id).steps) == summary.reached_step


def test_a_terminal_closed_right_after_the_first_screen_leaves_no_process(tmp_path, monkeypatch):
    """Closed this early, Textual's shutdown blocked for ever writing to the dead terminal: every one
    of three such apps was still alive minutes later. After a hang-up the app ends within seconds."""
    monkeypatch.chdir(tmp_path)
    marker = f"early-{tmp_path.name}"
    terminal = Terminal("early", 160, 48, f"cd {tmp_path} && " + app_command("smoke", True).replace(
        "import os;", f"import os; '{marker}';"))
    try:
        terminal.wait_for("Live")
    finally:
        terminal.close()
    assert_process_ends(marker)
