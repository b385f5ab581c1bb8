"""The app's own command-palette entries (the theme picker comes from Textual's system commands)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .app import RnnTuiApp


class RnnCommands(Provider):
    """Load presets, run control, export, compare, contrast, and the cliff explorer, inspector and sweep views."""

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: RnnTuiApp = self.app  # type: ignore[assignment]
        lab = app.lab
        entries = [
            ("Start run", lab.action_start, "train the fields on the left"),
            ("Pause / resume run", lab.action_pause, "pause or resume the current run"),
            ("Single step", lab.action_step, "run exactly one optimizer step"),
            ("Stop run", lab.action_stop, "stop the current run"),
            ("Export run", lab.action_export, "write the selected run as CSV"),
            ("Compare runs", lab.action_compare, "overlay two runs' curves"),
            ("Contrast with the partner preset", lab.action_contrast,
             "train this preset and its partner (disease beside cure) side by side, overlaid in Runs"),
            ("Open cliff explorer", lab.action_landscape, "loss landscape of a one-unit RNN"),
            ("Inspect model", lab.action_inspect,
             "Jacobian products and loss slices of the selected run (paused or finished)"),
            ("Sweep this preset over sequence length", lab.action_sweep,
             "plan success vs T over many seeds, per cell (s starts it; f picks another field)"),
        ]
        for preset in app.presets:
            entries.append((f"Load preset: {preset.name} — {preset.title}", partial(lab.request_preset, preset.name),
                            preset.description))
        return entries

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
