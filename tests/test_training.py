"""The training loop: probes, determinism, divergence, control from another thread."""

import math
import threading

import pytest
import torch

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, RunStarted, StepMetrics
from rnntui.engine.model import RecurrentModel
from rnntui.engine.probes import gradient_reach, retain_hidden_grads, timestep_grad_norms
from rnntui.engine.training import train

TINY = RunConfig(task="latching", cell="lstm", seq_len=6, n_samples=96, batch_size=16, epochs=2,
                 hidden_size=3, probe_every=2, seed=4)


def test_probe_follows_powers_of_w_in_a_linear_rnn():
    """A ReLU RNN kept in its linear region: ∂L/∂h_t = (Wᵀ)^(T−t) ∂L/∂h_T exactly."""
    config = RunConfig(cell="rnn_relu", hidden_size=3, seed=0)
    model = RecurrentModel(config, 2, 1).double()
    w = torch.tensor([[0.5, 0.2, 0.1], [0.1, 0.6, 0.2], [0.3, 0.1, 0.4]], dtype=torch.float64)
    with torch.no_grad():
        layer = model.layers[0]
        layer.w_hh.copy_(w.unsqueeze(0))
        layer.w_ih.copy_(torch.full_like(layer.w_ih, 0.3))
        layer.b_ih.fill_(0.1)
        layer.b_hh.fill_(0.1)
    x = torch.rand(1, 1, 8, 2, dtype=torch.float64) + 0.1      # positive inputs: ReLU is linear
    forward = model(x, record=True)
    retain_hidden_grads(forward.hidden)
    forward.outputs.sum().backward()
    measured = timestep_grad_norms(forward.hidden)[0]
    last = model.readout_w[0, 0].detach()
    expected = [torch.linalg.matrix_power(w.T, 7 - t) @ last for t in range(8)]
    assert torch.allclose(measured, torch.stack([e.norm() for e in expected]), rtol=1e-10)


def test_profile_of_a_huge_but_finite_gradient_is_finite():
    """explode-noclip near divergence: 1e19 per element is finite in float32, its square is not."""
    hidden = [torch.zeros(1, 32, 64, requires_grad=True) for _ in range(2)]
    (hidden[0].sum() * 1e19 + hidden[1].sum()).backward()
    assert timestep_grad_norms(hidden)[0].tolist() == pytest.approx([1e19 * (32 * 64) ** 0.5, (32 * 64) ** 0.5])


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_probe_step_gradient_equals_fast_path_gradient(cell):
    config = RunConfig(cell=cell, hidden_size=4, layers=2, seed=2)
    x = torch.randn(1, 5, 9, 1)
    grads = []
    for record in (False, True):
        model = RecurrentModel(config, 1, 2)
        model(x, record=record).outputs.pow(2).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def test_gradient_reach():
    assert gradient_reach([1e-6, 1e-3, 0.02, 0.5, 1.0]) == 2
    assert gradient_reach([1.0, 1.0, 1.0]) == 0      # peak at the first maximum
    assert gradient_reach([0.0, 0.0]) == 0
    assert gradient_reach([0.5, 0.4, 0.3, 1.0]) == 3


def test_event_stream_shape():
    events = list(train(TINY))
    assert isinstance(events[0], RunStarted) and events[0].device.startswith("cpu")
    assert isinstance(events[-1], RunFinished) and events[-1].status == "finished"
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert [s.step for s in steps] == list(range(1, events[0].total_steps + 1))
    probes = [e for e in events if isinstance(e, ProbeResult)]
    assert [p.step for p in probes] == [1] + list(range(2, len(steps) + 1, 2))
    assert all(len(p.grad_per_timestep) == TINY.seq_len for p in probes)
    evaluations = [e for e in events if isinstance(e, Evaluation)]
    assert len(evaluations) == TINY.epochs and "accuracy" in evaluations[-1].metrics


def test_same_seed_same_metrics_other_seed_differs():
    def losses(config):
        return [e.loss for e in train(config) if isinstance(e, StepMetrics)]
    assert losses(TINY) == losses(TINY)
    assert losses(TINY) != losses(TINY.replace(seed=5))


def test_explosion_ends_as_diverged_with_the_step():
    config = RunConfig(task="adding", cell="rnn_relu", init="normal", init_std=3.0, hidden_size=32,
                       seq_len=50, iterations=50, batch_size=8, optimizer="sgd", lr=10.0)
    events = list(train(config))
    final = events[-1]
    assert final.status == "diverged"
    assert f"step {final.step}" in final.reason
    last_loss = [e for e in events if isinstance(e, StepMetrics)]
    assert all(math.isfinite(e.loss) for e in last_loss)


def test_global_norm_clipping_caps_the_update_norm():
    config = TINY.replace(clip="global_norm", clip_threshold=0.01, probe_every=0)
    steps = [e for e in train(config) if isinstance(e, StepMetrics)]
    assert any(s.grad_norm > 0.01 for s in steps)
    assert all(s.clipped_norm <= 0.01 * (1 + 1e-4) for s in steps)


def test_stop_from_another_thread_within_a_second():
    control = RunControl()
    config = TINY.replace(epochs=10_000)
    events = []

    def consume():
        for event in train(config, control):
            events.append(event)

    worker = threading.Thread(target=consume)
    worker.start()
    while not any(isinstance(e, StepMetrics) for e in events):
        worker.join(0.01)
    control.stop()
    worker.join(1.0)
    assert not worker.is_alive()
    assert events[-1].status == "stopped"


def test_pause_and_single_step():
    control = RunControl()
    control.pause()
    stream = train(TINY, control)
    started = next(stream)
    assert isinstance(started, RunStarted)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("event", next(stream)))
    worker.start()
    worker.join(0.3)
    assert worker.is_alive(), "a paused run must not step"
    control.step_once()
    worker.join(2.0)
    assert isinstance(result["event"], (StepMetrics, ProbeResult))
    control.stop()
    assert list(stream)[-1].status == "stopped"


def test_cuda_asked_for_but_absent_is_a_config_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="device"):
        next(train(TINY.replace(device="cuda")))


def test_lstm_cell_state_probe_is_the_total_derivative():
    """‖∂L/∂c_t‖ from the probe equals autograd through an independent nn.LSTMCell loop."""
    config = RunConfig(cell="lstm", hidden_size=3, seed=6)
    model = RecurrentModel(config, 2, 1).double()
    layer = model.layers[0]
    reference = torch.nn.LSTMCell(2, 3).double()
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(reference, name.replace("w_", "weight_").replace("b_", "bias_")).copy_(getattr(layer, name)[0])
    x = torch.randn(1, 4, 7, 2, dtype=torch.float64)
    forward = model(x, record=True)
    retain_hidden_grads(forward.hidden + forward.cells)
    forward.outputs.sum().backward()
    measured = timestep_grad_norms(forward.cells)[0]

    h = c = torch.zeros(4, 3, dtype=torch.float64)
    cells = []
    for t in range(7):
        h, c = reference(x[0, :, t], (h, c))
        cells.append(c)
    loss = (h @ model.readout_w[0].detach().T + model.readout_b[0].detach()).sum()
    expected = torch.stack([g.norm() for g in torch.autograd.grad(loss, cells)])
    assert torch.allclose(measured, expected, rtol=1e-9)
    assert measured[0] > 0


def test_probe_events_carry_the_lstm_cell_profile_only_for_lstm():
    lstm = [e for e in train(TINY) if isinstance(e, ProbeResult)]
    assert all(len(p.cell_grad_per_timestep) == TINY.seq_len for p in lstm)
    gru = [e for e in train(TINY.replace(cell="gru")) if isinstance(e, ProbeResult)]
    assert all(p.cell_grad_per_timestep == () for p in gru)
