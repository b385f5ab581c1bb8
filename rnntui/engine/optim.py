"""Optimizers and gradient clipping that treat each population member alone.

Every parameter has a leading population axis P. The update rules are
PyTorch's (``torch.optim.Adam``, ``SGD``, ``RMSprop`` with default betas and
eps), written elementwise so member ``p`` sees exactly what a separate
optimizer on a separate model would; hyperparameters may differ per member
(a learning-rate sweep is one computation). Clipping norms are per member too.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import torch
from torch import nn

from .config import RunConfig


def _per_member(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    """A ``[P]`` list of hyperparameters shaped to broadcast against ``like``."""
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, *[1] * (like.dim() - 1))


def _hyper(state: dict, name: str, values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    """``_per_member`` made once per parameter, not once per step."""
    if name not in state:
        state[name] = _per_member(values, like)
    return state[name]


class PopulationOptimizer:
    def __init__(self, params: Iterable[nn.Parameter], configs: Sequence[RunConfig]):
        self.params = [p for p in params if p.requires_grad]
        self.kind = configs[0].optimizer
        self.lr = [c.lr for c in configs]
        self.momentum = [c.momentum for c in configs]
        self.step_count = 0
        self.state: dict[int, dict[str, torch.Tensor]] = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.step_count += 1
        for index, p in enumerate(self.params):
            if p.grad is not None:
                getattr(self, f"_{self.kind}")(p, p.grad, self.state.setdefault(index, {}))

    def _adam(self, p, g, state, beta1=0.9, beta2=0.999, eps=1e-8):
        if not state:
            state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
        m, v = state["m"], state["v"]
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        t = self.step_count
        step_size = _hyper(state, "lr", self.lr, p) / (1 - beta1 ** t)
        denom = (v.sqrt() / math.sqrt(1 - beta2 ** t)).add_(eps)
        p.sub_(step_size * m / denom)

    def _sgd(self, p, g, state):
        momentum = _hyper(state, "momentum", self.momentum, p)
        if "buf" not in state:
            state["buf"] = g.clone()
        else:
            state["buf"].mul_(momentum).add_(g)
        # momentum = 0 makes buf == g, plain SGD.
        p.sub_(_hyper(state, "lr", self.lr, p) * state["buf"])

    def _rmsprop(self, p, g, state, alpha=0.99, eps=1e-8):
        if not state:
            state["square_avg"], state["buf"] = torch.zeros_like(p), torch.zeros_like(p)
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        scaled = g / (square_avg.sqrt().add_(eps))
        state["buf"].mul_(_hyper(state, "momentum", self.momentum, p)).add_(scaled)
        p.sub_(_hyper(state, "lr", self.lr, p) * state["buf"])


def member_grad_norms(params: Sequence[nn.Parameter]) -> torch.Tensor:
    """Global L2 norm of the gradient of each member: ``[P]``."""
    total = None
    for p in params:
        if p.grad is None:
            continue
        squares = p.grad.detach().reshape(p.shape[0], -1).pow(2).sum(dim=1)
        total = squares if total is None else total + squares
    return total.sqrt()


@torch.no_grad()
def clip_gradients(params: Sequence[nn.Parameter], mode: str, thresholds: Sequence[float]) -> None:
    """Clip in place per member, as ``clip_grad_norm_`` / ``clip_by_norm`` / ``clipvalue``."""
    grads = [p.grad for p in params if p.grad is not None]
    if mode == "none" or not grads:
        return
    if mode == "global_norm":
        norms = member_grad_norms([p for p in params if p.grad is not None])
        limit = torch.tensor(thresholds, dtype=norms.dtype, device=norms.device)
        scale = torch.clamp(limit / (norms + 1e-6), max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))
    elif mode == "tensor_norm":
        for g in grads:
            norms = g.reshape(g.shape[0], -1).norm(dim=1)
            limit = _per_member(thresholds, norms)
            scale = limit / torch.maximum(norms, limit)
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))
    elif mode == "value":
        for g in grads:
            limit = _per_member(thresholds, g)
            g.copy_(torch.maximum(torch.minimum(g, limit), -limit))
    else:  # pragma: no cover - config validation rejects it first
        raise ValueError(f"unknown clipping mode {mode!r}")
