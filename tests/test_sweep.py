"""Sweeps: batched runs equal separate runs, the kernel equals PyTorch, aggregation, CLI and CSV."""

import csv
import math
import subprocess
import sys

import pytest

from rnntui.engine.config import FIELDS, ConfigError, RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.events import Evaluation, RunFinished
from rnntui.engine.sweep import LATCHING_LENGTHS, SweepSpec, aggregate, sweep
from rnntui.engine.sweep import SweepFinished, SweepPointResult, SweepProgress, SweepStarted
from rnntui.engine.sweep.kernel import KernelUnavailable, forget, load
from rnntui.engine.training import train

TINY = RunConfig(task="latching", n_samples=80, batch_size=16, epochs=2, init="keras", single_bias=True,
                 probe_every=0, seq_len=4)

try:
    load()
    KERNEL = True
except KernelUnavailable:
    KERNEL = False
needs_kernel = pytest.mark.skipif(not KERNEL, reason="no C compiler for the sweep kernel")
BACKENDS = [pytest.param("kernel", marks=needs_kernel), "torch"]


def results(spec: SweepSpec, control: RunControl | None = None) -> list[SweepPointResult]:
    return [e for e in sweep(spec, control) if isinstance(e, SweepPointResult)]


def separate(config: RunConfig) -> tuple[Evaluation | None, RunFinished]:
    events = list(train(config))
    return next((e for e in reversed(events) if isinstance(e, Evaluation)), None), events[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_sweep_equals_separate_runs(backend):
    """Mixed lengths, three cells, two seeds: each member is exactly its own train() run."""
    spec = SweepSpec(TINY, field="seq_len", values=(3, 11), cells=("rnn_tanh", "lstm", "gru"), repeats=2,
                     backend=backend)
    got = results(spec)
    assert len(got) == 12
    for result in got:
        evaluation, finished = separate(result.config)
        assert result.config == TINY.replace(cell=result.cell, seq_len=result.value, seed=result.repeat)
        assert result.status == finished.status == "finished" and result.steps == finished.step
        assert result.val_loss == pytest.approx(evaluation.val_loss, abs=1e-6)
        assert result.train_loss == pytest.approx(evaluation.train_loss, abs=1e-6)
        assert result.metrics["accuracy"] == pytest.approx(evaluation.metrics["accuracy"], abs=1e-6)
        assert result.success == evaluation.success


VARIANTS = {
    "sgd-momentum-clip-value": dict(optimizer="sgd", lr=0.05, momentum=0.9, clip="value", clip_threshold=0.01),
    "rmsprop-tensor-norm": dict(optimizer="rmsprop", lr=0.01, clip="tensor_norm", clip_threshold=0.05),
    "adam-global-norm-reversed": dict(clip="global_norm", clip_threshold=0.05, reverse=True, lr=0.01),
    "pytorch-init-two-biases": dict(init="pytorch", single_bias=False, lr=0.01),
    "hard-sigmoid-forget-bias": dict(gate_activation="hard_sigmoid", forget_bias=1.0, lr=0.01),
    "keras-tail-split": dict(split="keras_tail", lr=0.01, n_samples=70),
}


@needs_kernel
@pytest.mark.parametrize("changes", VARIANTS.values(), ids=VARIANTS.keys())
def test_kernel_equals_pytorch_path(changes):
    base = TINY.replace(**changes)
    cells = ("lstm", "gru") if base.gate_activation == "hard_sigmoid" else ("rnn_tanh", "rnn_relu", "lstm", "gru")
    specs = [SweepSpec(base, values=(2, 9), cells=cells, repeats=2, backend=b) for b in ("kernel", "torch")]
    fast, reference = (results(spec) for spec in specs)
    for a, b in zip(fast, reference):
        assert (a.cell, a.value, a.repeat) == (b.cell, b.value, b.repeat)
        assert a.val_loss == pytest.approx(b.val_loss, abs=1e-5)
        assert a.train_loss == pytest.approx(b.train_loss, abs=1e-5)
        assert a.metrics["accuracy"] == pytest.approx(b.metrics["accuracy"], abs=1e-6)


def test_hidden_size_sweep_mixes_engines_and_stays_exact():
    spec = SweepSpec(TINY, field="hidden_size", values=(1, 3), cells=("gru",), repeats=1)
    for result in results(spec):
        evaluation, _ = separate(result.config)
        assert result.val_loss == pytest.approx(evaluation.val_loss, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_diverging_member_does_not_stop_the_others(backend):
    """Seed 1 explodes at T = 60 (a ReLU unit with a huge recurrent weight); seed 0 trains on."""
    base = TINY.replace(cell="rnn_relu", init="normal", init_std=10.0, optimizer="sgd", lr=1.0)
    spec = SweepSpec(base, values=(3, 60), cells=("rnn_relu",), repeats=2, backend=backend)
    got = {(r.value, r.repeat): r for r in results(spec)}
    assert got[60, 1].status == "diverged" and got[60, 1].metrics == {} and got[60, 1].success is False
    for key in ((3, 0), (3, 1), (60, 0)):
        assert got[key].status == "finished" and 0 <= got[key].metrics["accuracy"] <= 1
    for result in got.values():
        _, finished = separate(result.config)
        assert (finished.status, finished.step) == (result.status, result.steps)


def test_event_stream_and_stop():
    spec = SweepSpec(TINY, values=(3, 4, 5), cells=("rnn_tanh",), repeats=2, memory_mb=0)
    events = list(sweep(spec))
    assert isinstance(events[0], SweepStarted) and events[0].total_runs == 6
    assert isinstance(events[-1], SweepFinished) and events[-1].status == "finished"
    assert events[-1].runs_done == 6
    fractions = [e.fraction for e in events if isinstance(e, SweepProgress)]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)

    control = RunControl()
    stream = sweep(spec, control)
    seen = []
    for event in stream:
        seen.append(event)
        if isinstance(event, SweepPointResult):
            control.stop()
    assert seen[-1].status == "stopped" and 0 < seen[-1].runs_done < 6


def test_bad_spec_is_a_config_error_naming_the_field():
    with pytest.raises(ConfigError, match="field"):
        list(sweep(SweepSpec(TINY, field="noise", values=(0.1,))))
    with pytest.raises(ConfigError, match="seq_len"):
        list(sweep(SweepSpec(TINY, values=(1,), cells=("lstm",), repeats=1)))


@pytest.mark.parametrize("env", [{"RNNTUI_SWEEP_KERNEL": "0"}, {"CC": "false"}], ids=["switched-off", "bad-compiler"])
def test_without_the_kernel_the_sweep_falls_back_to_pytorch(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    forget()
    try:
        with pytest.raises(KernelUnavailable):
            load()
        events = list(sweep(SweepSpec(TINY, values=(3,), cells=("gru",), repeats=1)))
        assert events[0].backend.startswith("PyTorch") and events[-1].status == "finished"
        with pytest.raises(KernelUnavailable):
            next(sweep(SweepSpec(TINY, values=(3,), cells=("gru",), repeats=1, backend="kernel")))
    finally:
        monkeypatch.undo()
        forget()


def point(cell, value, accuracy=None, status="finished", success=None):
    metrics = {} if accuracy is None else {"accuracy": accuracy}
    return SweepPointResult(cell, value, 0, 0, status, 10, None, None, metrics, success)


def test_aggregation_math():
    rows = [point("lstm", 5, 1.0, success=True), point("lstm", 5, 0.5, success=False),
            point("lstm", 5, status="diverged", success=False), point("gru", 5, 0.8, success=None)]
    lstm, gru = aggregate(rows, "accuracy")
    assert (lstm.cell, lstm.value, lstm.runs, lstm.diverged) == ("lstm", 5, 3, 1)
    assert lstm.mean == pytest.approx(0.75) and lstm.std == pytest.approx(math.sqrt(0.125))
    assert lstm.success_fraction == pytest.approx(1 / 3)
    assert gru.std == 0.0 and gru.success_fraction is None
    only_diverged, = aggregate([point("rnn_tanh", 2, status="diverged", success=False)], "accuracy")
    assert math.isnan(only_diverged.mean) and only_diverged.success_fraction == 0.0


def test_latching_grid():
    assert LATCHING_LENGTHS[:9] == (2, 5, 8, 10, 15, 20, 25, 30, 40) and LATCHING_LENGTHS[-1] == 200
    assert all(b - a == 10 for a, b in zip(LATCHING_LENGTHS[8:], LATCHING_LENGTHS[9:]))


def rnntui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnntui", *args], capture_output=True, text=True, timeout=120)


def test_cli_writes_run_and_curve_csvs(tmp_path):
    path = tmp_path / "latch.csv"
    done = rnntui("sweep", "latching-srnn", "--lengths", "3,5", "--repeats", "2", "--cells", "rnn_tanh,lstm",
                  "--split", "keras_tail", "--set", "n_samples=64", "epochs=1", "--csv", str(path))
    assert done.returncode == 0, done.stderr
    assert "mean ± std" in done.stdout and "4/4" not in done.stderr
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    assert {"cell", "value", "repeat", "seed", "status", "val_loss", "val_accuracy", "success"} <= set(rows[0])
    assert set(FIELDS) <= set(rows[0])
    assert {(r["cell"], r["seq_len"], r["repeat"], r["split"]) for r in rows} == {
        (c, t, r, "keras_tail") for c in ("rnn_tanh", "lstm") for t in ("3", "5") for r in ("0", "1")}
    with path.with_name("latch.curve.csv").open() as handle:
        curve = list(csv.DictReader(handle))
    assert len(curve) == 4 and {"mean_accuracy", "std_accuracy", "success_fraction", "runs"} <= set(curve[0])
    assert all(row["runs"] == "2" for row in curve)


def test_cli_bad_input_exits_2(tmp_path):
    assert rnntui("sweep", "latching-srnn", "--field", "lr", "--values", "1e-3,abc").returncode == 2
    no_grid = rnntui("sweep", "sine", "--csv", str(tmp_path / "x.csv"))
    assert no_grid.returncode == 2 and "--lengths" in no_grid.stderr
