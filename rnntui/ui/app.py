"""The rnntui Textual app: the session (presets, runs) and the screens that show it.

The lab (:mod:`rnntui.ui.lab`) is the main screen and owns the run keys; the
cliff explorer, the inspector and the sweep are screens pushed over it, each
with its own keys. The app itself binds only what every screen shares.
"""

from __future__ import annotations

import sys

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.presets import Preset, list_presets, load_preset

from .commands import RnnCommands
from .lab import LabScreen
from .session import LiveRun

DEFAULT_PRESET = "latching-srnn"
FALLBACK = Preset(name="custom", title="Engine defaults", mirrors="",
                  description="No preset files were found: these are RunConfig's defaults.",
                  look_for="", config=RunConfig())


def default_preset(presets: list[Preset]) -> Preset:
    by_name = {preset.name: preset for preset in presets}
    return by_name.get(DEFAULT_PRESET) or (presets[0] if presets else FALLBACK)


class RnnTuiApp(App[int]):
    """Holds this session's presets and runs; the lab screen shows and drives them."""

    CSS_PATH = "app.tcss"
    TITLE = "rnntui"
    COMMANDS = App.COMMANDS | {RnnCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    BINDINGS = [Binding("q", "quit", "Quit", tooltip="quit (in a text field q is just a letter)", id="quit")]

    def __init__(self, preset: Preset | None = None, presets: list[Preset] | None = None) -> None:
        super().__init__()
        self.presets = list(presets) if presets is not None else list_presets()
        self.preset = preset or default_preset(self.presets)
        # The preset asked for (a file, maybe named like a shipped one) stands in for its namesake.
        shipped = [p.name for p in self.presets]
        if self.preset.name in shipped:
            self.presets[shipped.index(self.preset.name)] = self.preset
        else:
            self.presets.append(self.preset)
        self.runs: list[LiveRun] = []

    def get_default_screen(self) -> Screen:
        return LabScreen()

    @property
    def lab(self) -> LabScreen:
        """The main screen, also while a modal, the palette or another screen is on top."""
        return self.screen_stack[0]

    def on_unmount(self) -> None:
        for run in self.runs:
            run.control.stop()


def run_app(preset: str | None = None) -> int:
    """Open the TUI on a preset name or TOML path (the default preset when None); the exit code."""
    try:
        presets = list_presets()
        chosen = load_preset(preset) if preset else default_preset(presets)
    except ConfigError as exc:
        print(f"rnntui: {exc}", file=sys.stderr)
        return 2
    app = RnnTuiApp(chosen, presets)
    app.run()
    return app.return_code or 0
