"""The verdict: sentences with numbers, computed from synthetic run records."""

from __future__ import annotations

import math

import pytest

from rnntui.cli.run import _summary
from rnntui.engine.analysis.verdict import number, percent, times, verdict
from rnntui.engine.config import RunConfig
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics
from rnntui.engine.record import RunRecord
from rnntui.engine.tasks import make_task
from rnntui.engine.tasks.base import Task
from rnntui.engine.training import train

ADDING = RunConfig(task="adding", seq_len=4, cell="rnn_tanh", hidden_size=2, iterations=2, device="cpu")


def record_of(config: RunConfig = ADDING, *, norms=(1.0,), clipped=None, evaluations=(), probes=(),
              status="finished", baseline=None, success_rule="", metric=("mse", "min")) -> RunRecord:
    """A record as the trainer would leave it: started, one step per gradient norm, then ended."""
    record = RunRecord(config)
    record.apply(RunStarted(config, "cpu", len(norms), 0, metric[0], metric[1], baseline, success_rule))
    clipped = norms if clipped is None else clipped
    for step, (norm, after) in enumerate(zip(norms, clipped), start=1):
        record.apply(StepMetrics(step, float(step), 0.5, norm, after, 100.0))
    for event in (*evaluations, *probes):
        record.apply(event)
    if status != "running":
        record.apply(RunFinished(status, len(norms) + (status == "diverged")))
    return record


def probe(step: int, profile, *, cells=(), radius=(), reach=0) -> ProbeResult:
    return ProbeResult(step, tuple(profile), 1.0, 1.0, {}, tuple(radius), reach, tuple(cells))


def evaluation(step: int, loss: float, metrics: dict | None = None, success=None) -> Evaluation:
    return Evaluation(step, float(step), loss, loss, metrics or {"mse": loss}, success)


def one(sentences: list[str], *words: str) -> str:
    """The only sentence that holds all ``words``."""
    found = [s for s in sentences if all(w in s for w in words)]
    assert len(found) == 1, f"{words} in {sentences}"
    return found[0]


# -- numbers ---------------------------------------------------------------------


def test_numbers_read_like_a_paper():
    assert number(3e-8) == "3e-8" and number(4.2e12) == "4.2e12" and number(0.167) == "0.167"
    assert number(0.0) == "0" and number(math.nan) == "NaN" and number(math.inf) == "inf"
    assert times(1.0e13) == "10¹³×" and times(37.0) == "37×"
    assert percent(63, 100) == "63 %" and percent(999, 1000) == "> 99 %" and percent(1, 1000) == "0.1 %"


def test_nothing_to_say_before_the_first_step():
    record = RunRecord(ADDING)
    assert verdict(record) == []


# -- gradients through time ----------------------------------------------------------


def test_a_vanishing_profile_names_its_ratio_and_what_it_means():
    sentences = verdict(record_of(probes=[probe(1, [3e-8, 1e-4, 0.01, 1.0], reach=1)]))
    sentence = one(sentences, "t = 1")
    assert "3e-8 of that at t = T" in sentence and "can't be learned from" in sentence
    assert "vanishing" in sentence and "for only 1 step back" in sentence
    again = one(verdict(record_of(probes=[probe(1, [3e-8, 1e-4, 1e-3, 1.0], reach=0)])), "t = 1")
    assert "already below 1 % of its peak one step back" in again


def test_first_and_latest_probe_are_both_told():
    sentences = verdict(record_of(norms=(1.0,) * 500, probes=[probe(1, [1e-6, 1.0]), probe(500, [0.4, 1.0])]))
    sentence = one(sentences, "t = 1")
    assert "1e-6 of that at t = T at step 1, 0.4 at step 500" in sentence
    assert "still reaches t = 1" in sentence  # judged by the latest probe


def test_a_zero_gradient_is_exactly_zero_not_an_infinite_ratio():
    sentences = verdict(record_of(probes=[probe(1, [0.0, 0.2, 1.0])]))
    sentence = one(sentences, "t = 1")
    assert "exactly 0" in sentence and "inf" not in sentence and "of that at" not in sentence


def test_no_gradient_anywhere_is_said_so():
    assert "exactly 0 at every t" in one(verdict(record_of(probes=[probe(1, [0.0, 0.0, 0.0])])), "h_t")


def test_a_zero_at_t_equals_T_compares_with_the_peak():
    sentence = one(verdict(record_of(probes=[probe(1, [0.01, 1.0, 0.0])])), "t = 1")
    assert "0.01 of that at its peak at t = 2" in sentence


def test_a_nan_profile_is_not_finite_not_a_number_ratio():
    sentence = one(verdict(record_of(probes=[probe(1, [math.nan, 1.0, 2.0])])), "h_t")
    assert "not finite at 1 of 3 timesteps" in sentence and "of that at" not in sentence


def test_an_exploding_profile_grows_towards_early_t():
    assert "exploding" in one(verdict(record_of(probes=[probe(1, [70.0, 8.0, 1.0])])), "t = 1")


def test_the_lstm_cell_state_path_against_h():
    config = ADDING.replace(cell="lstm")
    sentences = verdict(record_of(config, probes=[probe(1, [1e-6, 1.0], cells=[0.5, 1.0])]))
    sentence = one(sentences, "c_1")
    assert "0.5 of ‖∂L/∂c_T‖" in sentence and "through h_t: 1e-6" in sentence and "10⁵×" in sentence
    stuck = one(verdict(record_of(config, probes=[probe(1, [1e-9, 1.0], cells=[1e-7, 1.0])])), "c_1")
    assert "does not carry" in stuck


# -- outcome ---------------------------------------------------------------------------


def test_solved_names_the_step_and_the_rule_and_the_baseline():
    evaluations = [evaluation(1000, 0.16), evaluation(2000, 0.05), evaluation(3150, 0.008, success=True)]
    record = record_of(norms=(1.0,) * 3150, evaluations=evaluations, baseline=1 / 6, success_rule="mse < 0.01")
    sentences = verdict(record)
    assert one(sentences, "olved") == "Solved at step 3,150 (mse < 0.01)"
    left = one(sentences, "baseline")
    assert "left the baseline 0.167" in left and "at step 2,000" in left and "0.008" in left


def test_not_solved_at_the_baseline_says_nothing_was_learned_beyond_it():
    evaluations = [evaluation(2500, 0.17, success=False), evaluation(5000, 0.166, success=False)]
    record = record_of(norms=(1.0,) * 5000, evaluations=evaluations, baseline=1 / 6, success_rule="mse < 0.01")
    sentences = verdict(record)
    assert "not solved in 5,000 steps" in one(sentences, "olved").lower()
    assert "best validation mse is 0.166 (step 5,000)" in one(sentences, "olved")
    assert "still at the baseline 0.167" in one(sentences, "baseline")


def test_worse_than_the_baseline():
    record = record_of(evaluations=[evaluation(1, 0.196)], baseline=1 / 6)
    assert "worse than the baseline" in one(verdict(record), "baseline")


def test_a_running_run_is_not_solved_yet():
    record = record_of(evaluations=[evaluation(1, 0.5, {"accuracy": 0.5}, success=False)], status="running",
                       success_rule="accuracy ≥ 0.9", metric=("accuracy", "max"))
    assert "Not solved yet" in one(verdict(record), "olved")


def test_divergence_tells_how_the_gradient_norm_grew():
    norms = tuple(10.0 ** k for k in range(14))   # steps 1..14, then step 15 overflows
    sentence = one(verdict(record_of(norms=norms, status="diverged")), "iverged")
    assert sentence.startswith("Diverged at step 15 after the gradient norm grew 10¹³× in 13 steps")


def test_divergence_on_the_first_step():
    record = RunRecord(ADDING)
    record.apply(RunFinished("diverged", 1, "diverged at step 1"))
    assert verdict(record) == ["Diverged at step 1: the loss or the gradient was not finite on the first step"]


def test_a_big_gradient_rise_in_a_run_that_survived():
    sentence = one(verdict(record_of(norms=(1.0, 50.0, 4e4, 2.0))), "gradient norm")
    assert "reached 4e4 at step 3, 10⁴× its value at step 1" in sentence


# -- clipping and ρ ---------------------------------------------------------------------


def test_clipping_activity_in_percent():
    config = ADDING.replace(clip="global_norm", clip_threshold=1.0)
    norms = [5.0] * 63 + [0.5] * 37
    clipped = [1.0] * 63 + [0.5] * 37
    sentence = one(verdict(record_of(config, norms=norms, clipped=clipped)), "clipping")
    assert "active on 63 % of steps (63 of 100, the latest at step 63)" in sentence
    assert "largest norm before clipping was 5" in sentence


def test_clipping_that_never_fired_and_no_clipping_at_all():
    config = ADDING.replace(clip="global_norm", clip_threshold=1.0)
    assert "never changed" in one(verdict(record_of(config, norms=(0.5, 0.4))), "clipping")
    assert not [s for s in verdict(record_of(norms=(5.0, 4.0))) if "clipping" in s]


def test_the_spectral_radius_crossing_one():
    probes = [probe(step, [1.0, 1.0], radius=[r]) for step, r in ((1, 0.9), (400, 0.97), (450, 1.03), (500, 1.1))]
    sentence = one(verdict(record_of(norms=(1.0,) * 500, probes=probes)), "ρ")
    assert sentence.startswith("ρ(W_hh) crossed 1 between steps 400 and 450 (0.97 → 1.03)")
    assert "1.1 at step 500" in sentence


def test_the_spectral_radius_below_one_per_layer():
    probes = [probe(1, [1.0, 1.0], radius=[0.5, 1.2]), probe(9, [1.0, 1.0], radius=[0.8, 1.3])]
    sentences = verdict(record_of(norms=(1.0,) * 9, probes=probes))
    assert "stayed below 1: 0.5 at step 1, 0.8 at step 9" in one(sentences, "layer 1")
    assert "stayed at or above 1" in one(sentences, "layer 2")


# -- what the engine hands the verdict ------------------------------------------------------


def test_the_trainer_carries_the_tasks_baseline_and_success_rule():
    started = next(train(ADDING))
    assert started.baseline == pytest.approx(1 / 6) and started.success_rule == "mse < 0.01"
    assert started.output_at == "last"
    order = next(train(RunConfig(task="temporal_order", seq_len=10, hidden_size=2, iterations=1, device="cpu")))
    assert order.baseline == pytest.approx(math.log(4)) and order.success_rule == "accuracy > 0.99"


@pytest.mark.parametrize("config", [ADDING, RunConfig(task="latching", seq_len=3, n_samples=8),
                                    RunConfig(task="copy", seq_len=3), RunConfig(task="temporal_order"),
                                    RunConfig(task="recall", seq_len=3, n_samples=20),
                                    RunConfig(task="sine", seq_len=5)])
def test_every_task_with_a_success_criterion_says_it_in_words(config):
    task = make_task(config)
    judges = type(task).success is not Task.success
    assert bool(task.success_rule) == judges


def test_the_headless_summary_ends_with_the_verdict():
    record = record_of(evaluations=[evaluation(1, 0.2, success=False)], baseline=1 / 6, success_rule="mse < 0.01")
    lines = _summary(record, 1.0).splitlines()
    assert lines[0].startswith("finished at step 1/1")
    assert lines[1:] == [f"  - {sentence}" for sentence in verdict(record)] and len(lines) > 2


def test_kept_columns_give_the_same_verdict_as_the_record():
    from rnntui.engine.analysis.verdict import step_columns

    config = ADDING.replace(clip="global_norm")
    record = record_of(config, norms=(5.0, 0.5, 5e4, 3.0), clipped=(1.0, 0.5, 1.0, 1.0),
                       probes=[probe(1, [1e-6, 1.0], radius=[0.9]), probe(4, [1e-3, 1.0], radius=[1.1])],
                       evaluations=[evaluation(4, 0.1)], baseline=1 / 6)
    assert verdict(record, step_columns(record)) == verdict(record)
    assert len(verdict(record)) == 5 and "10⁴× its value at step 1" in verdict(record)[1]


def test_without_a_criterion_or_baseline_the_metric_is_told():
    record = record_of(norms=(1.0,) * 1200, evaluations=[evaluation(1200, 8.2, {"mse": 8.2})])
    assert one(verdict(record), "mse") == "Validation mse is 8.2 at step 1,200"


def test_a_loss_at_every_step_is_not_read_as_an_exploding_profile():
    record = record_of(probes=[probe(1, [22.0, 5.0, 1.0])])
    record.output_at = "all"
    sentence = one(verdict(record), "t = 1")
    assert "22 of that at t = T" in sentence and "exploding" in sentence and "does not show" in sentence
    assert "an exploding gradient" not in sentence
    lstm = record_of(ADDING.replace(cell="lstm"), probes=[probe(1, [1e-6, 1.0], cells=[0.5, 1.0])])
    lstm.output_at = "all"
    assert one(verdict(lstm), "c_1").endswith("(through h_t: 1e-6)")
