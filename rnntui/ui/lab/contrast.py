"""One key for a contrast: the loaded preset and its partner train side by side, overlaid in Runs.

The pairing (which partner, which of the user's edits carry over) is the
engine's (:mod:`rnntui.engine.contrast`); this module starts the two runs on
the lab and says which runs the Why tab interprets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from rnntui.engine.config import ConfigError
from rnntui.engine.contrast import find_partner, partner_config

from ..session import LiveRun

if TYPE_CHECKING:
    from .screen import LabScreen


def start_contrast(lab: "LabScreen") -> tuple[LiveRun, LiveRun] | None:
    """Train the form's config and the partner preset's at once; mark both for the overlay."""
    app = lab.app
    preset = app.preset
    partner = find_partner(preset, app.presets)
    if partner is None:
        paired = [p.name for p in app.presets if p.contrast][:3]
        example = f" (e.g. {', '.join(paired)})" if paired else ""
        app.notify(f"{preset.name} has no partner preset to contrast with: load one that names one{example}.",
                   title="No contrast", severity="warning")
        return None
    if not lab.may_start():
        return None
    config = lab.form.config()
    if config is None:
        app.notify("Fix the fields marked in red first.", title="Cannot start", severity="error")
        return None
    try:
        other = partner_config(preset, config, partner)
    except ConfigError as exc:
        app.notify(str(exc), title=f"Cannot train {partner.name}", severity="error", timeout=10)
        return None
    first = lab.launch(config, preset.name)
    second = lab.launch(other, partner.name)
    first.partner, second.partner = second.number, first.number
    lab.overlay(first.store_id, second.store_id)
    app.notify(f"Training {first.label} and {second.label} side by side: the Runs tab overlays them, "
               "the Why tab interprets both.", title="Contrast")
    return first, second


def runs_to_explain(runs: Sequence[LiveRun]) -> list[LiveRun]:
    """The newest run, with its contrast partner before it when it has one."""
    if not runs:
        return []
    newest = runs[-1]
    if newest.partner is not None and 0 < newest.partner <= len(runs):
        return sorted((runs[newest.partner - 1], newest), key=lambda run: run.number)
    return [newest]


def contrast_hint(lab: "LabScreen") -> str:
    """What the Why tab says before any run: how to get a verdict."""
    partner = find_partner(lab.app.preset, lab.app.presets)
    hint = "No run yet: press s to train this preset, and the verdict appears here as it trains."
    if partner is not None:
        hint += f" Press v to train it beside its partner {partner.name} and compare the two."
    return hint
