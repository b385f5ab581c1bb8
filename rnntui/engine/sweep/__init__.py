"""Sweeps: one config field over a grid × cells × repeats, every run exact.

The public API is named here; each name loads its module on first use, so a
front end can read the grid constants without importing torch (``rnntui
--help`` stays instant).

- ``grid``: the sweepable fields, E4's default grid, the backends, the ``[sweep]`` settings (no torch)
- ``populations``: :class:`SweepSpec`, :func:`sweep` (the event stream), :func:`aggregate`
- ``events``: what :func:`sweep` yields
- ``kernel``: the compiled one-unit kernel the latching family runs on
- ``export``: the tidy CSV pair of a sweep
- ``records``: each sweep run as the run store keeps it
- ``remote``: the same sweep with its populations as Ray tasks (``SweepSpec.ray``)
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "grid": ("BACKENDS", "DEFAULT_GRIDS", "LATCHING_CELLS", "LATCHING_LENGTHS", "LATCHING_REPEATS",
             "SWEEPABLE_FIELDS", "check_ray_address", "sweep_settings"),
    "populations": ("CurvePoint", "Run", "SweepSpec", "aggregate", "backend_label", "sweep"),
    "events": ("SweepEvent", "SweepFinished", "SweepPointResult", "SweepProgress", "SweepStarted"),
    "export": ("curve_path", "export_sweep"),
    "records": ("SweepRecorder", "run_record"),
    "remote": ("ray_sweep",),
}
_HOME = {name: module for module, names in _API.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
