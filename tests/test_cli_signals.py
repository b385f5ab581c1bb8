"""Stopping and writing from the command line: signals, repeated Ctrl+C, targets that must not be touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from rnntui.cli.signals import Stopper
from rnntui.engine.control import RunControl
from rnntui.engine.store import RunStore
from cli_helpers import ROOT, environment, refused, rnntui
from test_cli import read

LONG = ("run", "smoke", "--set", "epochs=100000")


def start(*args: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "rnntui", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment(), cwd=ROOT)
    assert "run 1 in" in process.stdout.readline()
    return process


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_stop_signal_records_and_exports_a_complete_pair(tmp_path, signum, code):
    out = tmp_path / "out.csv"
    process = start(*LONG, "--csv", str(out))
    try:
        time.sleep(0.5)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    rows = read(out)
    assert rows and {row["status"] for row in rows} == {"stopped"}
    assert read(tmp_path / "out.timesteps.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.timesteps.csv"]   # no temporaries
    with RunStore() as store:
        stored = store.load(1)
    assert stored.status == "stopped" and len(stored.evaluations) == len(rows)


@pytest.mark.parametrize("presses", [2, 3])
def test_quick_ctrl_c_presses_keep_the_run_and_leave_no_temporaries(tmp_path, presses):
    out = tmp_path / "out.csv"
    process = start(*LONG, "--csv", str(out))
    try:
        time.sleep(0.5)
        for _ in range(presses):
            process.send_signal(signal.SIGINT)
            time.sleep(0.02)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names in ([], ["out.csv", "out.timesteps.csv"]), names      # the pair or nothing
    if presses == 2:
        assert names, stderr                                             # a second press never loses it
    with RunStore() as store:
        assert store.summary(1).status == "stopped"


def test_a_second_signal_while_writing_is_noted_and_only_a_third_abandons(capsys):
    stopper = Stopper(RunControl())
    stopper.handle(signal.SIGINT, None)
    assert stopper.control.stop_requested
    stopper.writing = True
    stopper.handle(signal.SIGINT, None)
    assert "once more" in capsys.readouterr().err
    with pytest.raises(KeyboardInterrupt):
        stopper.handle(signal.SIGINT, None)
    assert stopper.exit_code(0) == 130


def test_an_existing_csv_is_refused_before_training_unless_forced(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("precious")
    refused(rnntui("run", "smoke", "--csv", str(out)), "exists", "--force")
    assert out.read_text() == "precious"
    with RunStore() as store:
        assert store.count() == 0                                         # refused before any work
    assert rnntui("run", "smoke", "--csv", str(out), "--force").returncode == 0
    assert read(out)[0]["preset"] == "smoke"


def test_the_preset_file_fifos_and_symlinks_are_refused_outright(tmp_path):
    preset = tmp_path / "p.toml"
    preset.write_text('name = "p"\ndescription = "x"\n[config]\ntask = "latching"\nepochs = 1\n')
    refused(rnntui("run", str(preset), "--csv", str(preset), "--force"), "p.toml")
    assert "[config]" in preset.read_text()
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    refused(rnntui("run", "smoke", "--csv", str(fifo), "--force", timeout=30), "not a regular file")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "target.csv")
    refused(rnntui("run", "smoke", "--csv", str(link), "--force"), "symbolic link")
    assert not (tmp_path / "target.csv").exists()


def test_a_trailing_slash_means_a_directory(tmp_path):
    result = rnntui("run", "smoke", "--csv", f"{tmp_path}/new/")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert len(names) == 2 and names[0].endswith("-smoke-1.csv") and names[1].endswith("-smoke-1.timesteps.csv")


def test_a_write_that_fails_everywhere_exits_3(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**environment(), "XDG_CACHE_HOME": str(blocker / "cache")}
    result = subprocess.run([sys.executable, "-m", "rnntui", "run", "smoke", "--csv", str(blocker / "out.csv")],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    with RunStore() as store:
        assert store.summary(1).status == "finished"                      # the run itself is kept


def test_sigterm_stops_a_sweep_with_its_runs_stored_and_its_csv_pair(tmp_path):
    out = tmp_path / "sweep.csv"
    process = subprocess.Popen([sys.executable, "-m", "rnntui", "sweep", "smoke", "--lengths", "3,4",
                                "--repeats", "2000", "--backend", "torch", "--csv", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(), cwd=ROOT)
    try:
        assert "rnntui: sweep smoke" in process.stdout.readline()
        time.sleep(2.0)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv", "sweep.curve.csv"]
    rows = read(out)
    with RunStore() as store:
        assert store.count() == len(rows)
