"""Training throughput: rnntui's loop (probes at K = 1, 10, 50, off) vs a plain PyTorch loop.

Same task (latching, 1 unit, Adam, batch 16), same number of steps, one run,
so the ratios are measured side by side. Usage: python bench/train_throughput.py [--steps N]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from rnntui.engine.config import RunConfig
from rnntui.engine.events import StepMetrics
from rnntui.engine.tasks import make_task
from rnntui.engine.training import train

REFERENCE = {"rnn_tanh": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def plain_pytorch(config: RunConfig, steps: int) -> float:
    """The loop a user would write by hand: nn.LSTM + nn.Linear + torch.optim.Adam."""
    torch.set_num_threads(1)
    task = make_task(config)
    x, y = task.train_inputs, task.train_targets
    rnn = REFERENCE[config.cell](1, config.hidden_size, batch_first=True)
    head = nn.Linear(config.hidden_size, 2)
    optimizer = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    done = 0
    while done < steps:
        order = torch.randperm(len(x))
        for begin in range(0, len(x), config.batch_size):
            index = order[begin:begin + config.batch_size]
            out, _ = rnn(x[index])
            loss = loss_fn(head(out[:, -1]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def ours(config: RunConfig, steps: int) -> float:
    start = time.perf_counter()
    for event in train(config):
        if isinstance(event, StepMetrics) and event.step >= steps:
            break
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seq-len", type=int, default=50)
    args = parser.parse_args()
    print(f"latching T={args.seq_len}, 1 unit, batch 16, {args.steps} steps, torch {torch.__version__}, "
          f"CPU threads 1")
    print(f"{'cell':9} {'plain it/s':>10} {'ours K=off':>11} {'K=50':>8} {'K=10':>8} {'K=1':>8}   "
          "ratios vs plain (time; lower is faster)")
    for cell in ("rnn_tanh", "lstm", "gru"):
        config = RunConfig(task="latching", cell=cell, seq_len=args.seq_len, n_samples=10_000, epochs=100,
                           hidden_size=1, init="keras", single_bias=True, eval_every=10**7)
        base = plain_pytorch(config, args.steps)
        times = {k: ours(config.replace(probe_every=k), args.steps) for k in (0, 50, 10, 1)}
        rates = "".join(f"{args.steps / t:>9.0f}" for t in times.values())
        ratios = "  ".join(f"K={k if k else 'off'}: {t / base:.2f}x" for k, t in times.items())
        print(f"{cell:9} {args.steps / base:>10.0f} {rates}   {ratios}")


if __name__ == "__main__":
    main()
