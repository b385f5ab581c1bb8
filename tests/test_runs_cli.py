"""The run store from the command line, through ``python -m rnntui`` as a user runs it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

from rnntui.engine.store import SCHEMA_VERSION, RunStore
from cli_helpers import ROOT, environment, refused, rnntui
from test_cli import read


def test_a_run_is_recorded_listed_and_shown(tmp_path):
    result = rnntui("run", "smoke", "--csv", str(tmp_path / "out.csv"))
    assert result.returncode == 0, result.stderr
    assert "run 1 in" in result.stdout
    listing = rnntui("runs", "list")
    assert listing.returncode == 0
    header, row = listing.stdout.splitlines()
    assert header.split()[:3] == ["id", "started", "preset"]
    assert row.split()[0] == "1" and "smoke" in row and "finished" in row and "6/6" in row
    shown = rnntui("runs", "show", "1")
    assert shown.returncode == 0 and "finished at step 6/6" in shown.stdout
    assert "6 evaluations" in shown.stdout and "torch" in shown.stdout


def test_the_csv_is_a_view_of_the_store(tmp_path):
    assert rnntui("run", "smoke", "--csv", str(tmp_path / "run.csv")).returncode == 0
    exported = rnntui("runs", "export", "1", "--csv", str(tmp_path / "again.csv"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "run.csv").read_text() == (tmp_path / "again.csv").read_text()
    assert (tmp_path / "run.timesteps.csv").read_text() == (tmp_path / "again.timesteps.csv").read_text()


def test_several_runs_export_into_a_directory(tmp_path):
    for _ in range(2):
        assert rnntui("run", "smoke", "--csv", str(tmp_path / f"r{_}.csv")).returncode == 0
    out = tmp_path / "out"
    assert rnntui("runs", "export", "1", "2", "--csv", f"{out}/").returncode == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 4 and names[0].endswith("-smoke-1.csv") and names[2].endswith("-smoke-2.csv")
    refused(rnntui("runs", "export", "1", "2", "--csv", str(tmp_path / "one.csv")), "directory")


def test_a_rerun_reproduces_the_stored_metrics_exactly(tmp_path):
    assert rnntui("run", "sine-short", "--set", "iterations=40", "seed=3",
                  "--csv", str(tmp_path / "a.csv")).returncode == 0
    assert rnntui("runs", "rerun", "1", "--csv", str(tmp_path / "b.csv")).returncode == 0
    assert rnntui("run", "--from", "1", "--csv", str(tmp_path / "c.csv")).returncode == 0
    with RunStore() as store:
        first, *again = (store.load(i) for i in (1, 2, 3))
    assert first.config.seed == 3 and first.evaluations
    for record in again:
        assert record.config == first.config
        assert [(e.step, e.train_loss, e.val_loss, e.metrics) for e in record.evaluations] == \
               [(e.step, e.train_loss, e.val_loss, e.metrics) for e in first.evaluations]
        assert record.probes == first.probes
        assert [s.loss for s in record.steps] == [s.loss for s in first.steps]


def test_kill_9_leaves_an_interrupted_run_with_its_rows():
    process = subprocess.Popen([sys.executable, "-m", "rnntui", "run", "smoke", "--set", "epochs=100000",
                                "--csv", "/dev/null/never"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment(), cwd=ROOT)
    try:
        assert "run 1 in" in process.stdout.readline()
        time.sleep(1.5)                  # smoke evaluates every step: rows are committed meanwhile
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    shown = rnntui("runs", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "interrupted" in shown.stdout.splitlines()[0]
    evaluations = int(shown.stdout.split(" evaluations:")[0].split()[-1])
    assert evaluations > 0
    assert "interrupted" in rnntui("runs", "list", "--status", "interrupted").stdout


def test_rm_asks_first_and_yes_deletes(tmp_path):
    assert rnntui("run", "smoke", "--csv", str(tmp_path / "a.csv")).returncode == 0
    refused(rnntui("runs", "rm", "1"), "--yes")
    removed = rnntui("runs", "rm", "1", "--yes")
    assert removed.returncode == 0 and "deleted 1" in removed.stdout
    assert "no stored runs" in rnntui("runs", "list").stdout
    refused(rnntui("runs", "show", "1"), "no such run")


def test_list_filters(tmp_path):
    assert rnntui("run", "smoke", "--csv", str(tmp_path / "a.csv")).returncode == 0
    assert "no stored runs match" in rnntui("runs", "list", "--preset", "sine").stdout
    assert "smoke" in rnntui("runs", "list", "--since", "1h", "--status", "finished").stdout
    assert "no stored runs match" in rnntui("runs", "list", "--since", "2999-01-01").stdout
    refused(rnntui("runs", "list", "--since", "yesterday"), "--since")


def test_store_option_and_a_newer_store(tmp_path):
    elsewhere = tmp_path / "elsewhere.sqlite3"
    assert rnntui("--store", str(elsewhere), "run", "smoke", "--csv", str(tmp_path / "a.csv")).returncode == 0
    with RunStore(elsewhere) as store:
        assert store.count() == 1
    with RunStore() as store:
        assert store.count() == 0
    with sqlite3.connect(elsewhere) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    refused(rnntui("--store", str(elsewhere), "runs", "list"), "newer rnntui")
    refused(rnntui("--store", str(elsewhere), "run", "smoke"), "newer rnntui")


def test_a_sweep_records_each_run(tmp_path):
    result = rnntui("sweep", "smoke", "--lengths", "3,4", "--repeats", "2", "--cells", "lstm",
                    "--csv", str(tmp_path / "sweep.csv"))
    assert result.returncode == 0, result.stderr
    assert "stored 4 runs as 1-4" in result.stdout
    with RunStore() as store:
        runs = store.page()
    assert sorted(r.seq_len for r in runs) == [3, 3, 4, 4] and {r.source for r in runs} == {"sweep"}
    sweep_rows = read(tmp_path / "sweep.csv")
    assert sorted(float(r["val_accuracy"]) for r in sweep_rows) == sorted(r.final_metric for r in runs)
