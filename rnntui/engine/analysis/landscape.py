"""The one-unit cliff system of Pascanu, Mikolov & Bengio (2013, Fig. 6).

x_t = w·σ(x_{t−1}) + b, x_0 = 0.5, loss (σ(x_T) − 0.7)².  Every (w, b) pair is
one element of a batch, so a whole grid is T elementwise tensor steps; the
gradient is carried forward alongside the state (forward-mode, exact), which
costs two more elementwise updates per step instead of a backward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

X0 = 0.5
TARGET = 0.7
DTYPE = torch.float64  # the gradient grows like (w/4)^T: float32 overflows at T=200


@dataclass(frozen=True)
class Landscape:
    """Loss and gradient over a (w, b) grid; tensors are [len(b), len(w)] (rows = b)."""

    w: torch.Tensor
    b: torch.Tensor
    T: int
    loss: torch.Tensor
    grad_w: torch.Tensor
    grad_b: torch.Tensor

    @property
    def grad_norm(self) -> torch.Tensor:
        return torch.hypot(self.grad_w, self.grad_b)

    def at(self, flat_index: int) -> tuple[float, float]:
        row, col = divmod(int(flat_index), len(self.w))
        return float(self.w[col]), float(self.b[row])

    def summary(self) -> "LandscapeSummary":
        """The numbers that tell the story: where the valley, the steepest point and the wall are.

        The wall is the largest loss jump between neighbouring grid cells: the
        grid gradient is capped by the resolution, but the jump approaches the
        full cliff height as T sharpens the wall below one cell.
        """
        loss = self.loss
        jump_b = (loss[1:] - loss[:-1]).abs()
        jump_w = (loss[:, 1:] - loss[:, :-1]).abs()
        jb, jw = float(jump_b.max()), float(jump_w.max())
        if jb >= jw:
            row, col = divmod(int(jump_b.argmax()), jump_b.shape[1])
            wall = (jb, float(self.w[col]), float(self.b[row:row + 2].mean()))
        else:
            row, col = divmod(int(jump_w.argmax()), jump_w.shape[1])
            wall = (jw, float(self.w[col:col + 2].mean()), float(self.b[row]))
        norm = self.grad_norm
        return LandscapeSummary(self.T, float(loss.min()), self.at(loss.argmin()), float(loss.max()),
                                float(norm.max()), self.at(norm.argmax()), wall[0], wall[1:])


@dataclass(frozen=True)
class LandscapeSummary:
    T: int
    min_loss: float
    argmin: tuple[float, float]
    max_loss: float
    steepest: float
    steepest_at: tuple[float, float]
    wall_jump: float
    wall_at: tuple[float, float]


@dataclass(frozen=True)
class Trajectory:
    """Gradient-descent path: ``points`` is [steps+1, 3] of (w, b, loss); ``grad_norm`` is the raw norm per step."""

    points: torch.Tensor
    grad_norm: torch.Tensor
    clip: float | None

    @property
    def step_norm(self) -> torch.Tensor:
        return torch.linalg.vector_norm(self.points[1:, :2] - self.points[:-1, :2], dim=1)


def loss_and_grad(w: torch.Tensor, b: torch.Tensor, T: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Loss, ∂loss/∂w and ∂loss/∂b for broadcastable tensors of (w, b)."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    w, b = torch.broadcast_tensors(torch.as_tensor(w, dtype=DTYPE), torch.as_tensor(b, dtype=DTYPE))
    x = torch.full_like(w, X0)
    dx_dw = torch.zeros_like(w)
    dx_db = torch.zeros_like(w)
    for _ in range(T):
        s = torch.sigmoid(x)
        gain = w * s * (1 - s)  # ∂x_t/∂x_{t−1}
        dx_dw = s + gain * dx_dw
        dx_db = 1 + gain * dx_db
        x = w * s + b
    s = torch.sigmoid(x)
    err = s - TARGET
    dloss_dx = 2 * err * s * (1 - s)
    return err * err, dloss_dx * dx_dw, dloss_dx * dx_db


def grid(w_range: tuple[float, float], b_range: tuple[float, float], resolution: int | tuple[int, int],
         T: int) -> Landscape:
    """Evaluate the loss on an evenly spaced grid (``resolution`` = n or (n_w, n_b))."""
    n_w, n_b = (resolution, resolution) if isinstance(resolution, int) else resolution
    if min(n_w, n_b) < 2:
        raise ValueError(f"resolution must be >= 2 per axis, got {resolution}")
    w = torch.linspace(*w_range, n_w, dtype=DTYPE)
    b = torch.linspace(*b_range, n_b, dtype=DTYPE)
    loss, gw, gb = loss_and_grad(w[None, :], b[:, None], T)
    return Landscape(w, b, T, loss, gw, gb)


def cliff_b(w: torch.Tensor | float) -> torch.Tensor | float:
    """b on the cliff for a given w: where x_0 = 0.5 is itself a fixed point.

    There x_0 sits on the unstable fixed point between the two attractors
    (when w·σ'(0.5) > 1), so ∂x_T/∂x_0 = (w·σ'(0.5))^T and an arbitrarily
    small change of b flips which attractor the state falls into.
    """
    return X0 - w / (1 + math.exp(-X0))


def descend(starts: list[tuple[float, float]], T: int, lr: float, steps: int,
            clips: list[float | None]) -> list[Trajectory]:
    """Plain gradient descent from each start, all paths as one batch.

    ``clips[i]`` rescales path i's gradient to norm ≤ clips[i] (Pascanu et
    al.'s norm clipping); None leaves it unclipped.
    """
    if len(starts) != len(clips):
        raise ValueError("one clip threshold (or None) per start point")
    if any(c is not None and c <= 0 for c in clips):
        raise ValueError(f"clip thresholds must be > 0, got {clips}")
    if steps < 0 or lr <= 0:
        raise ValueError(f"need steps >= 0 and lr > 0, got steps={steps}, lr={lr}")
    w, b = torch.tensor(starts, dtype=DTYPE).reshape(-1, 2).unbind(1)
    limit = torch.tensor([math.inf if c is None else c for c in clips], dtype=DTYPE)
    points, norms = [], []
    for _ in range(steps):
        loss, gw, gb = loss_and_grad(w, b, T)
        points.append(torch.stack([w, b, loss], 1))
        norm = torch.hypot(gw, gb)
        norms.append(norm)
        scale = torch.where(norm > limit, limit / norm, torch.ones_like(norm))
        w, b = w - lr * scale * gw, b - lr * scale * gb
    points.append(torch.stack([w, b, loss_and_grad(w, b, T)[0]], 1))
    path = torch.stack(points, 1)
    grad = torch.stack(norms, 1) if norms else torch.zeros(len(clips), 0, dtype=DTYPE)
    return [Trajectory(path[i], grad[i], c) for i, c in enumerate(clips)]
