"""Axis helpers: log axes drawn as ``log10`` values, whole-number ticks, gaps, thinning.

plotext 5 re-logs data on every rebuild with ``yscale('log')``, so plots draw
``log10(y)`` on a linear axis and label the ticks ``1eK`` themselves. A log
axis has no place for 0, infinity or NaN: zeros and infinities get rows of
their own below and above the data, labelled ``0`` and ``inf``, and a NaN is
a gap in the line; none of them is ever drawn as a number it is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

ZERO_LABEL, INF_LABEL = "0", "inf"


def log10_values(values: Sequence[float]) -> np.ndarray:
    """``log10`` of each value: 0 (or less) -> -inf, +inf -> +inf, NaN stays NaN (the caller shows them)."""
    array = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(array > 0, array, 0.0))
    logs[np.isnan(array)] = np.nan
    return logs


def finite_range(arrays: Iterable[np.ndarray]) -> tuple[float, float] | None:
    """The lowest and highest finite value over ``arrays`` (None when there is none)."""
    low, high = math.inf, -math.inf
    for array in arrays:
        finite = np.asarray(array, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return (low, high) if low <= high else None


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


@dataclass(frozen=True)
class LogAxis:
    """A log10 y axis: ticks for the finite data, and the rows where zeros and infinities go."""

    ticks: list[float]
    labels: list[str]
    zero_row: float          # y of the "0" row, below the data
    inf_row: float           # y of the "inf" row, above it


def log_axis(arrays: Sequence[np.ndarray], max_ticks: int = 6) -> LogAxis:
    """Lay out a log axis for ``arrays`` of log10 values (-inf for a zero, +inf for an infinity).

    The 0 and inf rows sit a clear step (15 % of the range, at least a third of a decade) outside
    the finite data, and get a tick only when some value lands on them.
    """
    span = finite_range(arrays) or (0.0, 0.0)
    low, high = span
    pad = max(0.15 * (high - low), 0.35)
    ticks, labels = log_ticks(low, high, max_ticks)
    axis = LogAxis(ticks, labels, low - pad, high + pad)
    joined = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays]) if arrays else np.empty(0)
    if np.isneginf(joined).any():
        axis.ticks.insert(0, axis.zero_row)
        axis.labels.insert(0, ZERO_LABEL)
    if np.isposinf(joined).any():
        axis.ticks.append(axis.inf_row)
        axis.labels.append(INF_LABEL)
    return axis


def whole_ticks(low: float, high: float, count: int) -> list[int]:
    """About ``count`` round whole numbers (1, 2 or 5 × 10^k apart) within ``low..high``: steps, timesteps."""
    if not (math.isfinite(low) and math.isfinite(high)) or count < 1:
        return []
    first, last = math.ceil(low), math.floor(high)
    if last < first:
        return []
    raw = max((last - first) / max(count, 1), 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    stride = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.ceil(first / stride) * stride
    return [int(v) for v in range(int(start), last + 1, int(stride))]


def finite_runs(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stretches of consecutive finite ``ys``: a NaN, a zero on a log axis or an infinity ends one."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    finite = np.isfinite(y).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite, [0]])))
    return [(x[start:end], y[start:end]) for start, end in zip(edges[::2], edges[1::2])]


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
