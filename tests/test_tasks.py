"""Task data, semantics and scoring, checked against experiments.md."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnntui.engine.config import RunConfig
from rnntui.engine.events import TaskView
from rnntui.engine.tasks import make_task
from rnntui.engine.tasks.adding import AddingTask
from rnntui.engine.tasks.copy_memory import BLANK, DELIMITER, CopyMemoryTask
from rnntui.engine.tasks.latching import BitRelayTask, LatchingTask
from rnntui.engine.tasks.recall import RecallTask
from rnntui.engine.tasks.sine import SineTask
from rnntui.engine.tasks.temporal_order import TemporalOrderTask, marker_ranges

CONFIGS = {
    "recall": dict(seq_len=10, n_samples=200, val_fraction=0.5, split="keras_tail"),
    "sine": dict(seq_len=50),
    "latching": dict(seq_len=12, n_samples=100),
    "bit_relay": dict(seq_len=12, n_samples=100),
    "adding": dict(seq_len=30),
    "copy": dict(seq_len=15),
    "temporal_order": dict(seq_len=40),
}

# name -> (input T, input size, input dtype, per-sample target shape, target dtype)
SHAPES = {
    "recall": (10, 1, (1,), torch.float32),
    "sine": (49, 1, (49, 1), torch.float32),
    "latching": (12, 1, (), torch.int64),
    "bit_relay": (12, 1, (), torch.int64),
    "adding": (30, 2, (1,), torch.float32),
    "copy": (35, 10, (35,), torch.int64),
    "temporal_order": (40, 6, (), torch.int64),
}

CLASSES = {"recall": RecallTask, "sine": SineTask, "latching": LatchingTask, "bit_relay": BitRelayTask,
           "adding": AddingTask, "copy": CopyMemoryTask, "temporal_order": TemporalOrderTask}


def config(name: str, **changes) -> RunConfig:
    return RunConfig(task=name, batch_size=8, **{**CONFIGS[name], **changes})


def train_batch(task, seed: int = 0):
    return next(iter(task.train_batches(torch.Generator().manual_seed(seed))))


def perfect_outputs(task, targets: torch.Tensor) -> torch.Tensor:
    """Outputs that score perfectly: logits peaked at the label, or the value itself."""
    if task.loss_kind == "cross_entropy":
        return torch.nn.functional.one_hot(targets, task.output_size).float() * 10
    return targets.clone()


@pytest.mark.parametrize("name", CONFIGS)
def test_registry_builds_the_named_class(name):
    assert type(make_task(config(name))) is CLASSES[name]


@pytest.mark.parametrize("name", CONFIGS)
def test_shapes_and_dtypes(name):
    task = make_task(config(name))
    length, size, target_shape, target_dtype = SHAPES[name]
    for batch in (train_batch(task), task.validation_batch()):
        assert batch.inputs.dtype == torch.float32
        assert batch.inputs.shape[0] == 1
        assert batch.inputs.shape[2:] == (length, size) == (length, task.input_size)
        assert batch.targets.shape == (1, batch.size, *target_shape)
        assert batch.targets.dtype == target_dtype
    expected_train = 1 if name == "sine" else 8
    assert train_batch(task).size == expected_train


@pytest.mark.parametrize("name", CONFIGS)
def test_same_seed_same_data_other_seed_other_data(name):
    first, again, other = (make_task(config(name, seed=s)) for s in (3, 3, 4))
    assert torch.equal(first.validation_batch().inputs, again.validation_batch().inputs)
    assert torch.equal(train_batch(first).inputs, train_batch(again).inputs)
    assert not torch.equal(first.validation_batch().inputs, other.validation_batch().inputs)


@pytest.mark.parametrize("name", ["adding", "copy", "temporal_order"])
def test_streaming_draws_fresh_data_and_validation_differs_from_training(name):
    task = make_task(config(name))
    assert task.streaming and task.steps_per_epoch() == 1
    generator = torch.Generator().manual_seed(config(name).seed)
    one = next(iter(task.train_batches(generator)))
    two = next(iter(task.train_batches(generator)))
    assert not torch.equal(one.inputs, two.inputs)
    validation = task.validation_batch().inputs[0]
    assert not any(torch.equal(one.inputs[0, 0], row) for row in validation)


@pytest.mark.parametrize("name", CONFIGS)
def test_perfect_outputs_score_perfectly_for_two_members(name):
    task = make_task(config(name))
    targets = task.validation_batch().targets.expand(2, *task.validation_batch().targets.shape[1:])
    metrics = task.metrics(perfect_outputs(task, targets), targets)
    assert metrics[task.metric_name].shape == (2,)
    best = 1.0 if task.metric_goal == "max" else 0.0
    assert torch.allclose(metrics[task.metric_name], torch.full((2,), best))
    if name != "recall" and name != "sine":
        assert task.success({k: float(v[0]) for k, v in metrics.items()}) is True


def test_recall_target_is_oldest_value_and_last_forward_input():
    task = RecallTask(config("recall"))
    stream = torch.randint(0, 10, (200,), generator=torch.Generator().manual_seed(0))
    assert task.train_targets.shape[0] + task.val_targets.shape[0] == 200 - 10 + 1
    windows = torch.cat([task.train_targets, task.val_targets]).reshape(-1)
    assert torch.equal(windows, stream[:191].float())       # keras_tail keeps window order
    inputs = torch.cat([task.train_inputs, task.val_inputs])[..., 0]
    # Inputs are z-scored per position, so undoing it must give the window newest-first.
    for position in range(10):
        column = inputs[:, position]
        assert abs(float(column.mean())) < 1e-5 and abs(float(column.std(correction=0)) - 1) < 1e-4
        raw = stream[9 - position:9 - position + 191].float()
        restored = column * raw.std(correction=0) + raw.mean()
        assert torch.allclose(restored, raw, atol=1e-4)
    # The last input in forward order is the (standardized) target itself.
    last = inputs[:, -1]
    assert torch.allclose(last * windows.std(correction=0) + windows.mean(), windows, atol=1e-4)


def test_recall_metrics_rounding_and_variance():
    task = RecallTask(config("recall"))
    targets = torch.tensor([[[1.0], [2.0], [3.0], [4.0]]]).expand(2, 4, 1)
    outputs = torch.tensor([[[1.4], [2.6], [3.0], [4.49]], [[2.5], [2.0], [3.0], [4.0]]])
    metrics = task.metrics(outputs, targets)
    assert torch.allclose(metrics["rounded_accuracy"], torch.tensor([0.75, 0.75]))
    assert torch.allclose(metrics["target_variance"], torch.tensor([1.25, 1.25]))
    assert torch.allclose(metrics["mse"], torch.tensor([(0.16 + 0.36 + 0.49 ** 2) / 4, 2.25 / 4]))


def test_recall_rejects_too_short_stream():
    with pytest.raises(ValueError, match="n_samples"):
        RecallTask(config("recall", n_samples=10))


def test_latching_semantics_and_the_keras_tail_quirk():
    tail = LatchingTask(config("latching", noise=0.1, split="keras_tail"))
    assert set(tail.val_targets.tolist()) == {0}
    shuffled = LatchingTask(config("latching", noise=0.1))
    assert set(shuffled.val_targets.tolist()) == {0, 1}
    for task in (tail, shuffled):
        inputs = torch.cat([task.train_inputs, task.val_inputs])[..., 0]
        labels = torch.cat([task.train_targets, task.val_targets])
        assert torch.equal((inputs[:, 0] > 0).long(), labels)
        assert int(labels.sum()) == 50
        assert inputs[:, 1:].abs().max() < 0.6                  # later steps carry only noise
    clean = LatchingTask(config("latching", noise=0.0))
    assert torch.equal(clean.train_inputs[:, 1:], torch.zeros_like(clean.train_inputs[:, 1:]))


def test_latching_noise_has_the_configured_std():
    task = LatchingTask(config("latching", n_samples=2000, seq_len=20, noise=0.3))
    assert abs(float(task.train_inputs[:, 1:].std()) - 0.3) < 0.01


def test_bit_relay_label_is_first_bit_among_distractors():
    task = BitRelayTask(config("bit_relay", noise=0.0, split="keras_tail"))
    inputs = torch.cat([task.train_inputs, task.val_inputs])[..., 0]
    labels = torch.cat([task.train_targets, task.val_targets])
    assert set(inputs.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal((inputs[:, 0] > 0).long(), labels)
    assert torch.equal(labels, labels.sort(descending=True).values)   # ordered by label
    later = inputs[:, 1:]
    assert 0.4 < float((later > 0).float().mean()) < 0.6             # distractors are random bits


def test_adding_one_marker_per_half_and_target_is_their_sum():
    task = AddingTask(config("adding", seq_len=31))
    batch = task.validation_batch()
    values, markers = batch.inputs[0, ..., 0], batch.inputs[0, ..., 1]
    assert torch.all(markers[:, :15].sum(dim=1) == 1) and torch.all(markers[:, 15:].sum(dim=1) == 1)
    assert torch.all((values >= 0) & (values < 1))
    assert torch.allclose((values * markers).sum(dim=1), batch.targets[0, :, 0])
    assert task.baseline() == pytest.approx(0.167, abs=1e-3)
    variance = float(((batch.targets - 1) ** 2).mean())
    assert variance == pytest.approx(task.baseline(), abs=0.02)     # predicting 1 scores the baseline
    assert task.success({"mse": 0.009}) and not task.success({"mse": 0.011})


def test_copy_layout_and_baseline():
    task = CopyMemoryTask(config("copy", seq_len=15))
    batch = task.validation_batch()
    symbols = batch.inputs[0].argmax(dim=-1)
    targets = batch.targets[0]
    data = symbols[:, :10]
    assert torch.all(data < 8)
    assert torch.all(symbols[:, 10:24] == BLANK)                     # T - 1 blanks
    assert torch.all(symbols[:, 24] == DELIMITER)
    assert torch.all(symbols[:, 25:] == BLANK)
    assert torch.all(targets[:, :25] == BLANK)
    assert torch.equal(targets[:, 25:], data)
    assert torch.all(batch.inputs.sum(dim=-1) == 1)
    assert task.baseline() == pytest.approx(10 * math.log(8) / 35)


def test_copy_accuracy_counts_only_the_recalled_symbols():
    task = CopyMemoryTask(config("copy", seq_len=15))
    targets = task.validation_batch().targets[:, :4]
    outputs = perfect_outputs(task, targets)
    outputs[..., :25, :] = 0                                         # wrong on the blanks: ignored
    outputs[:, 0, -1] = torch.nn.functional.one_hot((targets[:, 0, -1] + 1) % 8, 9).float() * 10
    assert torch.allclose(task.metrics(outputs, targets)["accuracy"], torch.tensor([39 / 40]))
    assert not task.success({"accuracy": 39 / 40})


def test_temporal_order_labels_and_marker_positions():
    for length in (10, 37, 100):
        task = TemporalOrderTask(config("temporal_order", seq_len=length))
        batch = task.validation_batch()
        symbols = batch.inputs[0].argmax(dim=-1)
        labels = batch.targets[0]
        assert set(labels.tolist()) == {0, 1, 2, 3}
        for row, label in zip(symbols[:50], labels[:50]):
            positions = torch.nonzero(row < 2).reshape(-1)
            assert len(positions) == 2
            first, second = positions.tolist()
            assert 0.1 <= first / length <= 0.2 and 0.5 <= second / length <= 0.6
            assert int(label) == 2 * int(row[first]) + int(row[second])
    assert task.success({"accuracy": 0.995}) and not task.success({"accuracy": 0.99})


def test_temporal_order_ranges_are_nonempty_and_inside_their_bands():
    for length in range(10, 3000):
        for (low, high), (band_low, band_high) in zip(marker_ranges(length), ((0.1, 0.2), (0.5, 0.6))):
            assert low <= high
            assert band_low * length <= low and high <= band_high * length


def test_sine_target_is_input_shifted_by_one_step():
    task = SineTask(config("sine"))
    batch = task.validation_batch()
    assert torch.equal(batch.inputs[0, :, 1:], batch.targets[0, :, :-1])
    assert task.carries_state and not SineTask(config("sine", tbptt=False)).carries_state
    steps = torch.linspace(0, 10, 50)
    for row in range(batch.size):        # each curve is sin on [s, s + 10] for an integer s in [0, 10)
        full = torch.cat([batch.inputs[0, row, :1, 0], batch.targets[0, row, :, 0]])
        assert any(torch.allclose(full, torch.sin(steps + s), atol=1e-5) for s in range(10))


class ShiftModel(nn.Module):
    """Stand-in step model: output = input + shift; it records the states it is handed."""

    def __init__(self, shift: float):
        super().__init__()
        self.shift = nn.Parameter(torch.tensor(shift))
        self.seen_states: list = []

    def forward(self, inputs, state):
        assert inputs.shape == (1, 1, 1, 1)
        self.seen_states.append(state)
        return inputs + self.shift, len(self.seen_states)


def test_sine_view_runs_free_from_the_first_point():
    task = SineTask(config("sine", seq_len=6))
    model = ShiftModel(0.25)
    view = task.view(model, step=7)
    assert isinstance(view, TaskView) and view.kind == "sine_generation" and view.step == 7
    # Fed sin(0) = 0 and then its own outputs, the prediction climbs by the shift each step.
    assert view.prediction == pytest.approx([0.25 * k for k in range(1, 6)])
    assert view.truth == pytest.approx([math.sin(2.0 * k) for k in range(1, 6)], abs=1e-6)
    assert view.x == pytest.approx([2.0 * k for k in range(1, 6)])
    assert model.seen_states == [None, 1, 2, 3, 4]          # starts fresh, threads the state


class LastStepModel(nn.Module):
    """Stand-in many-to-one model: predicts the last input of each sequence."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, inputs, state):
        return inputs[:, :, -1, :] * self.scale, state


def test_recall_view_scatters_validation_truth_against_prediction():
    task = RecallTask(config("recall", n_samples=600))
    view = task.view(LastStepModel(), step=3)
    assert view.kind == "recall_scatter" and len(view.truth) == len(view.prediction) == 200
    assert view.truth == pytest.approx(task.val_targets[:200, 0].tolist())
    assert view.prediction == pytest.approx(task.val_inputs[:200, -1, 0].tolist())
