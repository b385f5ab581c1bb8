"""The recurrent model: (embedding) → stacked cells → Dense head, for P members.

Parameters are population tensors (leading axis P). Member ``p`` is
initialised from ``seeds[p]`` exactly as a separate run with that seed would be.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .cells import GATES, LayerWeights, hard_sigmoid, run_layer_fused, run_layer_loop, zero_state
from .config import RunConfig
from .init import init_embedding, init_layer, init_readout


class RecurrentLayer(nn.Module):
    def __init__(self, config: RunConfig, input_size: int, members: list[dict[str, torch.Tensor]]):
        super().__init__()
        self.w_ih = nn.Parameter(torch.stack([m["w_ih"] for m in members]))
        self.w_hh = nn.Parameter(torch.stack([m["w_hh"] for m in members]))
        self.b_ih = nn.Parameter(torch.stack([m["b_ih"] for m in members]))
        # Keras SimpleRNN/LSTM have one bias; its GRU (reset_after=True) keeps two.
        single = config.single_bias and config.cell != "gru"
        self.b_hh = None if single else nn.Parameter(torch.stack([m["b_hh"] for m in members]))

    def weights(self) -> LayerWeights:
        return LayerWeights(self.w_ih, self.w_hh, self.b_ih, self.b_hh)


@dataclass
class Forward:
    outputs: torch.Tensor                 # [P, B, O] or [P, B, T, O]
    state: list                           # final state per layer
    hidden: list[torch.Tensor] | None     # top-layer h_t, t = 1..T (only when recorded)
    cells: list[torch.Tensor] | None = None   # top-layer LSTM c_t (recorded LSTM runs only)

    def __iter__(self):
        """Unpacks as ``outputs, state``, like a PyTorch RNN call."""
        return iter((self.outputs, self.state))


class RecurrentModel(nn.Module):
    def __init__(self, config: RunConfig, input_size: int, output_size: int, *,
                 output_at: str = "last", vocab_size: int | None = None,
                 seeds: list[int] | None = None):
        super().__init__()
        self.config = config
        self.cell = config.cell
        self.hidden_size = config.hidden_size
        self.output_at = output_at
        seeds = [config.seed] if seeds is None else list(seeds)
        self.population = len(seeds)
        generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        if vocab_size is not None:
            self.embedding = nn.Parameter(torch.stack(
                [init_embedding(config, vocab_size, config.embed_dim, g) for g in generators]))
            input_size = config.embed_dim
        else:
            self.embedding = None
        layers = []
        for index in range(config.layers):
            size = input_size if index == 0 else config.hidden_size
            members = [init_layer(config, GATES[config.cell], size, g) for g in generators]
            layers.append(RecurrentLayer(config, size, members))
        self.layers = nn.ModuleList(layers)
        heads = [init_readout(config, config.hidden_size, output_size, g) for g in generators]
        self.readout_w = nn.Parameter(torch.stack([h["weight"] for h in heads]))
        self.readout_b = nn.Parameter(torch.stack([h["bias"] for h in heads]))
        self.gate = hard_sigmoid if config.gate_activation == "hard_sigmoid" else torch.sigmoid
        # Dropout masks are drawn from their own generator so runs stay reproducible.
        self.dropout_generator = torch.Generator().manual_seed(seeds[0] + 7919)

    @classmethod
    def for_task(cls, config: RunConfig, task, seeds: list[int] | None = None) -> "RecurrentModel":
        return cls(config, task.input_size, task.output_size, output_at=task.output_at,
                   vocab_size=task.vocab_size, seeds=seeds)

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """Named groups for per-layer gradient norms."""
        groups: dict[str, list[nn.Parameter]] = {}
        if self.embedding is not None:
            groups["embedding"] = [self.embedding]
        for index, layer in enumerate(self.layers):
            groups[f"layer{index + 1}"] = list(layer.parameters())
        groups["readout"] = [self.readout_w, self.readout_b]
        return groups

    def fused_ok(self) -> bool:
        return self.population == 1 and self.gate is torch.sigmoid

    def _embed(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.embedding is None:
            return inputs
        members = torch.arange(inputs.shape[0], device=inputs.device).view(-1, 1, 1)
        return self.embedding[members, inputs]

    def _input_dropout(self, x: torch.Tensor) -> torch.Tensor:
        rate = self.config.input_dropout
        if not self.training or rate == 0.0:
            return x
        # Keras recurrent-layer dropout: one mask per sequence, shared by all time steps.
        shape = (x.shape[0], x.shape[1], 1, x.shape[3])
        keep = torch.rand(shape, generator=self.dropout_generator) >= rate
        return x * keep.to(x.device, x.dtype) / (1.0 - rate)

    def forward(self, inputs: torch.Tensor, state: list | None = None, *, record: bool = False) -> Forward:
        x = self._input_dropout(self._embed(inputs))
        if self.config.reverse:   # Keras go_backwards: the layer reads the sequence from the end
            x = x.flip(2)
        population, batch = x.shape[0], x.shape[1]
        if state is None:
            state = [zero_state(self.cell, population, batch, self.hidden_size, x) for _ in self.layers]
        # Recording needs only the top layer stepped by hand; the layers below stay fused.
        top_index = len(self.layers) - 1
        new_state, hidden, cells = [], None, None
        for index, layer in enumerate(self.layers):
            if self.fused_ok() and not (record and index == top_index):
                x, layer_state = run_layer_fused(self.cell, layer.weights(), x, state[index])
            else:
                x, hidden, cells, layer_state = run_layer_loop(self.cell, layer.weights(), x, state[index],
                                                               self.gate)
            new_state.append(layer_state)
        top = x[:, :, -1] if self.output_at == "last" else x
        flat = top.reshape(population, -1, self.hidden_size)
        out = torch.baddbmm(self.readout_b.unsqueeze(1), flat, self.readout_w.transpose(1, 2))
        outputs = out.reshape(*top.shape[:-1], -1)
        return Forward(outputs, new_state, hidden if record else None, (cells or None) if record else None)


def detach_state(state: list) -> list:
    """Cut the graph between iterations (truncated BPTT)."""
    return [tuple(s.detach() for s in layer) if isinstance(layer, tuple) else layer.detach()
            for layer in state]
