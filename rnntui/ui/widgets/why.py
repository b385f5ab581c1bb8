"""The Why tab: what the current run shows (the engine's verdict), then what the preset reproduces."""

from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Markdown, Static

from rnntui.engine.analysis.verdict import verdict
from rnntui.engine.presets import Preset
from rnntui.ui.session import LiveRun

from .series import StepColumns


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


def verdict_blocks(runs: Sequence[LiveRun], columns: dict[int, StepColumns] | None = None
                   ) -> list[tuple[str, list[str]]]:
    """A heading and the engine's verdict for each run (``columns``: its steps kept as arrays, by run number)."""
    columns = {} if columns is None else columns
    blocks = []
    for run in runs:
        kept = columns.get(run.number)
        sentences = verdict(run.record, kept.update() if kept is not None else None)
        blocks.append((f"What run {run.label} shows ({run.state})", sentences or ["waiting for the first step…"]))
    return blocks


def render_blocks(blocks: list[tuple[str, list[str]]], hint: str) -> Group:
    """Headings in bold, sentences as bullets with a hanging indent; ``hint`` when there is no run."""
    if not blocks:
        return Group(Text("What the run shows", style="bold"), Text(hint, style="italic"))
    parts = []
    for heading, sentences in blocks:
        bullets = Table.grid(padding=(0, 1))
        bullets.add_column(no_wrap=True)
        bullets.add_column(ratio=1)
        for sentence in sentences:
            bullets.add_row("•", sentence)
        parts += [Text(heading, style="bold"), bullets, Text("")]
    return Group(*parts[:-1])


class VerdictView(Static):
    """The verdict of the runs on show, re-rendered only when its words change.

    Each run's steps are kept as arrays grown by the new steps only, so a
    verdict costs about the same at step 100,000 as at step 100.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.plain = ""
        self._columns: dict[int, StepColumns] = {}

    def show(self, runs: Sequence[LiveRun], hint: str) -> None:
        self._columns = {run.number: self._columns.get(run.number) or StepColumns(run.record) for run in runs}
        blocks = verdict_blocks(runs, self._columns)
        plain = "\n".join(line for heading, sentences in blocks for line in (heading, *sentences)) or hint
        if plain != self.plain:
            self.plain = plain
            self.update(render_blocks(blocks, hint))
