"""The run store: exact round trips, interrupted runs, versions, and three writers at once."""

import math
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from rnntui.engine.config import RunConfig
from rnntui.engine.events import (Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics,
                                  TaskView)
from rnntui.engine.record import RunRecord
from rnntui.engine.store import SCHEMA_VERSION, RunFilter, RunStore, StoreError
from rnntui.engine.store.liveness import this_process

CONFIG = RunConfig(task="latching", seq_len=5, epochs=1)


def events(status="finished"):
    yield RunStarted(config=CONFIG, device="cpu (1 thread)", total_steps=4, steps_per_epoch=2,
                     metric_name="accuracy", metric_goal="max", baseline=0.6931, success_rule="acc > .9")
    yield ProbeResult(step=1, grad_per_timestep=(0.0, 1e-300, math.inf, 0.1 + 0.2), grad_norm=1.5,
                      clipped_norm=1.0, layer_norms={"w_hh": 0.25}, spectral_radius=(0.9,), reach=2,
                      cell_grad_per_timestep=())
    for step in (1, 2):
        yield StepMetrics(step, step / 2, 0.7 / step, 1.5, 1.0, 100.0 + step)
    yield Evaluation(2, 1.0, 0.6, math.nan, {"accuracy": 0.75}, False)
    yield TaskView(2, "recall_scatter", (1.0, 2.0), (0.5, 0.5), (0.4, 0.6))
    yield StepMetrics(3, 1.5, 0.1, 2.0, 1.0, 103.0)
    yield RunFinished(status, 3, "because")


def record_of(evts, preset="p"):
    record = RunRecord(CONFIG, preset=preset)
    for event in evts:
        record.apply(event)
    return record


def store_run(store, status="finished", preset="p"):
    recorder = store.recorder(preset, "test")
    for event in events(status):
        recorder.apply(event)
    recorder.wait()
    return recorder.run_id


def test_a_recorded_run_loads_back_exactly(temporary_store):
    with RunStore() as store:
        assert store.path == temporary_store
        run_id = store_run(store)
        loaded = store.load(run_id)
    expected = record_of(events())
    assert loaded.steps == expected.steps and loaded.probes == expected.probes
    assert loaded.views == expected.views
    assert math.isnan(loaded.evaluations[0].val_loss)   # SQLite keeps NaN as NULL: read back as NaN
    assert loaded.evaluations[0].metrics == {"accuracy": 0.75}
    for name in ("config", "preset", "device", "total_steps", "steps_per_epoch", "metric_name", "baseline",
                 "success_rule", "status", "finished_step", "reason"):
        assert getattr(loaded, name) == getattr(expected, name), name


def test_summaries_are_newest_first_filtered_and_paged():
    with RunStore() as store:
        ids = [store_run(store, status, preset) for status, preset in
               [("finished", "a"), ("diverged", "b"), ("finished", "b")]]
        assert [s.id for s in store.page()] == ids[::-1]
        assert [s.id for s in store.page(RunFilter(preset="b"))] == ids[:0:-1]
        assert [s.id for s in store.page(RunFilter(status="finished"), limit=1, offset=1)] == [ids[0]]
        assert store.count(RunFilter(preset="b", status="diverged")) == 1
        summary = store.summary(ids[0])
        assert (summary.reached_step, summary.final_metric, summary.task) == (3, 0.75, "latching")


def test_delete_removes_every_row_of_a_run():
    with RunStore() as store:
        keep, gone = store_run(store), store_run(store)
        store.delete([gone])
        assert [s.id for s in store.page()] == [keep]
        with pytest.raises(KeyError):
            store.load(gone)
        assert store.load(keep).steps


def test_a_running_run_whose_process_is_gone_is_interrupted_with_its_rows(temporary_store):
    with RunStore() as store:
        recorder = store.recorder("p", "test")
        for event in list(events())[:-1]:        # no RunFinished: the process "died"
            recorder.apply(event)
        recorder.wait()
        owner = this_process()
        with sqlite3.connect(temporary_store) as db:   # pretend another, long-gone process owned it
            db.execute("UPDATE runs SET pid = ?, process_start = '1' WHERE id = ?", (owner.pid, recorder.run_id))
        live = store_run(store, "finished")
    with RunStore() as store:
        assert store.interrupted == (recorder.run_id,)
        summary = store.summary(recorder.run_id)
        assert summary.status == "interrupted" and "interrupted" in summary.reason
        assert len(store.load(recorder.run_id).evaluations) == 1
        assert store.summary(live).status == "finished"


def test_a_run_of_a_live_process_stays_running():
    with RunStore() as store:
        recorder = store.recorder("p", "test")
        recorder.apply(next(events()))
        recorder.wait()
    with RunStore() as store:
        assert store.interrupted == () and store.summary(recorder.run_id).status == "running"


def test_a_store_from_a_newer_version_is_refused(temporary_store):
    RunStore().close()
    with sqlite3.connect(temporary_store) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer rnntui"):
        RunStore()


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="junk.sqlite3"):
        RunStore(path)


def test_save_stores_whole_runs_in_one_go():
    with RunStore() as store:
        ids = store.save([record_of(events()), record_of(events("diverged"))], "sweep").result()
        assert [store.summary(i).status for i in ids] == ["finished", "diverged"]
        loaded = store.load(ids[0])
        assert [e.step for e in loaded.evaluations] == [2] and loaded.steps == record_of(events()).steps


WRITER = textwrap.dedent("""
    import sys
    from rnntui.engine.events import Evaluation, RunFinished, RunStarted, StepMetrics
    from rnntui.engine.config import RunConfig
    from rnntui.engine.store import RunStore
    config = RunConfig(task="latching", seq_len=5, epochs=1)
    with RunStore() as store:
        for run in range(3):
            recorder = store.recorder(f"writer{sys.argv[1]}", "test")
            recorder.apply(RunStarted(config=config, device="cpu", total_steps=40, steps_per_epoch=1,
                                      metric_name="accuracy", metric_goal="max"))
            for step in range(1, 41):
                recorder.apply(StepMetrics(step, float(step), 0.5, 1.0, 1.0, 1.0))
                recorder.apply(Evaluation(step, float(step), 0.5, 0.5, {"accuracy": step / 40}))
            recorder.apply(RunFinished("finished", 40))
            recorder.wait()
""")


def test_three_processes_writing_at_once_lose_nothing():
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(n)], env=env, stderr=subprocess.PIPE,
                                text=True) for n in range(3)]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    with RunStore() as store:
        runs = store.page()
        assert len(runs) == 9 and {r.status for r in runs} == {"finished"}
        for run in runs:
            record = store.load(run.id)
            assert [e.step for e in record.evaluations] == list(range(1, 41))
            assert len(record.steps) == 40 and run.final_metric == 1.0


def test_a_run_begun_before_its_first_event_keeps_its_id_and_gets_its_details():
    with RunStore() as store:
        recorder = store.recorder("p", "tui")
        run_id = recorder.begin(CONFIG)
        assert store.summary(run_id).status == "running"
        for event in events():
            recorder.apply(event)
        recorder.wait()
        assert recorder.run_id == run_id and store.count() == 1
        loaded = store.load(run_id)
    assert (loaded.device, loaded.total_steps, loaded.metric_name) == ("cpu (1 thread)", 4, "accuracy")
    assert loaded.status == "finished" and len(loaded.steps) == 3


def test_a_run_that_fails_before_its_first_event_is_stored_as_stopped():
    with RunStore() as store:
        recorder = store.recorder("p", "tui")
        run_id = recorder.begin(CONFIG)
        recorder.apply(RunFinished("stopped", 0, "no data: the archive is missing"))
        recorder.wait()
        assert store.summary(run_id).status == "stopped" and "no data" in store.summary(run_id).reason
