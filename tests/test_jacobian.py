"""Jacobian products checked against independent computations."""

from __future__ import annotations

import math

import torch

from rnntui.engine.cells import GATES, LayerWeights
from rnntui.engine.config import RunConfig
from rnntui.engine.analysis.jacobian import jacobian_profile, model_profile, product_log10_norms, step_jacobians
from rnntui.engine.model import RecurrentModel
from rnntui.engine.tasks import make_task


def weights(cell: str, hidden: int = 4, inputs: int = 2, scale: float = 0.5, seed: int = 0) -> LayerWeights:
    g = torch.Generator().manual_seed(seed)
    rows = GATES[cell] * hidden

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(1, *shape, generator=g, dtype=torch.float64) * scale

    return LayerWeights(rand(rows, inputs), rand(rows, hidden), rand(rows), rand(rows))


def test_linear_regime_relu_rnn_product_is_the_matrix_power():
    # All weights, inputs and biases positive: every ReLU is active, the RNN is linear.
    w = weights("rnn_relu")
    w = LayerWeights(w.w_ih.abs(), w.w_hh.abs(), w.b_ih.abs(), w.b_hh.abs())
    inputs = torch.rand(30, 2, dtype=torch.float64)
    profile = jacobian_profile("rnn_relu", w, inputs)
    powers = torch.stack([torch.linalg.matrix_power(w.w_hh[0], k) for k in range(1, 31)])
    expected = torch.log10(torch.linalg.matrix_norm(powers, ord=2))
    torch.testing.assert_close(profile.log10_norm, expected)
    # and ρ^k is the norm's asymptotic rate: their slopes agree at long distances
    slope = float(profile.log10_norm[-1] - profile.log10_norm[-11]) / 10
    assert math.isclose(slope, float(profile.log10_reference[0]), rel_tol=1e-3)


def test_tanh_products_match_diag_derivative_times_w():
    w = weights("rnn_tanh", scale=0.8)
    inputs = torch.randn(25, 2, dtype=torch.float64)
    _, states, _ = step_jacobians("rnn_tanh", w, inputs)
    w_hh = w.w_hh[0]
    running, expected = torch.eye(4, dtype=torch.float64), []
    for t in range(25, 0, -1):   # h_t = tanh(pre) ⇒ ∂h_t/∂h_{t−1} = diag(1 − h_t²)·W_hh
        running = running @ (torch.diag(1 - states[t] ** 2) @ w_hh)
        expected.append(torch.linalg.matrix_norm(running, ord=2))
    profile = jacobian_profile("rnn_tanh", w, inputs)
    torch.testing.assert_close(profile.log10_norm, torch.log10(torch.stack(expected)))


def test_lstm_product_matches_autograd_through_the_unrolled_sequence():
    w = weights("lstm", scale=0.7)
    inputs = torch.randn(12, 2, dtype=torch.float64)
    jacobians, states, proj = step_jacobians("lstm", w, inputs)
    k = 7

    def unrolled(s: torch.Tensor) -> torch.Tensor:
        h, c = s[:4], s[4:]
        for t in range(12 - k, 12):
            gates = proj[t] + w.w_hh[0] @ h + w.b_hh[0]
            i, f, g, o = gates.chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return torch.cat([h, c])

    exact = torch.autograd.functional.jacobian(unrolled, states[12 - k])
    log10_norms = product_log10_norms(jacobians)
    assert math.isclose(float(log10_norms[k - 1]), math.log10(float(torch.linalg.matrix_norm(exact, ord=2))),
                        rel_tol=1e-9)


def test_lstm_reference_is_the_largest_forget_gate_product():
    w = weights("lstm")
    inputs = torch.randn(10, 2, dtype=torch.float64)
    _, states, proj = step_jacobians("lstm", w, inputs)
    forget = torch.stack([torch.sigmoid((proj[t] + w.w_hh[0] @ states[t, :4] + w.b_hh[0]).chunk(4)[1])
                          for t in range(10)])
    profile = jacobian_profile("lstm", w, inputs)
    k = 6
    expected = forget[10 - k:].prod(0).max()
    assert math.isclose(float(profile.log10_reference[k - 1]), math.log10(float(expected)), rel_tol=1e-9)


def test_products_stay_finite_far_past_float_range():
    w = weights("rnn_relu", hidden=3)
    w = LayerWeights(w.w_ih.abs(), torch.eye(3, dtype=torch.float64)[None] * 20, w.b_ih.abs(), w.b_hh.abs())
    profile = jacobian_profile("rnn_relu", w, torch.rand(300, 2, dtype=torch.float64))
    # 20^300 = 10^390 overflows float64; the renormalised product does not
    assert math.isclose(float(profile.log10_norm[-1]), 300 * math.log10(20), rel_tol=1e-9)


def test_single_bias_and_population_member():
    w = weights("gru")
    stacked = LayerWeights(torch.cat([w.w_ih * 0, w.w_ih]), torch.cat([w.w_hh * 0, w.w_hh]),
                           torch.cat([w.b_ih, w.b_ih]), None)
    inputs = torch.randn(8, 2, dtype=torch.float64)
    member1 = jacobian_profile("gru", stacked, inputs, member=1)
    alone = jacobian_profile("gru", LayerWeights(w.w_ih, w.w_hh, w.b_ih, None), inputs)
    torch.testing.assert_close(member1.log10_norm, alone.log10_norm)
    assert member1.reference_label == "∏ update gates"


def test_model_profile_follows_the_states_the_model_visits_in_its_reading_order():
    config = RunConfig(task="recall", cell="rnn_tanh", hidden_size=3, reverse=True, seed=2)
    task = make_task(config)
    model = RecurrentModel.for_task(config, task)
    sequence = task.validation_batch().inputs[0, 0]
    with torch.no_grad():
        hidden = model(sequence[None, None], record=True).hidden
    w_hh = model.layers[0].w_hh[0].detach().double()
    running, expected = torch.eye(3, dtype=torch.float64), []
    for h in reversed(hidden):      # the model's own h_t, read back to front by go_backwards
        running = running @ (torch.diag(1 - h[0, 0].double() ** 2) @ w_hh)
        expected.append(torch.linalg.matrix_norm(running, ord=2))
    profile = model_profile(model, sequence)
    torch.testing.assert_close(profile.log10_norm, torch.log10(torch.stack(expected)), rtol=1e-5, atol=1e-6)
    assert profile.reference_label == "ρ(W_hh)^k"
