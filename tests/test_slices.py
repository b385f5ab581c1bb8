"""Loss slices of a live model: the origin is the run's own validation loss, weights come back."""

from __future__ import annotations

import pytest
import torch

from rnntui.engine.config import RunConfig
from rnntui.engine.model import RecurrentModel
from rnntui.engine.analysis.slices import Cancelled, gradient_slice, random_plane, recurrent_scale_slice
from rnntui.engine.tasks import make_task
from rnntui.engine.training import evaluate


def setup(cell: str, population: int = 1):
    config = RunConfig(task="latching", cell=cell, seq_len=8, n_samples=120, hidden_size=3, seed=4)
    task = make_task(config)
    model = RecurrentModel.for_task(config, task, seeds=list(range(4, 4 + population)))
    batch = task.validation_batch()
    if population > 1:
        batch = type(batch)(batch.inputs.expand(population, *batch.inputs.shape[1:]),
                            batch.targets.expand(population, *batch.targets.shape[1:]))
    return model, task, batch, float(evaluate(model, task, batch)[0][0])


def weights(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm"])
def test_gradient_slice_starts_at_the_run_and_goes_downhill(cell):
    model, task, batch, loss = setup(cell)
    before = weights(model)
    line = gradient_slice(model, task, batch, torch.tensor([-0.01, 0.0, 0.01]))
    assert float(line.losses[1]) == pytest.approx(loss, rel=1e-6)
    assert line.losses[2] < line.losses[1] < line.losses[0]
    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))
    assert all(p.grad is None for p in model.parameters())


def test_scale_slice_is_the_run_at_one_and_reports_rho():
    model, task, batch, loss = setup("rnn_tanh")
    line = recurrent_scale_slice(model, task, batch, torch.tensor([0.5, 1.0, 2.0]))
    assert float(line.losses[1]) == pytest.approx(loss, rel=1e-6)
    rho = float(torch.linalg.eigvals(model.layers[0].w_hh[0].detach().double()).abs().max())
    torch.testing.assert_close(line.rho, torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64) * rho)
    lstm, task, batch, _ = setup("lstm")
    assert recurrent_scale_slice(lstm, task, batch, torch.tensor([1.0])).rho is None


def test_plane_origin_is_the_run_member_and_is_reproducible():
    model, task, batch, _ = setup("gru", population=2)
    losses = evaluate(model, task, batch)[0]
    before = weights(model)
    plane = random_plane(model, task, batch, torch.tensor([-0.5, 0.0, 0.5]), torch.tensor([0.0, 1.0]), seed=3)
    assert plane.losses.shape == (2, 3)
    assert float(plane.losses[0, 1]) == pytest.approx(float(losses[0]), rel=1e-6)
    assert not torch.allclose(plane.losses[1], plane.losses[0])
    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))
    again = random_plane(model, task, batch, torch.tensor([0.5]), torch.tensor([1.0]), seed=3)
    assert float(again.losses[0, 0]) == pytest.approx(float(plane.losses[1, 2]), rel=1e-9)


@pytest.mark.parametrize("slice_of", ["gradient", "scale", "plane"])
def test_a_slice_stops_before_the_next_evaluation_once_cancelled_and_restores_the_run(slice_of):
    """Closing the inspector (or quitting) must not wait for a slice of a big model to finish."""
    model, task, batch, _ = setup("rnn_tanh")
    before = weights(model)
    asked = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) > 3          # three evaluations, then stop

    offsets = torch.linspace(-1, 1, 9)
    with pytest.raises(Cancelled):
        if slice_of == "gradient":
            gradient_slice(model, task, batch, offsets, cancelled)
        elif slice_of == "scale":
            recurrent_scale_slice(model, task, batch, offsets + 1, cancelled)
        else:
            random_plane(model, task, batch, offsets, offsets, cancelled=cancelled)
    assert len(asked) == 4
    assert all(torch.equal(a, b) for a, b in zip(before, weights(model)))
