"""The command line end to end, through ``python -m rnntui`` as a user runs it."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cli_helpers import ROOT, environment, refused, rnntui
from rnntui.engine.presets import presets_dir


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_run_smoke_writes_both_csvs(tmp_path):
    result = rnntui("run", "smoke", "--csv", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    assert "smoke on cpu" in result.stdout and "finished at step" in result.stdout
    rows = read(tmp_path / "out.csv")
    assert rows and all(row["status"] == "finished" for row in rows)
    profile = read(tmp_path / "out.timesteps.csv")
    assert {"step", "t", "grad_norm", "cell_grad_norm"} == set(profile[0])
    assert all(float(row["cell_grad_norm"]) >= 0 for row in profile)   # smoke is an LSTM


def test_set_and_device_reach_the_config(tmp_path):
    result = rnntui("run", "smoke", "--set", "hidden_size=3", "seed=7", "--device", "cpu",
                    "--csv", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    row = read(tmp_path / "out.csv")[0]
    assert (row["hidden_size"], row["seed"], row["device"]) == ("3", "7", "cpu")


def test_diverged_run_exits_1(tmp_path):
    result = rnntui("run", "explode-noclip", "--set", "iterations=300", "lr=10",
                    "--csv", str(tmp_path / "out.csv"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIVERGED" in result.stdout
    assert read(tmp_path / "out.csv")[0]["status"] == "diverged"


def test_presets_lists_every_shipped_preset():
    result = rnntui("presets")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == [path.stem for path in sorted(presets_dir().glob("*.toml"))]


def test_help_and_presets_do_not_load_torch():
    code = ("import sys; from rnntui.cli import main; "
            "assert main(['presets']) == 0 and main(['--help']) == 0; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment(), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "run" in result.stdout and "presets" in result.stdout


@pytest.mark.parametrize("args, words", [
    (["run", "no-such-preset"], ["no-such-preset", "known presets"]),
    (["run", "smoke", "--set", "bogus=1"], ["bogus"]),
    (["run", "smoke", "--set", "lr=fast"], ["lr", "fast"]),
    (["run", "smoke", "--set", "novalue"], ["KEY=VALUE"]),
    (["run", "smoke", "--set", "task=recall", "seq_len=2000", "n_samples=1000"], ["n_samples"]),
    (["--preset", "no-such-preset"], ["no-such-preset"]),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    refused(rnntui(*args), *words)


def test_invalid_preset_file_names_file_and_key(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\ndescription = "x"\n[config]\ncell = "transformer"\n')
    refused(rnntui("run", str(path)), "broken.toml", "config.cell")


def test_usage_errors_exit_2():
    result = rnntui("run", "smoke", "--device", "tpu")
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error():
    refused(rnntui("run", "smoke", "--device", "cuda"), "cuda", "no CUDA device")


def test_ctrl_c_stops_cleanly_and_exports(tmp_path):
    out = tmp_path / "interrupted.csv"
    process = subprocess.Popen([sys.executable, "-m", "rnntui", "run", "smoke", "--set", "epochs=100000",
                                "--csv", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment(), cwd=ROOT)
    try:
        first = process.stdout.readline()
        assert "smoke on cpu" in first
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "stopped at step" in stdout
    rows = read(out)
    assert rows and rows[0]["status"] == "stopped"
    assert int(rows[0]["finished_step"]) < 600_000


def test_missing_imdb_data_is_a_clear_error_not_a_traceback(tmp_path):
    result = rnntui("--imdb", str(tmp_path / "nowhere"), "--data-dir", str(tmp_path / "cache"),
                    "run", "imdb-lstm")
    refused(result, "RNNTUI_IMDB", "does not exist")
