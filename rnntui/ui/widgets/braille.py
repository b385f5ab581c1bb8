"""plotext's braille grouping, the same output at a fraction of the cost.

Every live plot draws braille lines, and plotext's ``hd_group`` (which gathers
the line's dots into character cells) took about half of each plot build: it
makes a fresh nested list per dot. This version keeps one bit mask per cell.
:func:`install` puts it in plotext's place for what plotext's line drawing
passes (whole-number dots, one marker size per series) and leaves anything else
to plotext's own; tests/test_braille.py checks the two agree.
"""

from __future__ import annotations

from typing import Callable, Sequence

from plotext import _utility

_PLOTEXT_HD_GROUP: Callable = _utility.hd_group


def hd_group(x: Sequence, y: Sequence, xf: Sequence[int], yf: Sequence[int]) -> tuple[list, list, list]:
    """Like plotext's: the cells the dots fall in (first-seen order) and each cell's dot pattern
    (rows top to bottom, flattened, as plotext's marker tables expect)."""
    if not x or len(set(xf)) != 1 or len(set(yf)) != 1 or not all(type(v) is int for v in (*x, *y)):
        return _PLOTEXT_HD_GROUP(x, y, xf, yf)
    fx, fy = xf[0], yf[0]
    cells: dict[tuple, int] = {}
    for xi, yi in zip(x, y):
        key = (xi // fx, yi // fy)
        cells[key] = cells.get(key, 0) | 1 << ((fy - 1 - yi % fy) * fx + xi % fx)
    dots = range(fx * fy)
    return ([key[0] for key in cells], [key[1] for key in cells],
            [tuple(mask >> dot & 1 for dot in dots) for mask in cells.values()])


def install() -> None:
    """Use :func:`hd_group` in plotext's plot builds (idempotent)."""
    _utility.hd_group = hd_group
