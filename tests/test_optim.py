"""Population optimizers and clipping against torch.optim / torch.nn.utils."""

import pytest
import torch
from torch import nn

from rnntui.engine.config import RunConfig
from rnntui.engine.optim import PopulationOptimizer, clip_gradients, member_grad_norms

REFERENCE = {
    "adam": lambda params, c: torch.optim.Adam(params, lr=c.lr),
    "sgd": lambda params, c: torch.optim.SGD(params, lr=c.lr, momentum=c.momentum),
    "rmsprop": lambda params, c: torch.optim.RMSprop(params, lr=c.lr, momentum=c.momentum),
}


def _grads(step: int, shape):
    return torch.randn(shape, generator=torch.Generator().manual_seed(step), dtype=torch.float64)


@pytest.mark.parametrize("kind", list(REFERENCE))
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_each_member_follows_its_own_torch_optimizer(kind, momentum):
    configs = [RunConfig(optimizer=kind, lr=lr, momentum=momentum) for lr in (0.01, 0.1, 0.003)]
    start = torch.randn(3, 4, 2, dtype=torch.float64)
    ours = nn.Parameter(start.clone())
    optimizer = PopulationOptimizer([ours], configs)
    refs = [nn.Parameter(start[i].clone()) for i in range(3)]
    ref_opts = [REFERENCE[kind]([refs[i]], configs[i]) for i in range(3)]
    for step in range(5):
        grad = _grads(step, start.shape)
        ours.grad = grad.clone()
        optimizer.step()
        for i in range(3):
            refs[i].grad = grad[i].clone()
            ref_opts[i].step()
    for i in range(3):
        assert torch.allclose(ours.detach()[i], refs[i].detach(), atol=1e-12)


def test_global_norm_clipping_is_per_member_and_matches_clip_grad_norm():
    a = nn.Parameter(torch.zeros(2, 3, dtype=torch.float64))
    b = nn.Parameter(torch.zeros(2, 5, dtype=torch.float64))
    a.grad, b.grad = _grads(1, a.shape) * 10, _grads(2, b.shape) * 10
    expected = []
    for member in range(2):
        ra, rb = nn.Parameter(a[member].detach().clone()), nn.Parameter(b[member].detach().clone())
        ra.grad, rb.grad = a.grad[member].clone(), b.grad[member].clone()
        nn.utils.clip_grad_norm_([ra, rb], max_norm=[1.0, 0.5][member])
        expected.append((ra.grad, rb.grad))
    clip_gradients([a, b], "global_norm", [1.0, 0.5])
    for member in range(2):
        assert torch.allclose(a.grad[member], expected[member][0])
        assert torch.allclose(b.grad[member], expected[member][1])
    assert torch.allclose(member_grad_norms([a, b]), torch.tensor([1.0, 0.5], dtype=torch.float64), atol=1e-5)


def test_tensor_norm_and_value_clipping():
    p = nn.Parameter(torch.zeros(2, 4))
    p.grad = torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.3, 0.4, 0.0, 0.0]])
    clip_gradients([p], "tensor_norm", [1.0, 1.0])
    assert torch.allclose(p.grad[0], torch.tensor([0.6, 0.8, 0.0, 0.0]))     # scaled to norm 1
    assert torch.allclose(p.grad[1], torch.tensor([0.3, 0.4, 0.0, 0.0]))     # under the threshold
    p.grad = torch.tensor([[3.0, -4.0, 0.5, 0.0], [0.3, 0.4, 0.0, -9.0]])
    clip_gradients([p], "value", [1.0, 0.35])
    assert torch.equal(p.grad, torch.tensor([[1.0, -1.0, 0.5, 0.0], [0.3, 0.35, 0.0, -0.35]]))
