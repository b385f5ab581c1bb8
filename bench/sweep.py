"""E4 latching sweep: full-study wall time, and the speed-up over a naive PyTorch loop.

The study: SimpleRNN and LSTM, 1 unit, the documented lengths (2, 5, 8, 10,
15, 20, 25, 30, 40, 50, ..., 200: 25 values), 30 repeats, 5 epochs on N = 10,000 with
20 % validation, batch 16, Keras init with one bias, Adam 1e-3. The naive
baseline trains one ``torch.nn`` model at a time with a plain loop; its
per-step time is measured at a few lengths, fitted as a + b·T and
extrapolated to the whole study.

    python bench/sweep.py            # the full study (about half a minute on 2 cores)
    python bench/sweep.py --quick    # 3 repeats of 5 lengths, naive measured briefly
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import torch

from rnntui.engine.presets import load_preset
from rnntui.engine.sweep import LATCHING_CELLS, LATCHING_LENGTHS, LATCHING_REPEATS, SweepSpec, aggregate, sweep
from rnntui.engine.sweep import SweepPointResult, SweepStarted
from rnntui.engine.tasks import make_task

NAIVE_LENGTHS = (10, 100, 200)
HEADLINE_LENGTHS = (2, 10, 20, 50, 100, 200)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            return next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def naive_step_seconds(config, steps: int) -> tuple[float, float]:
    """Wall and CPU seconds per optimizer step of one torch.nn model trained alone, the obvious way."""
    task = make_task(config)
    rnn = {"rnn_tanh": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[config.cell](1, 1, batch_first=True)
    head = torch.nn.Linear(1, 2)
    optimizer = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=config.lr)
    x, y = task.train_inputs, task.train_targets
    order = torch.randperm(x.shape[0])
    start, cpu = time.perf_counter(), time.thread_time()
    for step in range(steps):
        rows = order[(step * config.batch_size) % x.shape[0]:][:config.batch_size]
        out, _ = rnn(x[rows])
        loss = torch.nn.functional.cross_entropy(head(out[:, -1]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps, (time.thread_time() - cpu) / steps


def extrapolate(samples: list[tuple[int, float]], lengths) -> float:
    """Least-squares a + b·T through (T, seconds per step), summed over ``lengths``."""
    mean_t = sum(t for t, _ in samples) / len(samples)
    mean_s = sum(s for _, s in samples) / len(samples)
    slope = sum((t - mean_t) * (s - mean_s) for t, s in samples) / sum((t - mean_t) ** 2 for t, _ in samples)
    return sum(max(mean_s + slope * (t - mean_t), 0.0) for t in lengths)


def naive_estimate(base, cells, lengths, repeats, steps_per_run: int, probe_steps: int) -> tuple[float, float]:
    """Extrapolated wall and CPU seconds for the naive loop over the whole study."""
    wall = cpu = 0.0
    for cell in cells:
        timings = [(t, naive_step_seconds(base.replace(cell=cell, seq_len=t), probe_steps)) for t in NAIVE_LENGTHS]
        wall += extrapolate([(t, w) for t, (w, _) in timings], lengths) * repeats * steps_per_run
        cpu += extrapolate([(t, c) for t, (_, c) in timings], lengths) * repeats * steps_per_run
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 repeats of 5 lengths (CI-sized)")
    parser.add_argument("--split", choices=("shuffled", "keras_tail"), default="shuffled")
    parser.add_argument("--threads", type=int, default=0, help="sweep worker threads (default: all cores)")
    parser.add_argument("--backend", choices=("auto", "kernel", "torch"), default="auto")
    args = parser.parse_args()

    base = load_preset("latching-srnn").config.replace(split=args.split, probe_every=0)
    lengths = (2, 10, 50, 100, 200) if args.quick else LATCHING_LENGTHS
    repeats = 3 if args.quick else LATCHING_REPEATS
    spec = SweepSpec(base, values=lengths, cells=LATCHING_CELLS, repeats=repeats, preset="latching",
                     backend=args.backend, threads=args.threads)
    torch.set_num_threads(1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, load average {load:.2f} before the run; "
          f"torch {torch.__version__}")
    print(f"study: {len(LATCHING_CELLS)} cells x {len(lengths)} lengths x {repeats} repeats x {base.epochs} epochs, "
          f"N = {base.n_samples}, split {args.split}")

    cpu_before, start = cpu_seconds(), time.perf_counter()
    results, started = [], None
    for event in sweep(spec):
        if isinstance(event, SweepStarted):
            started = event
        elif isinstance(event, SweepPointResult):
            results.append(event)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_before
    print(f"sweep: {len(results)} trainings in {wall:.1f} s wall ({cpu:.1f} s CPU) on {started.backend}")

    steps_per_run = base.epochs * -(-int(base.n_samples * (1 - base.val_fraction)) // base.batch_size)
    naive_wall, naive_cpu = naive_estimate(base, LATCHING_CELLS, lengths, repeats, steps_per_run,
                                           30 if args.quick else 150)
    print(f"naive one-model-at-a-time PyTorch loop (extrapolated from T = {NAIVE_LENGTHS}): "
          f"{naive_wall:.0f} s wall = {naive_wall / 3600:.2f} h ({naive_cpu:.0f} s CPU)")
    print(f"speed-up: {naive_wall / wall:.0f}x wall, {naive_cpu / cpu:.0f}x in CPU seconds; on an idle machine "
          f"the sweep would take about {cpu / spec.threads_used:.1f} s wall on {spec.threads_used} cores "
          f"({naive_cpu / (cpu / spec.threads_used):.0f}x the naive loop's CPU time)")

    points = {(p.cell, p.value): p for p in aggregate(results, "accuracy")}
    print("headline: mean ± std final validation accuracy (success fraction)")
    for t in (t for t in HEADLINE_LENGTHS if t in lengths):
        cells = "   ".join(f"{c} {points[c, t].mean:.3f} ± {points[c, t].std:.3f} ({points[c, t].success_fraction:.2f})"
                           for c in LATCHING_CELLS)
        print(f"  T = {t:>3}: {cells}")


if __name__ == "__main__":
    main()
