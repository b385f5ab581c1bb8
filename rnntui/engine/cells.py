"""Recurrent cells over a population of independent models.

Every weight has a leading population axis P; member ``p`` is an ordinary
PyTorch-style cell (same gate order, same equations), so a population of one
is numerically a ``torch.nn.RNN/LSTM/GRU``.

Two ways to run a layer over a sequence:

- :func:`run_layer_loop` steps through time in Python and keeps every hidden
  state in the autograd graph, so the probe can read the exact ∂L/∂h_t.
- :func:`run_layer_fused` hands a single member to PyTorch's fused kernel
  (oneDNN on CPU, cuDNN on CUDA): the fast path for training a single run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


@dataclass
class LayerWeights:
    w_ih: torch.Tensor            # [P, G*H, I]
    w_hh: torch.Tensor            # [P, G*H, H]
    b_ih: torch.Tensor            # [P, G*H]
    b_hh: torch.Tensor | None     # [P, G*H], None in single-bias (Keras) mode


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 2.x ``hard_sigmoid``: clip(0.2·x + 0.5, 0, 1)."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def _recurrent(w: LayerWeights, h: torch.Tensor) -> torch.Tensor:
    out = torch.bmm(h, w.w_hh.transpose(1, 2))
    return out if w.b_hh is None else out + w.b_hh.unsqueeze(1)


def cell_step(cell: str, w: LayerWeights, x_proj: torch.Tensor, state, gate=torch.sigmoid):
    """One time step. ``x_proj`` is the input projection W_ih·x + b_ih, ``[P, B, G*H]``."""
    if cell in ("rnn_tanh", "rnn_relu"):
        pre = x_proj + _recurrent(w, state)
        h = torch.tanh(pre) if cell == "rnn_tanh" else torch.relu(pre)
        return h, h
    if cell == "lstm":
        h, c = state
        i, f, g, o = (x_proj + _recurrent(w, h)).chunk(4, dim=-1)
        c = gate(f) * c + gate(i) * torch.tanh(g)
        h = gate(o) * torch.tanh(c)
        return h, (h, c)
    if cell == "gru":
        h = state
        xr, xz, xn = x_proj.chunk(3, dim=-1)
        hr, hz, hn = _recurrent(w, h).chunk(3, dim=-1)
        r, z = gate(xr + hr), gate(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        return h, h
    raise ValueError(f"unknown cell {cell!r}")


def zero_state(cell: str, population: int, batch: int, hidden: int, like: torch.Tensor):
    h = like.new_zeros((population, batch, hidden))
    return (h, h.clone()) if cell == "lstm" else h


def input_projection(w: LayerWeights, inputs: torch.Tensor) -> torch.Tensor:
    """W_ih·x_t + b_ih for all t at once: ``[P, B, T, I]`` -> ``[P, B, T, G*H]``."""
    population, batch, steps, features = inputs.shape
    flat = inputs.reshape(population, batch * steps, features)
    proj = torch.baddbmm(w.b_ih.unsqueeze(1), flat, w.w_ih.transpose(1, 2))
    return proj.reshape(population, batch, steps, -1)


_FUSED_CELL = {"rnn_tanh": torch.rnn_tanh_cell, "rnn_relu": torch.rnn_relu_cell, "gru": torch.gru_cell}


def run_layer_loop(cell: str, w: LayerWeights, inputs: torch.Tensor, state, gate=torch.sigmoid):
    """Step through time.

    Returns outputs ``[P,B,T,H]``, the per-step hidden states h_t, the per-step
    LSTM cell states c_t (empty for other cells) and the final state.
    """
    if inputs.shape[0] == 1 and gate is torch.sigmoid and cell in _FUSED_CELL:
        return _run_single_member_loop(cell, w, inputs, state)
    # unbind, not proj[:, :, t]: each slice's backward would write a zero tensor the size of
    # all T steps, so the backward was O(T^2) (LSTM, 4 members, T = 1000: 10.5 s, now linear).
    proj = input_projection(w, inputs).unbind(dim=2)
    hidden: list[torch.Tensor] = []
    cells: list[torch.Tensor] = []
    for x_proj in proj:
        h, state = cell_step(cell, w, x_proj, state, gate)
        hidden.append(h)
        if cell == "lstm":
            cells.append(state[1])
    return torch.stack(hidden, dim=2), hidden, cells, state


def _run_single_member_loop(cell: str, w: LayerWeights, inputs: torch.Tensor, state):
    """A population of one steps with PyTorch's fused cell ops: fewer autograd nodes per step.

    Not for the LSTM: its fused cell computes h_t from an internal copy of c_t,
    so a gradient retained on the returned c_t would miss the path through h_t.
    """
    step = _FUSED_CELL[cell]
    weights = (w.w_ih[0], w.w_hh[0], w.b_ih[0], None if w.b_hh is None else w.b_hh[0])
    h = state
    hidden: list[torch.Tensor] = []
    for x_t in inputs[0].unbind(dim=1):      # unbind: a linear backward, as in run_layer_loop
        # h keeps its population axis and the next step reads through it, so a
        # gradient retained on h is the total ∂L/∂h_t (output and recurrence).
        h = step(x_t, h[0], *weights).unsqueeze(0)
        hidden.append(h)
    return torch.stack(hidden, dim=2), hidden, [], h


_FUSED = {"rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu, "lstm": torch.lstm, "gru": torch.gru}


def run_layer_fused(cell: str, w: LayerWeights, inputs: torch.Tensor, state):
    """PyTorch's fused kernel for a population of one: ``[1,B,T,I]`` -> ``[1,B,T,H]``."""
    b_hh = w.b_hh[0] if w.b_hh is not None else torch.zeros_like(w.b_ih[0])
    params = [w.w_ih[0], w.w_hh[0], w.b_ih[0], b_hh]
    x = inputs[0]
    if cell == "lstm":
        h0, c0 = state
        out, h, c = torch.lstm(x, (h0, c0), params, True, 1, 0.0, False, False, True)
        return out.unsqueeze(0), (h, c)
    out, h = _FUSED[cell](x, state, params, True, 1, 0.0, False, False, True)
    return out.unsqueeze(0), h
