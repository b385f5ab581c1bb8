"""Log-axis helpers: plotext 5 re-logs data on every rebuild with ``yscale('log')``.

So plots draw ``log10(y)`` on a linear axis and label the ticks ``1eK``
themselves; series are thinned to about the plot width before plotting.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def log10_series(values: Sequence[float]) -> np.ndarray:
    """``log10`` of each value; non-finite -> NaN (skipped), <= 0 clamped below the smallest positive."""
    array = np.asarray(values, dtype=float)
    finite = np.isfinite(array)
    positive = finite & (array > 0)
    floor = array[positive].min() / 10 if positive.any() else 1e-12
    out = np.full(array.shape, np.nan)
    out[finite] = np.log10(np.maximum(array[finite], floor))
    return out


def log_ticks(low: float, high: float, max_ticks: int = 6) -> tuple[list[float], list[str]]:
    """Tick positions (in log10 units) and labels for the range ``low..high`` of log10 values."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    if high - low < 1.5:
        positions = list(np.linspace(low, high, 3)) if high > low else [low]
        for digits in range(2, 6):  # as few digits as keep the labels apart (0.69, 0.695, 0.7)
            labels = [f"{10 ** p:.{digits}g}" for p in positions]
            if len(set(labels)) == len(labels):
                break
        return positions, labels
    first, last = math.floor(low), math.ceil(high)
    stride = max(1, math.ceil((last - first + 1) / max_ticks))
    positions = [float(k) for k in range(first, last + 1, stride) if low - 0.5 <= k <= high + 0.5]
    return positions, [f"1e{k:d}" for k in map(int, positions)]


def thin(xs: Sequence[float], ys: np.ndarray, points: int) -> tuple[list[float], list[float]]:
    """At most ~``points`` finite points, keeping each bucket's min and max so spikes survive."""
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) <= points:
        return x.tolist(), y.tolist()
    size = -(-len(y) // max(1, points // 2))  # equal buckets as rows of a matrix (the last padded)
    buckets = -(-len(y) // size)
    pad = buckets * size - len(y)
    lows = np.concatenate([y, np.full(pad, np.inf)]).reshape(buckets, size).argmin(axis=1)
    highs = np.concatenate([y, np.full(pad, -np.inf)]).reshape(buckets, size).argmax(axis=1)
    starts = np.arange(buckets) * size
    chosen = np.unique(np.concatenate([starts + lows, starts + highs]))
    return x[chosen].tolist(), y[chosen].tolist()
