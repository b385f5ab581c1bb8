"""The "why" panel: what the preset reproduces and what to look for on the plots."""

from __future__ import annotations

from textual.widgets import Markdown

from rnntui.engine.presets import Preset


def why_text(preset: Preset | None) -> str:
    if preset is None:
        return "# No preset\nPick one in the experiment pane, or edit the fields by hand."
    parts = [f"# {preset.title}"]
    if preset.mirrors:
        parts.append(f"*Mirrors:* {preset.mirrors}")
    parts.append(preset.description)
    if preset.look_for:
        parts += ["## What to look for", preset.look_for]
    return "\n\n".join(parts)


class WhyPanel(Markdown):
    """Markdown view of the loaded preset's description and what to look for."""

    def show(self, preset: Preset | None) -> None:
        self.update(why_text(preset))
