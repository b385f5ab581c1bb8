"""Exact gradient diagnostics: ‖∂L/∂h_t‖ per time step and friends.

The probe step runs the model through the step-by-step loop, keeps every
top-layer hidden state in the graph and reads each one's gradient after the
backward pass: the total derivative of the loss with respect to h_t (through
the output and through all later steps), not a proxy. That same backward pass
also supplies the gradient for the optimizer step, so probing costs only the
difference between the loop and the fused kernel, once every K steps.
"""

from __future__ import annotations

import torch

REACH_FRACTION = 0.01


def timestep_grad_norms(hidden: list[torch.Tensor]) -> torch.Tensor:
    """``[P, T]``: per member, ‖∂L/∂h_t‖ over batch and units (0 where no gradient flows).

    Summed in float64: a diverging run's float32 gradient of 1e19 per element is finite, but the
    sum of its squares is not, and the profile read inf where the gradient had not overflowed.
    """
    norms = []
    for h in hidden:
        if h.grad is None:
            norms.append(torch.zeros(h.shape[0], dtype=torch.float64, device=h.device))
        else:
            norms.append(torch.linalg.vector_norm(h.grad.reshape(h.shape[0], -1), dim=1, dtype=torch.float64))
    return torch.stack(norms, dim=1)


def retain_hidden_grads(hidden: list[torch.Tensor]) -> None:
    for h in hidden:
        h.retain_grad()


def gradient_reach(profile: list[float], fraction: float = REACH_FRACTION) -> int:
    """How many steps back from its peak the gradient stays ≥ ``fraction`` of the peak."""
    if not profile:
        return 0
    peak_index = max(range(len(profile)), key=profile.__getitem__)
    peak = profile[peak_index]
    if not peak > 0:
        return 0
    index = peak_index
    while index > 0 and profile[index - 1] >= fraction * peak:
        index -= 1
    return peak_index - index


def radius_tensor(w_hh: torch.Tensor) -> torch.Tensor:
    """Largest |eigenvalue| of a square recurrent matrix, as a float64 scalar on its device."""
    return torch.linalg.eigvals(w_hh.detach().double()).abs().max()


def spectral_radius(w_hh: torch.Tensor) -> float:
    """Largest |eigenvalue| of a square recurrent matrix (vanilla cells), computed on the CPU."""
    return float(radius_tensor(w_hh.cpu()))


def group_grad_squares(groups: dict[str, list[torch.nn.Parameter]], member: int = 0) -> dict[str, list[torch.Tensor]]:
    """Per group, each parameter's squared gradient norm (still on the device; read them in one go)."""
    return {name: [p.grad[member].pow(2).sum() for p in params if p.grad is not None]
            for name, params in groups.items()}
