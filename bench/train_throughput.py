"""Training throughput: rnntui's loop (probes at K = 1, 10, 50, off) vs a plain PyTorch loop,
and the cost of recording a run in the run store.

Same task (latching, 1 unit, Adam, batch 16), same number of steps, one run,
so the ratios are measured side by side. ``--store`` instead times the loop
with and without a store Recorder (probes and evaluations every 50 steps, as
the TUI and ``rnntui run`` record them), alternating the two so machine load
hits both alike. Usage: python bench/train_throughput.py [--steps N] [--store]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from rnntui.engine.config import RunConfig
from rnntui.engine.events import RunFinished, RunStarted, StepMetrics
from rnntui.engine.store import RunStore
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


def recorded(config: RunConfig, steps: int, store: RunStore | None) -> tuple[float, float]:
    """The loop, every event fed to a store Recorder (as every front end does), until all is committed;
    (wall seconds, seconds the loop spent inside Recorder.apply)."""
    recorder = store.recorder("bench", "bench") if store is not None else None
    inside = 0.0
    start = time.perf_counter()
    for event in train(config):
        if recorder is not None:
            before = time.perf_counter()
            recorder.apply(event)
            if not isinstance(event, RunStarted):   # the run's one synchronous insert is counted apart
                inside += time.perf_counter() - before
        if isinstance(event, StepMetrics) and event.step >= steps:
            break
    if recorder is not None:
        recorder.apply(RunFinished("stopped", steps))
        recorder.wait()
    return time.perf_counter() - start, inside


def store_overhead(seq_len: int, steps: int, pairs: int) -> None:
    config = RunConfig(task="latching", cell="lstm", seq_len=seq_len, n_samples=10_000, epochs=100,
                       hidden_size=1, init="keras", single_bias=True, probe_every=50, eval_every=50)
    with tempfile.TemporaryDirectory() as folder, RunStore(Path(folder) / "bench.sqlite3") as store:
        recorded(config, 50, store)    # warm up torch and the store
        off, on, inside = [], [], []
        for _ in range(pairs):
            off.append(recorded(config, steps, None)[0])
            wall, spent = recorded(config, steps, store)
            on.append(wall)
            inside.append(spent / wall)
    ratios = [b / a for a, b in zip(off, on)]
    print(f"latching T={seq_len}, LSTM, {steps} steps, probe and evaluation every 50, {pairs} alternating pairs")
    print(f"store off {statistics.median(off):.3f} s, on {statistics.median(on):.3f} s (medians); "
          f"overhead median {100 * (statistics.median(ratios) - 1):+.1f}% "
          f"(pairs {', '.join(f'{100 * (r - 1):+.1f}%' for r in ratios)})")
    print(f"the training loop spent {100 * statistics.median(inside):.2f}% of its time in Recorder.apply after "
          "the run's first insert (the rest of the store's work is on its writer thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seq-len", type=int, default=50)
    parser.add_argument("--store", action="store_true", help="time store recording on vs off instead")
    parser.add_argument("--pairs", type=int, default=5, help="alternating off/on pairs for --store")
    args = parser.parse_args()
    if args.store:
        torch.set_num_threads(1)
        store_overhead(args.seq_len, args.steps, args.pairs)
        return
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
