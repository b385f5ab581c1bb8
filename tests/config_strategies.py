"""Hypothesis strategies for RunConfig fields, shared by the config and preset tests."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from rnntui.engine.config import FIELD_TYPES, FIELDS

BOOL_WORDS = {"true", "yes", "on", "1", "false", "no", "off", "0"}
NAMES = sorted(FIELDS)


def bad_values(name: str) -> st.SearchStrategy:
    """Values ``name`` must reject: wrong types, unknown choices, out-of-range numbers."""
    kind, meta = FIELD_TYPES[name], FIELDS[name].metadata
    if kind is str:
        return st.one_of(st.text(max_size=12).filter(lambda s: s not in meta["choices"]),
                         st.integers(), st.floats(), st.booleans())
    if kind is bool:
        return st.one_of(st.integers(), st.floats(),
                         st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
                         .filter(lambda s: s not in BOOL_WORDS))
    low, high = meta["low"], meta["high"]
    below = st.floats(max_value=low, allow_nan=False).filter(
        lambda x: x < low or (meta["low_open"] and x == low))      # -0.0 is not below 0.0
    above = st.floats(min_value=high, exclude_min=True, allow_nan=False)
    wrong = [st.booleans(), st.just(float("nan")), st.none(), st.lists(st.integers(), max_size=2)]
    if kind is int:
        wrong.append(st.floats(min_value=low, max_value=high).filter(lambda x: not x.is_integer()))
        below = below.map(lambda x: math.floor(x) if math.isfinite(x) else x)
        above = above.map(lambda x: math.ceil(x) + 1 if math.isfinite(x) else x)
    return st.one_of(below, above, *wrong)


@st.composite
def field_and_bad_value(draw):
    name = draw(st.sampled_from(NAMES))
    return name, draw(bad_values(name))


def good_values(name: str) -> st.SearchStrategy:
    kind, meta = FIELD_TYPES[name], FIELDS[name].metadata
    if kind is str:
        return st.sampled_from(meta["choices"])
    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.integers(min_value=int(meta["low"]) + meta["low_open"], max_value=int(meta["high"]))
    return st.floats(min_value=meta["low"], max_value=meta["high"], exclude_min=meta["low_open"])


@st.composite
def field_and_good_value(draw):
    name = draw(st.sampled_from(NAMES))
    return name, draw(good_values(name))
