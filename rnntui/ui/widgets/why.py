"""The Why tab: what the current run shows (the engine's verdict), then what the preset reproduces."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.widgets import Markdown, Static

from rnntui.engine.analysis.verdict import verdict
from rnntui.engine.presets import Preset
from rnntui.ui.session import LiveRun


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


def verdict_text(runs: Sequence[LiveRun], hint: str) -> Text:
    """Each run's verdict under its label; ``hint`` says how to get one when there is no run."""
    text = Text()
    if not runs:
        text.append("What the run shows\n", style="bold")
        text.append(hint, style="italic")
        return text
    for index, run in enumerate(runs):
        if index:
            text.append("\n")
        text.append(f"What run {run.label} shows", style="bold")
        text.append(f" ({run.state})\n")
        sentences = verdict(run.record)
        for sentence in sentences or ["waiting for the first step…"]:
            text.append(f"• {sentence}\n")
    return text


class VerdictView(Static):
    """The verdict of the runs on show, rewritten only when its words change."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.text = Text()

    def show(self, runs: Sequence[LiveRun], hint: str) -> None:
        text = verdict_text(runs, hint)
        if text.plain != self.text.plain:
            self.text = text
            self.update(text)
