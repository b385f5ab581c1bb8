"""How far back the gradient reaches: ‖∏_{j=T−k+1}^{T} ∂s_j/∂s_{j−1}‖₂ against k.

The per-step Jacobians come from the model's own ``cell_step`` (torch.func,
one vmapped call over all T steps), so they can never drift from the cell
equations.  The state s is h for vanilla/GRU cells and (h, c) for LSTM: the
cell state is where the LSTM's gradient highway runs.  Beside it, the
textbook prediction: ρ(W_hh)^k for vanilla cells, the product of forget
gates (LSTM) or update gates (GRU) along the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.func import jacrev, vmap

from ..cells import LayerWeights, cell_step
from ..model import RecurrentModel
from ..probes import spectral_radius

REFERENCE_LABELS = {"rnn_tanh": "ρ(W_hh)^k", "rnn_relu": "ρ(W_hh)^k", "lstm": "∏ forget gates",
                    "gru": "∏ update gates"}


@dataclass(frozen=True)
class JacobianProfile:
    """log10 norms for k = 1..T; ``reference`` is the textbook prediction on the same axis."""

    distance: torch.Tensor
    log10_norm: torch.Tensor
    log10_reference: torch.Tensor
    reference_label: str


def _member(w: LayerWeights, member: int) -> LayerWeights:
    pick = slice(member, member + 1)

    def one(t: torch.Tensor | None) -> torch.Tensor | None:
        return None if t is None else t.detach()[pick].double()

    return LayerWeights(one(w.w_ih), one(w.w_hh), one(w.b_ih), one(w.b_hh))


def _flat_step(cell: str, w: LayerWeights, gate, hidden: int):
    """cell_step on one flat state vector [S] with one input projection [G·H]."""
    def step(proj: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        state = (s[:hidden].view(1, 1, -1), s[hidden:].view(1, 1, -1)) if cell == "lstm" else s.view(1, 1, -1)
        _, new = cell_step(cell, w, proj.view(1, 1, -1), state, gate)
        return torch.cat([new[0].flatten(), new[1].flatten()]) if cell == "lstm" else new.flatten()
    return step


def step_jacobians(cell: str, w: LayerWeights, inputs: torch.Tensor, state0: torch.Tensor | None = None,
                   gate=torch.sigmoid, member: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-step Jacobians ∂s_j/∂s_{j−1} ``[T, S, S]``, states s_0..s_T ``[T+1, S]`` and projections.

    ``inputs`` is one sequence ``[T, I]``; ``state0`` is s_0 (zeros by default).
    """
    w = _member(w, member)
    hidden = w.w_hh.shape[-1]
    size = 2 * hidden if cell == "lstm" else hidden
    proj = (inputs.double() @ w.w_ih[0].T) + w.b_ih[0]
    step = _flat_step(cell, w, gate, hidden)
    states = [torch.zeros(size, dtype=torch.float64) if state0 is None else state0.detach().double()]
    with torch.no_grad():
        for t in range(proj.shape[0]):
            states.append(step(proj[t], states[-1]))
    states = torch.stack(states)
    jacobians = vmap(jacrev(step, argnums=1))(proj, states[:-1])
    return jacobians, states, proj


def product_log10_norms(jacobians: torch.Tensor) -> torch.Tensor:
    """log10 ‖J_T ⋯ J_{T−k+1}‖₂ for k = 1..T, renormalised as it goes so it never overflows."""
    products, log_scale = [], []
    running = torch.eye(jacobians.shape[-1], dtype=jacobians.dtype)
    scale = 0.0
    for jac in jacobians.flip(0):
        running = running @ jac
        size = float(torch.linalg.matrix_norm(running))
        if size > 0:
            running = running / size
            scale += math.log10(size)
        products.append(running)
        log_scale.append(scale if size > 0 else -math.inf)
    spectral = torch.linalg.matrix_norm(torch.stack(products), ord=2)
    return torch.log10(spectral) + torch.tensor(log_scale, dtype=spectral.dtype)


def _gate_reference(cell: str, w: LayerWeights, proj: torch.Tensor, states: torch.Tensor, gate) -> torch.Tensor:
    """log10 of max over units of ∏ carry gates over the last k steps (the ‖·‖₂ of that diagonal)."""
    hidden = w.w_hh.shape[-1]
    recurrent = states[:-1, :hidden] @ w.w_hh[0].T
    if w.b_hh is not None:
        recurrent = recurrent + w.b_hh[0]
    chunks = 4 if cell == "lstm" else 3
    carry = gate((proj + recurrent).chunk(chunks, dim=-1)[1])   # LSTM f, GRU z
    log_carry = torch.log10(carry.clamp_min(1e-300)).flip(0).cumsum(0)
    return log_carry.max(dim=1).values


def jacobian_profile(cell: str, w: LayerWeights, inputs: torch.Tensor, state0: torch.Tensor | None = None,
                     gate=torch.sigmoid, member: int = 0) -> JacobianProfile:
    """The measured product norms against distance, and the textbook prediction beside them."""
    one = _member(w, member)
    jacobians, states, proj = step_jacobians(cell, one, inputs, state0, gate)
    distance = torch.arange(1, jacobians.shape[0] + 1)
    if cell in ("lstm", "gru"):
        reference = _gate_reference(cell, one, proj, states, gate)
    else:
        rho = spectral_radius(one.w_hh[0])
        reference = distance.double() * (math.log10(rho) if rho > 0 else -math.inf)
    return JacobianProfile(distance, product_log10_norms(jacobians), reference, REFERENCE_LABELS[cell])


def model_profile(model: RecurrentModel, sequence: torch.Tensor) -> JacobianProfile:
    """Layer 1 of the run (member 0) on one sequence ``[T, …]`` of token ids or features.

    The sequence goes through the model's own embedding and reading order, so the
    Jacobians are those of the states the run actually visits.
    """
    with torch.no_grad():
        inputs = model._embed(sequence[None, None].to(model.readout_w.device))[0, 0]
    if model.config.reverse:
        inputs = inputs.flip(0)
    layer = model.layers[0].weights()
    weights = LayerWeights(*(None if t is None else t.detach().cpu() for t in
                             (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh)))
    return jacobian_profile(model.cell, weights, inputs.cpu(), gate=model.gate)
