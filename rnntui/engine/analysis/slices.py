"""1-D and 2-D slices of a live model's validation loss around its current weights.

(a) along the current gradient, (b) along a scaling of every W_hh (where
ρ(W_hh) crosses 1), (c) over two random filter-normalised directions (Li et
al. 2018). Member 0 of the population is the run; the weights are always put
back, even when an evaluation fails.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from ..model import RecurrentModel
from ..probes import spectral_radius
from ..tasks.base import Batch, Task
from ..training import EVAL_CHUNK, evaluate


@dataclass(frozen=True)
class Slice:
    """``losses[i]`` is the validation loss at ``offsets[i]``; offset 0 (or scale 1) is the run itself."""

    offsets: torch.Tensor
    losses: torch.Tensor
    rho: torch.Tensor | None = None     # ρ(W_hh) of layer 1 at each scale (vanilla cells only)


@dataclass(frozen=True)
class Plane:
    """``losses[j, i]`` at ``alphas[i]·d1 + betas[j]·d2``."""

    alphas: torch.Tensor
    betas: torch.Tensor
    losses: torch.Tensor


class Cancelled(Exception):
    """The caller's ``cancelled()`` said stop: raised between two loss evaluations."""


def _never() -> bool:
    return False


def _val_loss(model: RecurrentModel, task: Task, batch: Batch, cancelled: Callable[[], bool]) -> float:
    """One evaluation of the loss; a big model takes a second or more, so a caller can stop between them."""
    if cancelled():
        raise Cancelled
    return float(evaluate(model, task, batch)[0][0])


@contextmanager
def _restored(model: RecurrentModel) -> Iterator[list[tuple[torch.nn.Parameter, torch.Tensor]]]:
    """Yield (parameter, saved value) pairs; every parameter is reset on the way out."""
    saved = [(p, p.detach().clone()) for p in model.parameters()]
    try:
        yield saved
    finally:
        with torch.no_grad():
            for param, value in saved:
                param.copy_(value)


def _member0(tensor: torch.Tensor) -> torch.Tensor:
    """Zero every population member but the run."""
    mask = torch.zeros_like(tensor)
    mask[0] = 1
    return tensor * mask


def _line(model, task, batch, directions: list[torch.Tensor], offsets: torch.Tensor,
          cancelled: Callable[[], bool]) -> torch.Tensor:
    losses = []
    with _restored(model) as saved, torch.no_grad():
        for alpha in offsets.tolist():
            for (param, base), direction in zip(saved, directions):
                param.copy_(base + alpha * direction)
            losses.append(_val_loss(model, task, batch, cancelled))
    return torch.tensor(losses, dtype=torch.float64)


def gradient_slice(model: RecurrentModel, task: Task, batch: Batch, offsets: torch.Tensor,
                   cancelled: Callable[[], bool] = _never) -> Slice:
    """Loss at θ − α·g/‖g‖ for the validation gradient g: α > 0 goes downhill."""
    was_training = model.training
    model.eval()
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():   # chunked like evaluate(); the chunk means are weighted back to one mean
        for start in range(0, batch.size, EVAL_CHUNK):
            inputs, targets = batch.inputs[:, start:start + EVAL_CHUNK], batch.targets[:, start:start + EVAL_CHUNK]
            share = inputs.shape[1] / batch.size
            (task.loss(model(inputs).outputs, targets)[0] * share).backward()
    model.train(was_training)
    grads = [_member0(p.grad) if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    norm = math.sqrt(sum(float(g.pow(2).sum()) for g in grads)) or 1.0
    return Slice(offsets, _line(model, task, batch, [-g / norm for g in grads], offsets, cancelled))


def recurrent_scale_slice(model: RecurrentModel, task: Task, batch: Batch, scales: torch.Tensor,
                          cancelled: Callable[[], bool] = _never) -> Slice:
    """Loss with every layer's W_hh multiplied by s (s = 1 is the run); ρ scales with it."""
    recurrent = {id(layer.w_hh) for layer in model.layers}
    directions = [_member0(p.detach()) if id(p) in recurrent else torch.zeros_like(p) for p in model.parameters()]
    losses = _line(model, task, batch, directions, scales - 1.0, cancelled)
    rho = None
    if model.cell in ("rnn_tanh", "rnn_relu"):
        rho = scales.double() * spectral_radius(model.layers[0].w_hh[0])
    return Slice(scales, losses, rho)


def filter_normalised_direction(model: RecurrentModel, generator: torch.Generator) -> list[torch.Tensor]:
    """Gaussian direction with each weight row scaled to that row's norm in θ; biases get none (Li et al.)."""
    directions = []
    for param in model.parameters():
        base = _member0(param.detach())
        if base.dim() <= 2:          # [P, n] biases: Li et al. leave them out
            directions.append(torch.zeros_like(base))
            continue
        noise = torch.randn(base.shape, generator=generator, dtype=base.dtype).to(base.device)
        scale = base.norm(dim=-1, keepdim=True) / noise.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        directions.append(noise * scale)
    return directions


def random_plane(model: RecurrentModel, task: Task, batch: Batch, alphas: torch.Tensor, betas: torch.Tensor,
                 seed: int = 0, cancelled: Callable[[], bool] = _never) -> Plane:
    """Loss over the plane spanned by two filter-normalised random directions."""
    generator = torch.Generator().manual_seed(seed)
    first = filter_normalised_direction(model, generator)
    second = filter_normalised_direction(model, generator)
    losses = torch.empty(len(betas), len(alphas), dtype=torch.float64)
    with _restored(model) as saved, torch.no_grad():
        for j, beta in enumerate(betas.tolist()):
            for i, alpha in enumerate(alphas.tolist()):
                for (param, base), d1, d2 in zip(saved, first, second):
                    param.copy_(base + alpha * d1 + beta * d2)
                losses[j, i] = _val_loss(model, task, batch, cancelled)
    return Plane(alphas, betas, losses)
