"""E2 training throughput (reviews/s): rnntui with probes at K = 50 and off vs a plain PyTorch script.

The plain script is what a user would write: nn.Embedding + 2-layer nn.LSTM(dropout on the
inputs) + nn.Linear, torch.optim.Adam, BCE-with-logits, batch 128. Both train the same number of
steps in one process, so the ratios are measured side by side. Needs the labelled archive
(RNNTUI_IMDB). Usage: RNNTUI_IMDB=path python bench/imdb_throughput.py [--steps 60] [--cell lstm]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from rnntui.engine.device import choose_threads
from rnntui.engine.events import StepMetrics
from rnntui.engine.presets import load_preset
from rnntui.engine.tasks import make_task
from rnntui.engine.training import Trainer

REFERENCE = {"lstm": nn.LSTM, "rnn_tanh": nn.RNN}


class PlainModel(nn.Module):
    def __init__(self, cell: str, vocab: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 100)
        self.dropout = nn.Dropout(0.2)
        self.rnn = REFERENCE[cell](100, 64, 2, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, tokens):
        out, _ = self.rnn(self.dropout(self.embedding(tokens)))
        return self.head(out[:, -1])


def plain(task, steps: int, cell: str) -> float:
    model = PlainModel(cell, task.vocab_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    batches = task.train_batches(torch.Generator().manual_seed(0))
    start = time.perf_counter()
    for _ in range(steps):
        batch = next(batches)
        loss = loss_fn(model(batch.inputs[0]), batch.targets[0])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()
    return time.perf_counter() - start


def ours(config, steps: int) -> float:
    trainer = Trainer(config)
    start = None
    for event in trainer.run():
        if start is None:
            start = time.perf_counter()
        if isinstance(event, StepMetrics) and event.step >= steps:
            break
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--cell", choices=list(REFERENCE), default="lstm")
    args = parser.parse_args()
    preset = "imdb-lstm" if args.cell == "lstm" else "imdb-srnn"
    config = load_preset(preset).config.replace(eval_every=10**7)
    torch.set_num_threads(choose_threads(config))
    task = make_task(config)
    reviews = args.steps * config.batch_size
    base = plain(task, args.steps, args.cell)
    print(f"{preset}: {args.steps} steps of batch {config.batch_size}, {torch.get_num_threads()} CPU threads, "
          f"torch {torch.__version__}")
    print(f"  plain PyTorch       {reviews / base:8.0f} reviews/s")
    for k in (0, 50, 10):
        elapsed = ours(config.replace(probe_every=k), args.steps)
        label = f"rnntui probe K={k}" if k else "rnntui probes off"
        print(f"  {label:19} {reviews / elapsed:8.0f} reviews/s   time ratio vs plain {elapsed / base:.2f}x")


if __name__ == "__main__":
    main()
