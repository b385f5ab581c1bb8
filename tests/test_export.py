"""CSV export: tidy round trip, every config field a column, atomic, never lost."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from rnntui.engine import export
from rnntui.engine.config import FIELDS, RunConfig
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics
from rnntui.engine.export import ExportError, export_run, timesteps_path, write_atomic
from rnntui.engine.record import RunRecord

CONFIG = RunConfig(task="latching", seq_len=4, cell="gru", hidden_size=3, lr=0.01)


def make_record(*, evaluations: int = 3, steps: int = 6, finished: str | None = "finished") -> RunRecord:
    record = RunRecord(CONFIG, preset="tiny")
    record.apply(RunStarted(CONFIG, "cpu (1 thread)", total_steps=steps, steps_per_epoch=2,
                            metric_name="accuracy", metric_goal="max"))
    for step in range(1, steps + 1):
        record.apply(StepMetrics(step, step / 2, 1.0 / step, 0.5, 0.5, 100.0))
        if step % 2 == 1:
            profile = tuple(0.1 * (t + 1) * step for t in range(CONFIG.seq_len))
            record.apply(ProbeResult(step, profile, 0.5, 0.5, {"rnn": 0.4}, (), 2))
        if step % 2 == 0 and step // 2 <= evaluations:
            record.apply(Evaluation(step, step / 2, 1.0 / step, 0.7 / step,
                                    {"accuracy": 0.5 + step / 100, "extra": 1 / 3}, success=step > 4))
    if finished:
        record.apply(RunFinished(finished, steps, "why" if finished != "finished" else ""))
    return record


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_summary_round_trip(tmp_path):
    record = make_record()
    result = export_run(record, tmp_path / "run.csv")
    assert result.paths == (tmp_path / "run.csv", tmp_path / "run.timesteps.csv")
    assert not result.fallback_used
    rows = read(tmp_path / "run.csv")
    assert [int(row["step"]) for row in rows] == [2, 4, 6]
    for row, evaluation in zip(rows, record.evaluations):
        assert float(row["val_loss"]) == evaluation.val_loss
        assert float(row["train_loss"]) == evaluation.train_loss
        assert float(row["metric"]) == float(row["val_accuracy"]) == evaluation.metrics["accuracy"]
        assert float(row["val_extra"]) == 1 / 3
        assert row["success"] == str(evaluation.success)
        assert (row["preset"], row["device_used"], row["status"]) == ("tiny", "cpu (1 thread)", "finished")
        assert int(row["finished_step"]) == 6
        assert float(row["final_metric"]) == record.final_metric


def test_every_config_field_is_a_column(tmp_path):
    export_run(make_record(), tmp_path / "run.csv")
    rows = read(tmp_path / "run.csv")
    assert set(FIELDS) <= set(rows[0])
    for name, value in CONFIG.to_dict().items():
        assert rows[0][name] == (repr(value) if isinstance(value, float) else str(value))


def test_runs_share_a_header_so_they_concatenate(tmp_path):
    export_run(make_record(), tmp_path / "a.csv")
    export_run(make_record(evaluations=1), tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == (tmp_path / "b.csv").read_text().splitlines()[0]


def test_timesteps_csv_is_tidy(tmp_path):
    record = make_record()
    export_run(record, tmp_path / "run.csv")
    rows = read(tmp_path / "run.timesteps.csv")
    assert list(rows[0]) == ["step", "t", "grad_norm", "cell_grad_norm"]
    assert all(r["cell_grad_norm"] == "" for r in rows)      # no LSTM cell-state profile in this record
    expected = [(probe.step, t, norm) for probe in record.probes
                for t, norm in enumerate(probe.grad_per_timestep, start=1)]
    assert [(int(r["step"]), int(r["t"]), float(r["grad_norm"])) for r in rows] == expected


def test_a_run_without_evaluations_still_gets_one_row(tmp_path):
    record = make_record(evaluations=0, steps=3, finished="stopped")
    export_run(record, tmp_path / "run.csv")
    [row] = read(tmp_path / "run.csv")
    assert (row["status"], row["step"], row["reason"]) == ("stopped", "3", "why")
    assert float(row["train_loss"]) == record.steps[-1].loss
    assert row["val_loss"] == row["final_metric"] == ""


def test_a_run_that_never_stepped_exports(tmp_path):
    record = RunRecord(CONFIG, preset="tiny")
    export_run(record, tmp_path / "run.csv")
    [row] = read(tmp_path / "run.csv")
    assert (row["status"], row["step"]) == ("pending", "0")
    assert read(tmp_path / "run.timesteps.csv") == []


def test_directory_path_gets_the_preset_name(tmp_path):
    result = export_run(make_record(), tmp_path)
    assert result.paths[0] == tmp_path / "tiny.csv"


def test_missing_parent_directories_are_created(tmp_path):
    result = export_run(make_record(), tmp_path / "deep" / "er" / "run.csv")
    assert result.paths[0].is_file() and result.paths[1].is_file()


def test_unwritable_path_falls_back_and_says_so(tmp_path, monkeypatch):
    fallback = tmp_path / "fallback"
    monkeypatch.setattr(export, "fallback_dirs", lambda: [fallback])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    wanted = blocker / "runs" / "run.csv"          # its parent can never be created
    result = export_run(make_record(), wanted)
    assert result.fallback_used
    assert result.paths == (fallback / "run.csv", fallback / "run.timesteps.csv")
    assert str(wanted) in result.message and str(fallback / "run.csv") in result.message
    assert [int(row["step"]) for row in read(fallback / "run.csv")] == [2, 4, 6]


def test_skips_unwritable_fallbacks(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(export, "fallback_dirs", lambda: [blocker / "one", tmp_path / "two"])
    result = export_run(make_record(), blocker / "run.csv")
    assert result.paths[0] == tmp_path / "two" / "run.csv"


def test_default_fallbacks_are_a_cache_and_the_temp_dir():
    cache, temp = export.fallback_dirs()
    assert cache.parts[-2:] == ("rnntui", "runs") and temp.name == "rnntui-runs"


def test_no_writable_place_is_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(export, "fallback_dirs", lambda: [blocker / "fallback"])
    with pytest.raises(ExportError, match="cannot write"):
        export_run(make_record(), blocker / "run.csv")


def test_no_temp_files_are_left(tmp_path):
    export_run(make_record(), tmp_path / "run.csv")
    export_run(make_record(), tmp_path / "run.csv")   # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv", "run.timesteps.csv"]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "run.csv"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.csv"]


def test_timesteps_path_sits_beside_the_summary():
    assert timesteps_path(Path("out/exp.csv")) == Path("out/exp.timesteps.csv")
