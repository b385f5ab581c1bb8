"""CSV export: tidy round trip, every config field a column, atomic, never lost."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from rnntui.engine import export, files
from rnntui.engine.config import FIELDS, RunConfig
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics
from rnntui.engine.export import ExportError, export_run, timesteps_path, write_atomic
from rnntui.engine.files import TargetRefused
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


def test_the_only_fallback_is_the_users_cache():
    (cache,) = export.fallback_dirs()
    assert cache.parts[-2:] == ("rnntui", "runs") and not str(cache).startswith("/tmp/rnntui")


def test_no_writable_place_is_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(export, "fallback_dirs", lambda: [blocker / "fallback"])
    with pytest.raises(ExportError, match="cannot write"):
        export_run(make_record(), blocker / "run.csv")


def test_no_temp_files_are_left(tmp_path):
    export_run(make_record(), tmp_path / "run.csv")
    export_run(make_record(), tmp_path / "run.csv", force=True)   # replace
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


def test_files_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        paths = export_run(make_record(), tmp_path / "run.csv").paths
        os.umask(0o027)
        paths += export_run(make_record(), tmp_path / "other.csv").paths
    finally:
        os.umask(previous)
    assert [p.stat().st_mode & 0o777 for p in paths] == [0o644, 0o644, 0o640, 0o640]


def test_an_existing_file_is_kept_without_force(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "fallback_dirs", lambda: [tmp_path / "fallback"])
    (tmp_path / "run.csv").write_text("mine")
    result = export_run(make_record(), tmp_path / "run.csv")
    assert (tmp_path / "run.csv").read_text() == "mine"
    assert result.fallback_used and "--force" in result.message
    assert not (tmp_path / "run.timesteps.csv").exists()       # the pair is never split


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory", "protected"])
def test_non_regular_or_protected_targets_are_refused_even_with_force(tmp_path, kind):
    target = tmp_path / "run.csv"
    protect = ()
    if kind == "symlink":
        (tmp_path / "elsewhere").write_text("x")
        target.symlink_to(tmp_path / "elsewhere")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target = tmp_path / "run.timesteps.csv"
        target.mkdir()
        target = tmp_path / "run.csv"
    else:
        target.write_text("[config]\n")
        protect = (target,)
    with pytest.raises(TargetRefused):
        files.write_files((target, timesteps_path(target)), ["a", "b"], force=True, protect=protect)
    if kind == "symlink":
        assert (tmp_path / "elsewhere").read_text() == "x"


@pytest.mark.parametrize("length", [236, 241, 245, 246, 251, 255])
def test_a_long_name_writes_the_whole_pair_or_nothing(tmp_path, monkeypatch, length):
    """The timesteps name is 10 bytes longer: from 246 bytes it cannot exist, so neither is written."""
    monkeypatch.setattr(export, "fallback_dirs", lambda: [tmp_path / "fallback"])
    target = tmp_path / ("x" * (length - 4) + ".csv")
    if length + 10 <= 255:
        assert export_run(make_record(), target).paths == (target, timesteps_path(target))
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, timesteps_path(target).name])
    else:
        with pytest.raises(ExportError, match="longer than the file system allows"):
            export_run(make_record(), target)
        assert list(tmp_path.iterdir()) == []


def test_a_failed_second_file_removes_the_first_and_every_temporary(tmp_path, monkeypatch):
    real_link = os.link
    calls = []

    def link_then_fail(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link_then_fail)
    with pytest.raises(OSError):
        files.write_files((tmp_path / "a.csv", tmp_path / "a.timesteps.csv"), ["1", "2"])
    assert list(tmp_path.iterdir()) == []


def test_preset_names_cannot_lead_out_of_the_directory():
    path = export.default_export_path("/../../../tmp/x/ESCAPED", 7)
    assert path.parent == Path("runs") and ".." not in path.name and "/" not in path.name
    assert path.name.endswith("-tmp-x-ESCAPED-7.csv")
    assert export.safe_name("\x1b[31m") == "31m" and export.safe_name("...") == "run"


def test_choose_path_reads_a_trailing_slash_as_a_directory(tmp_path):
    assert export.choose_path(f"{tmp_path}/new/", "smoke", 3).parent == tmp_path / "new"
    assert export.choose_path(str(tmp_path / "new"), "smoke", 3) == tmp_path / "new"
    assert export.choose_path(None, "smoke", 3).parent == Path("runs")
