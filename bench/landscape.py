"""Cliff-system grid speed: one batched tensor computation vs a Python loop over grid points.

Run: python bench/landscape.py   (issue 6 target: 200×200 at T = 50 under 0.5 s)
"""

from __future__ import annotations

import math
import statistics
import time

import torch

from rnntui.engine.analysis.landscape import X0, TARGET, grid

W_RANGE, B_RANGE, N = (0.0, 10.0), (-7.0, 1.0), 200
NAIVE_SUBSET = 2000


def batched_seconds(T: int, repeats: int = 7) -> float:
    grid(W_RANGE, B_RANGE, N, T)   # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        grid(W_RANGE, B_RANGE, N, T)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def naive_point(w: float, b: float, T: int) -> tuple[float, float, float]:
    """The same loss and forward-mode gradient, one grid point in plain Python floats."""
    x, dw, db = X0, 0.0, 0.0
    for _ in range(T):
        s = 1 / (1 + math.exp(-x))
        gain = w * s * (1 - s)
        dw, db, x = s + gain * dw, 1 + gain * db, w * s + b
    s = 1 / (1 + math.exp(-x))
    k = 2 * (s - TARGET) * s * (1 - s)
    return (s - TARGET) ** 2, k * dw, k * db


def naive_seconds(T: int) -> float:
    """Time NAIVE_SUBSET points of the same grid and extrapolate to N×N."""
    ws = [W_RANGE[0] + (W_RANGE[1] - W_RANGE[0]) * i / (N - 1) for i in range(N)]
    bs = [B_RANGE[0] + (B_RANGE[1] - B_RANGE[0]) * i / (N - 1) for i in range(N)]
    points = [(w, b) for b in bs for w in ws][:: N * N // NAIVE_SUBSET]
    started = time.perf_counter()
    for w, b in points:
        naive_point(w, b, T)
    return (time.perf_counter() - started) * N * N / len(points)


def main() -> None:
    print(f"{N}×{N} grid, loss + exact gradient, median of 7 (naive: {NAIVE_SUBSET} points, extrapolated)")
    print(f"{'T':>5} {'1 thread':>10} {f'{torch.get_num_threads()} threads':>10} {'naive':>9} {'speed-up':>9}")
    default_threads = torch.get_num_threads()
    for T in (5, 50, 200):
        torch.set_num_threads(default_threads)
        many = batched_seconds(T)
        torch.set_num_threads(1)
        one = batched_seconds(T)
        naive = naive_seconds(T)
        print(f"{T:>5} {one * 1e3:>8.1f}ms {many * 1e3:>8.1f}ms {naive:>8.2f}s {naive / one:>8.0f}×")
    print("target (issue 6): T = 50 under 500 ms")


if __name__ == "__main__":
    main()
