"""The training loop reads the device at read points only, and reading late changes no number."""

import collections
import dataclasses
import math

import pytest
import torch

from rnntui.engine import training
from rnntui.engine.config import RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, StepMetrics
from rnntui.engine.training import train

READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__")
LATE = {"sync_each_step": False, "refresh_seconds": math.inf}
CASES = {
    "probed lstm": RunConfig(task="latching", cell="lstm", seq_len=6, n_samples=96, batch_size=16, epochs=2,
                             hidden_size=3, probe_every=3, seed=4),
    "clipped tanh": RunConfig(task="adding", cell="rnn_tanh", seq_len=12, hidden_size=8, iterations=60,
                              batch_size=8, clip="global_norm", clip_threshold=0.05, probe_every=25, seed=1),
    "diverging relu": RunConfig(task="adding", cell="rnn_relu", init="normal", init_std=0.1, hidden_size=32,
                                seq_len=20, iterations=100, eval_every=50, batch_size=8, optimizer="sgd",
                                lr=1.0, probe_every=0),
}


def _numbers(events):
    """The events with the wall-clock field zeroed: everything a run computes."""
    return [dataclasses.replace(e, steps_per_second=0.0) if isinstance(e, StepMetrics) else e for e in events]


@pytest.mark.parametrize("case", CASES)
def test_late_reads_give_every_number_of_per_step_reads(case):
    config = CASES[case]
    eager = list(train(config, sync_each_step=True))
    late = list(train(config, **LATE))
    assert _numbers(late) == _numbers(eager)
    assert eager[-1].status == ("diverged" if case == "diverging relu" else "finished")
    assert eager[-1].step > 1     # a late read still names the first bad step, not the read point


def test_the_cpu_default_reads_every_step():
    config = CASES["probed lstm"]
    assert _numbers(train(config)) == _numbers(train(config, sync_each_step=True))


@pytest.fixture
def reads(monkeypatch):
    """Counts every way a tensor's values reach Python: to_host and the Tensor methods that sync."""
    counts = collections.Counter()
    real_to_host = training.to_host

    def to_host(*tensors):
        counts["to_host"] += 1
        return real_to_host(*tensors)

    monkeypatch.setattr(training, "to_host", to_host)
    for name in READS:
        method = getattr(torch.Tensor, name)

        def counted(self, *args, _method=method, _name=name, **kwargs):
            counts[_name] += 1
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counts


def _count(reads, config, **options) -> tuple[int, int, int]:
    reads.clear()
    events = list(train(config, **options))
    assert events[-1].status == "finished"
    return sum(reads.values()), reads["to_host"], sum(isinstance(e, Evaluation) for e in events)


def test_steps_between_read_points_read_nothing(reads):
    """Twice the steps between the same evaluations: not one read more (per-step syncs: one per step more)."""
    short = RunConfig(task="adding", cell="rnn_tanh", seq_len=10, hidden_size=8, batch_size=8, iterations=100,
                      eval_every=50, probe_every=0)
    long = short.replace(iterations=200, eval_every=100)
    short_total, short_to_host, evaluations = _count(reads, short, **LATE)
    long_total, _, _ = _count(reads, long, **LATE)
    assert long_total == short_total
    assert short_to_host <= 2 * evaluations     # the steps since the last read, then the evaluation
    eager_short, _, _ = _count(reads, short, sync_each_step=True)
    eager_long, _, _ = _count(reads, long, sync_each_step=True)
    assert eager_long - eager_short >= 100


def test_a_paused_run_shows_every_step_it_took():
    control = RunControl()
    stream = train(CASES["clipped tanh"].replace(probe_every=0), control, **LATE)
    next(stream)
    control.step_once()
    control.step_once()
    first, second = next(stream), next(stream)
    assert (first.step, second.step) == (1, 2)
    control.stop()
    assert list(stream)[-1] == RunFinished("stopped", 2, "stopped by the user after step 2 of 60")


def test_probe_results_survive_reading_in_one_transfer():
    events = list(train(CASES["clipped tanh"], **LATE))
    probes = [e for e in events if isinstance(e, ProbeResult)]
    steps = {e.step: e for e in events if isinstance(e, StepMetrics)}
    assert [p.step for p in probes] == [1, 25, 50]
    for probe in probes:
        assert probe.clipped_norm == steps[probe.step].clipped_norm <= 0.05 * (1 + 1e-4)
        assert len(probe.spectral_radius) == 1 and set(probe.layer_norms)


def _sweep_reads(reads, config) -> int:
    from rnntui.engine.sweep import SweepSpec, sweep

    reads.clear()
    spec = SweepSpec(config, field="lr", values=(1e-3, 1e-2), cells=("rnn_tanh",), repeats=3, backend="torch")
    assert list(sweep(spec))[-1].status == "finished"
    return sum(reads.values())


def test_sweep_populations_read_nothing_per_step(reads):
    short = RunConfig(task="adding", cell="rnn_tanh", seq_len=10, hidden_size=8, batch_size=8, iterations=100,
                      probe_every=0)
    assert _sweep_reads(reads, short.replace(iterations=200)) == _sweep_reads(reads, short)


def test_a_sweep_member_diverging_late_reports_its_first_bad_step():
    from rnntui.engine.sweep import SweepPointResult, SweepSpec, sweep

    config = CASES["diverging relu"]
    alone = list(train(config))[-1]
    spec = SweepSpec(config, field="lr", values=(config.lr,), cells=(config.cell,), repeats=1, backend="torch")
    result = next(e for e in sweep(spec) if isinstance(e, SweepPointResult))
    assert (result.status, result.steps) == (alone.status, alone.step) == ("diverged", 5)


def test_the_one_transfer_path_reads_what_tolist_reads():
    """gather is what to_host does off the CPU: every value equal to its own .tolist()/.item()."""
    from rnntui.engine.device import gather, to_host

    tensors = [torch.tensor(0.1), torch.randn(3, 4), torch.tensor([7, -2]), torch.zeros(0), torch.tensor([math.nan])]
    gathered = gather(tensors)
    assert gathered[:4] == [t.tolist() for t in tensors[:4]] == to_host(*tensors)[:4]
    assert gathered[0] == tensors[0].item() and math.isnan(gathered[4][0])
