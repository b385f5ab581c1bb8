"""A preset beside its partner: the same task and budget, disease beside cure.

A preset names its partner in its ``contrast`` key. A front end trains the
two as two ordinary runs, side by side, and overlays them. They are not one
population: the engine trains a population of P > 1 through the step-by-step
loop (the fused kernel takes one member), and most pairs differ in what a
population cannot hold (the cell, ``reverse``, the clipping mode, the init).
Measured on the 2-core CPU with ``bench/contrast.py`` (numbers in the README),
a population of two took 1.5-2.7x the time of two separate runs, so the pair
trains as two runs in two threads.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Sequence

from .config import ConfigError, RunConfig, build_config
from .presets import Preset, load_preset


def find_partner(preset: Preset, presets: Sequence[Preset]) -> Preset | None:
    """The preset ``preset.contrast`` names: from ``presets``, else a file beside the preset's own
    (a user's pair of TOML files), else the shipped one; None when there is none."""
    if not preset.contrast:
        return None
    known = next((p for p in presets if p.name == preset.contrast), None)
    if known is not None:
        return known
    beside = preset.path.with_name(f"{preset.contrast}.toml") if preset.path is not None else None
    try:
        return load_preset(str(beside) if beside is not None and beside.is_file() else preset.contrast)
    except ConfigError:
        return None


def partner_config(preset: Preset, edited: RunConfig, partner: Preset) -> RunConfig:
    """The partner's config with the user's edits of ``preset`` carried over.

    An edit carries over where the two presets agree (a shorter budget, another
    seed); where they differ, that difference is the contrast and the partner
    keeps its own value. Raises ``ConfigError`` when an edit does not fit the partner.
    """
    changes = {}
    for field in fields(RunConfig):
        name = field.name
        mine, theirs = getattr(preset.config, name), getattr(partner.config, name)
        if getattr(edited, name) != mine and mine == theirs:
            changes[name] = getattr(edited, name)
    return build_config(changes, base=partner.config, source=f"{partner.name} with your edits")
