"""Initialisation schemes, applied to one population member at a time.

Each member draws from its own generator (seeded from its own seed), so a
member of a population gets exactly the weights a separate run would get.
Shapes follow PyTorch: ``w_ih`` is ``[G*H, I]``, ``w_hh`` is ``[G*H, H]``.
"""

from __future__ import annotations

import math

import torch

from .config import RunConfig


def _uniform(shape, limit: float, g: torch.Generator) -> torch.Tensor:
    return (torch.rand(shape, generator=g) * 2 - 1) * limit


def _glorot(shape, g: torch.Generator) -> torch.Tensor:
    fan_out, fan_in = shape
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), g)


def _orthogonal(shape, g: torch.Generator) -> torch.Tensor:
    """Orthonormal rows or columns, whichever the shape allows (Keras/PyTorch semantics).

    For an LSTM with H units the ``[4H, H]`` matrix gets orthonormal columns: with
    one unit, the four gate weights form a random unit 4-vector, as in Keras.
    """
    rows, cols = shape
    flat = torch.randn((max(rows, cols), min(rows, cols)), generator=g)
    q, r = torch.linalg.qr(flat)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    return q if rows >= cols else q.T


def _he_normal(shape, g: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=g) * math.sqrt(2.0 / shape[1])


def init_layer(config: RunConfig, gates: int, input_size: int, g: torch.Generator
               ) -> dict[str, torch.Tensor]:
    """Weights of one recurrent layer: ``w_ih``, ``w_hh``, ``b_ih``, ``b_hh``."""
    hidden = config.hidden_size
    ih, hh, bias = (gates * hidden, input_size), (gates * hidden, hidden), (gates * hidden,)
    scheme = config.init
    zeros = torch.zeros(bias)
    if scheme == "pytorch":
        limit = 1.0 / math.sqrt(hidden)
        weights = {"w_ih": _uniform(ih, limit, g), "w_hh": _uniform(hh, limit, g),
                   "b_ih": _uniform(bias, limit, g), "b_hh": _uniform(bias, limit, g)}
    elif scheme == "keras":
        # Keras: glorot-uniform kernel over all gates at once, orthogonal recurrent kernel.
        weights = {"w_ih": _glorot(ih, g), "w_hh": _orthogonal(hh, g), "b_ih": zeros, "b_hh": zeros.clone()}
        if config.cell == "lstm":
            weights["b_ih"][hidden:2 * hidden] = 1.0   # unit_forget_bias
    elif scheme == "xavier":
        weights = {"w_ih": _glorot(ih, g), "w_hh": _glorot(hh, g), "b_ih": zeros, "b_hh": zeros.clone()}
    elif scheme == "kaiming":
        weights = {"w_ih": _he_normal(ih, g), "w_hh": _he_normal(hh, g), "b_ih": zeros, "b_hh": zeros.clone()}
    elif scheme == "orthogonal":
        weights = {"w_ih": _glorot(ih, g), "w_hh": _orthogonal(hh, g), "b_ih": zeros, "b_hh": zeros.clone()}
    elif scheme == "identity":
        # IRNN (Le, Jaitly & Hinton 2015): identity recurrence, small input weights, zero bias.
        weights = {"w_ih": torch.randn(ih, generator=g) * 0.001, "w_hh": torch.eye(hidden),
                   "b_ih": zeros, "b_hh": zeros.clone()}
    elif scheme == "normal":
        std = config.init_std
        weights = {name: torch.randn(shape, generator=g) * std
                   for name, shape in (("w_ih", ih), ("w_hh", hh), ("b_ih", bias), ("b_hh", bias))}
    else:  # pragma: no cover - config validation rejects it first
        raise ValueError(f"unknown init scheme {scheme!r}")
    if config.cell == "lstm" and config.forget_bias:
        weights["b_ih"][hidden:2 * hidden] += config.forget_bias
    return weights


def init_readout(config: RunConfig, hidden: int, outputs: int, g: torch.Generator
                 ) -> dict[str, torch.Tensor]:
    """The Dense/Linear head: Keras glorot + zero bias, else PyTorch's Linear default."""
    if config.init == "keras":
        return {"weight": _glorot((outputs, hidden), g), "bias": torch.zeros(outputs)}
    limit = 1.0 / math.sqrt(hidden)
    return {"weight": _uniform((outputs, hidden), limit, g), "bias": _uniform((outputs,), limit, g)}


def init_embedding(config: RunConfig, vocab: int, dim: int, g: torch.Generator) -> torch.Tensor:
    """Keras Embedding: uniform ±0.05; PyTorch Embedding: standard normal."""
    if config.init == "keras":
        return _uniform((vocab, dim), 0.05, g)
    return torch.randn((vocab, dim), generator=g)
