"""The cliff system: closed forms, exact gradients, clipping."""

from __future__ import annotations

import math

import pytest
import torch

from rnntui.engine.analysis.landscape import X0, cliff_b, descend, grid, loss_and_grad


def unrolled_loss(w: torch.Tensor, b: torch.Tensor, T: int) -> torch.Tensor:
    x = torch.tensor(X0, dtype=torch.float64)
    for _ in range(T):
        x = w * torch.sigmoid(x) + b
    return (torch.sigmoid(x) - 0.7) ** 2


def test_t1_grid_is_the_closed_form():
    land = grid((-3.0, 9.0), (-6.0, 2.0), (31, 17), T=1)
    w, b = land.w[None, :], land.b[:, None]
    expected = (torch.sigmoid(w * torch.sigmoid(torch.tensor(X0)) + b) - 0.7) ** 2
    assert land.loss.shape == (17, 31)
    torch.testing.assert_close(land.loss, expected)


@pytest.mark.parametrize("T", [1, 5, 50, 200])
def test_grid_gradient_matches_autograd(T):
    land = grid((0.0, 10.0), (-7.0, 1.0), 41, T)
    g = torch.Generator().manual_seed(T)
    for row, col in torch.randint(0, 41, (12, 2), generator=g).tolist():
        w = land.w[col].clone().requires_grad_()
        b = land.b[row].clone().requires_grad_()
        unrolled_loss(w, b, T).backward()
        torch.testing.assert_close(land.grad_w[row, col], w.grad, rtol=1e-9, atol=1e-14)
        torch.testing.assert_close(land.grad_b[row, col], b.grad, rtol=1e-9, atol=1e-14)


def test_the_cliff_closes_in_on_cliff_b_and_sharpens_with_T():
    w = 7.0
    b = torch.linspace(cliff_b(w) - 0.5, cliff_b(w) + 0.5, 20001, dtype=torch.float64)
    offsets, peaks = [], []
    for T in (5, 10, 20):
        _, gw, gb = loss_and_grad(torch.full_like(b, w), b, T)
        norm = torch.hypot(gw, gb)
        offsets.append(abs(float(b[norm.argmax()]) - cliff_b(w)))
        peaks.append(float(norm.max()))
    assert offsets[0] > offsets[1] > offsets[2] and offsets[2] < 1e-3
    assert peaks[0] * 10 < peaks[1] and peaks[1] * 10 < peaks[2]


def test_clipped_steps_never_exceed_lr_times_threshold():
    lr, clip = 0.5, 1.0
    plain, clipped = descend([(5.5, -2.0)] * 2, 50, lr, 150, [None, clip])
    assert float(clipped.step_norm.max()) <= lr * clip * (1 + 1e-12)
    assert float(plain.step_norm.max()) > lr * clip
    assert torch.all(plain.points[:, 2] >= 0)


def test_unclipped_descent_jumps_off_the_cliff_and_clipping_prevents_it():
    # Measured here: from (5.5, −2) at T = 50 the unclipped path walks into the wall,
    # one step is ~370 long and lands on the far plateau; the clipped path settles.
    plain, clipped = descend([(5.5, -2.0)] * 2, 50, 0.5, 150, [None, 1.0])
    jump = int(plain.step_norm.argmax())
    assert float(plain.step_norm[jump]) > 100
    assert float(plain.grad_norm[jump]) > 100 * float(plain.grad_norm[0])
    assert float(plain.points[-1, 2]) > 0.05           # stranded on a flat, bad plateau
    assert float(clipped.points[-1, 2]) < 1e-3         # clipping reaches the valley


def test_descend_returns_start_and_rejects_bad_input():
    (path,) = descend([(1.0, -1.0)], 5, 0.1, 3, [None])
    assert path.points.shape == (4, 3)
    assert path.points[0, :2].tolist() == [1.0, -1.0]
    assert math.isclose(float(path.points[0, 2]), float(loss_and_grad(torch.tensor(1.0), torch.tensor(-1.0), 5)[0]))
    with pytest.raises(ValueError):
        descend([(1.0, -1.0)], 5, 0.1, 3, [0.0])
    with pytest.raises(ValueError):
        loss_and_grad(torch.tensor(1.0), torch.tensor(1.0), 0)
