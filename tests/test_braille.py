"""rnntui's braille grouping stands in for plotext's: it must give exactly what plotext's gives."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from plotext import _utility

from rnntui.ui.widgets import braille

FACTORS = st.sampled_from([(2, 4), (2, 3), (2, 2), (1, 1)])   # braille, fhd, hd, plain markers
COORD = st.integers(-100, 500)   # plotext passes whole-number dot coordinates


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(COORD, COORD), min_size=1, max_size=200), FACTORS)
def test_same_cells_and_dots_as_plotexts(points, factors):
    x, y = [p[0] for p in points], [p[1] for p in points]
    xf, yf = [factors[0]] * len(x), [factors[1]] * len(x)
    assert braille.hd_group(x, y, xf, yf) == braille._PLOTEXT_HD_GROUP(x, y, xf, yf)


def test_what_it_does_not_handle_goes_to_plotexts():
    x, y = [1, 2.5, None, 7], [3, math.nan, 4, 5]
    assert braille.hd_group(x, y, [2, 2, 2, 2], [4, 4, 4, 4]) == braille._PLOTEXT_HD_GROUP(x, y, [2] * 4, [4] * 4)
    mixed = ([1, 2, 3], [4, 5, 6], [2, 1, 2], [4, 1, 4])
    assert braille.hd_group(*mixed) == braille._PLOTEXT_HD_GROUP(*mixed)


def test_plots_use_it_and_draw_the_same_picture():
    from plotext._figure import _figure_class

    import rnntui.ui.widgets.plots  # noqa: F401  (installs it)

    assert _utility.hd_group is braille.hd_group
    xs = list(range(400))
    ys = [math.sin(i / 7) * (1 + i % 13) for i in xs]

    def build() -> str:
        figure = _figure_class()
        figure.plotsize(120, 20)
        figure.plot(xs, ys, marker="braille", color=(200, 100, 50))
        return figure.build()

    ours = build()
    _utility.hd_group = braille._PLOTEXT_HD_GROUP
    try:
        assert build() == ours
    finally:
        braille.install()
