"""Our cells against PyTorch's reference modules: same weights, same numbers."""

import pytest
import torch
from torch import nn

from rnntui.engine.config import RunConfig
from rnntui.engine.model import RecurrentModel

REFERENCE = {
    "rnn_tanh": lambda i, h, n: nn.RNN(i, h, n, nonlinearity="tanh", batch_first=True),
    "rnn_relu": lambda i, h, n: nn.RNN(i, h, n, nonlinearity="relu", batch_first=True),
    "lstm": lambda i, h, n: nn.LSTM(i, h, n, batch_first=True),
    "gru": lambda i, h, n: nn.GRU(i, h, n, batch_first=True),
}


def _pair(cell: str, layers: int, hidden: int = 5, inputs: int = 3, outputs: int = 2):
    config = RunConfig(cell=cell, hidden_size=hidden, layers=layers, seed=3)
    ours = RecurrentModel(config, inputs, outputs, output_at="all").double()
    ref = REFERENCE[cell](inputs, hidden, layers).double()
    head = nn.Linear(hidden, outputs).double()
    with torch.no_grad():
        for index, layer in enumerate(ours.layers):
            getattr(ref, f"weight_ih_l{index}").copy_(layer.w_ih[0])
            getattr(ref, f"weight_hh_l{index}").copy_(layer.w_hh[0])
            getattr(ref, f"bias_ih_l{index}").copy_(layer.b_ih[0])
            getattr(ref, f"bias_hh_l{index}").copy_(layer.b_hh[0])
        head.weight.copy_(ours.readout_w[0])
        head.bias.copy_(ours.readout_b[0])
    return ours, ref, head


@pytest.mark.parametrize("cell", list(REFERENCE))
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("record", [False, True], ids=["fused", "loop"])
def test_outputs_and_gradients_match_torch(cell, layers, record):
    ours, ref, head = _pair(cell, layers)
    x = torch.randn(1, 4, 7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    target = torch.randn(4, 7, 2, dtype=torch.float64)

    out = ours(x, record=record).outputs
    ref_out = head(ref(x[0])[0])
    assert torch.allclose(out[0], ref_out, atol=1e-10)

    ((out[0] - target) ** 2).mean().backward()
    ((ref_out - target) ** 2).mean().backward()
    for index, layer in enumerate(ours.layers):
        assert torch.allclose(layer.w_ih.grad[0], getattr(ref, f"weight_ih_l{index}").grad, atol=1e-10)
        assert torch.allclose(layer.w_hh.grad[0], getattr(ref, f"weight_hh_l{index}").grad, atol=1e-10)
        assert torch.allclose(layer.b_ih.grad[0], getattr(ref, f"bias_ih_l{index}").grad, atol=1e-10)
        assert torch.allclose(layer.b_hh.grad[0], getattr(ref, f"bias_hh_l{index}").grad, atol=1e-10)
    assert torch.allclose(ours.readout_w.grad[0], head.weight.grad, atol=1e-10)


@pytest.mark.parametrize("cell", list(REFERENCE))
def test_float32_matches_to_1e6(cell):
    ours, ref, head = _pair(cell, 2)
    ours, ref, head = ours.float(), ref.float(), head.float()
    x = torch.randn(1, 8, 20, 3, generator=torch.Generator().manual_seed(1))
    out = ours(x, record=True).outputs
    assert torch.allclose(out[0], head(ref(x[0])[0]), atol=1e-6)


def test_population_members_equal_separate_models():
    config = RunConfig(cell="lstm", hidden_size=4, layers=2)
    together = RecurrentModel(config, 3, 2, seeds=[11, 12, 13])
    x = torch.randn(3, 5, 6, 3)
    out = together(x).outputs
    for member, seed in enumerate([11, 12, 13]):
        alone = RecurrentModel(config, 3, 2, seeds=[seed])
        assert torch.allclose(alone(x[member:member + 1]).outputs[0], out[member], atol=1e-6)


def test_single_bias_mode_has_one_bias_per_layer():
    keras = RecurrentModel(RunConfig(cell="lstm", init="keras", single_bias=True), 1, 2)
    assert keras.layers[0].b_hh is None
    assert torch.equal(keras.layers[0].b_ih[0], torch.tensor([0.0, 1.0, 0.0, 0.0]))   # unit forget bias
    gru = RecurrentModel(RunConfig(cell="gru", init="keras", single_bias=True), 1, 2)
    assert gru.layers[0].b_hh is not None   # Keras GRU (reset_after) keeps two biases


def test_keras_orthogonal_one_unit_lstm_is_unit_four_vector():
    model = RecurrentModel(RunConfig(cell="lstm", init="keras", seed=5), 1, 2)
    w_hh = model.layers[0].w_hh[0].flatten()
    assert w_hh.shape == (4,)
    assert abs(w_hh.norm().item() - 1.0) < 1e-6
    assert not torch.allclose(w_hh.abs(), torch.ones(4))


def test_hard_sigmoid_gates_differ_from_sigmoid():
    config = RunConfig(cell="lstm", hidden_size=3, seed=1)
    soft = RecurrentModel(config, 2, 1)
    hard = RecurrentModel(config.replace(gate_activation="hard_sigmoid"), 2, 1)
    x = torch.randn(1, 2, 5, 2)
    assert not torch.allclose(soft(x).outputs, hard(x).outputs)
    assert torch.allclose(soft(x).outputs, soft(x, record=True).outputs, atol=1e-6)


def _loop_grads(cell: str, members: int, steps: int, by_slicing: bool):
    """Output, per-step ‖∂L/∂h_t‖ and weight gradients of the stepping loop; ``by_slicing`` is the
    former ``proj[:, :, t]`` loop, kept here as the reference the unbind loop must equal."""
    from rnntui.engine.cells import GATES, LayerWeights, cell_step, input_projection, run_layer_loop, zero_state

    g = torch.Generator().manual_seed(1)
    size = GATES[cell] * 4
    w = LayerWeights(*(torch.randn(shape, generator=g).mul_(0.4).requires_grad_()
                       for shape in [(members, size, 2), (members, size, 4), (members, size), (members, size)]))
    x = torch.randn(members, 3, steps, 2, generator=g, requires_grad=True)
    state = zero_state(cell, members, 3, 4, x)
    fused = {"rnn_tanh": torch.rnn_tanh_cell, "gru": torch.gru_cell}.get(cell) if members == 1 else None
    if by_slicing:
        proj, hidden = input_projection(w, x), []
        for t in range(steps):
            if fused:        # the single-member path: PyTorch's fused cell
                state = fused(x[0, :, t], state[0], w.w_ih[0], w.w_hh[0], w.b_ih[0], w.b_hh[0]).unsqueeze(0)
                h = state
            else:
                h, state = cell_step(cell, w, proj[:, :, t], state)
            hidden.append(h)
        out = torch.stack(hidden, dim=2)
    else:
        out, hidden, _, _ = run_layer_loop(cell, w, x, state)
    for h in hidden:
        h.retain_grad()
    out.pow(2).mean().backward()
    return out, torch.stack([h.grad.norm() for h in hidden]), w.w_hh.grad, w.w_ih.grad, x.grad


@pytest.mark.parametrize("cell, members", [("rnn_tanh", 1), ("rnn_tanh", 3), ("lstm", 3), ("gru", 1), ("gru", 2)])
def test_the_stepping_loop_keeps_its_numbers(cell, members):
    """The unbind loop (linear backward) gives exactly the numbers of the slicing loop."""
    for new, old in zip(_loop_grads(cell, members, 40, False), _loop_grads(cell, members, 40, True)):
        torch.testing.assert_close(new, old, rtol=1e-6, atol=1e-7)


def test_the_stepping_loop_backward_is_linear_in_time():
    """Per-step slices made the probe's backward O(T^2): each step's backward wrote a zero tensor
    the size of all T steps. Counted in bytes allocated (the slicing loop allocates 61x for 8x the
    steps, the unbind loop 8x), so the check holds on a loaded machine, unlike a timing."""
    from torch.profiler import ProfilerActivity, profile

    def allocated(steps: int) -> int:
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            _loop_grads("lstm", 4, steps, False)
        return sum(event.cpu_memory_usage for event in prof.events() if event.cpu_memory_usage > 0)

    assert allocated(200) < 12 * allocated(25)
