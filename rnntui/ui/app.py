"""The rnntui Textual app: the session (presets, runs) and the screens that show it.

The lab (:mod:`rnntui.ui.lab`) is the main screen and owns the run keys; the
cliff explorer, the inspector and the sweep are screens pushed over it, each
with its own keys. The app itself binds only what every screen shares: quit,
which asks first while a run trains. Every run is recorded in the run store as
it trains; a hang-up (SIGHUP) stops the runs, waits for the store, exits 129.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.presets import Preset, list_presets, load_preset
from rnntui.engine.store import RunStore, StoreError
from rnntui.terminal import drop_terminal_output, terminal_lost

from .collector import release_survivors
from .commands import RnnCommands
from .lab import LabScreen
from .screens.confirm import ConfirmQuit
from .session import LiveRun
from .widgets.cached import BUILDER, LineBuilder

DEFAULT_PRESET = "latching-srnn"
EXIT_HANGUP = 129
RECORD_WAIT_SECONDS = 10.0   # a stopped run ends within a second; then its last commit
SHUTDOWN_SECONDS = 5.0       # after a hang-up, how long Textual's shutdown may take
SWITCH_SECONDS = 0.001       # how soon the event loop gets the interpreter lock back (see on_mount)
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

    def __init__(self, preset: Preset | None = None, presets: list[Preset] | None = None,
                 store: RunStore | None = None) -> None:
        super().__init__()
        self.store = store or RunStore()
        self.presets = list(presets) if presets is not None else list_presets()
        self.preset = preset or default_preset(self.presets)
        # The preset asked for (a file, maybe named like a shipped one) stands in for its namesake.
        shipped = [p.name for p in self.presets]
        if self.preset.name in shipped:
            self.presets[shipped.index(self.preset.name)] = self.preset
        else:
            self.presets.append(self.preset)
        self.runs: list[LiveRun] = []
        self.last_key = 0.0   # monotonic time of the newest key: full collections wait for a pause

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
        await super().on_event(event)

    def get_default_screen(self) -> Screen:
        return LabScreen()

    @property
    def lab(self) -> LabScreen:
        """The main screen, also while a modal, the palette or another screen is on top."""
        return self.screen_stack[0]

    def on_mount(self) -> None:
        # The event loop shares the interpreter lock with the line builder and the thread that reads
        # the training process: it gets the lock back within 1 ms of asking instead of 5 (p95 of a
        # keypress at 160x48: 17-27 ms against 25-32 ms, bench/ui_latency.py).
        sys.setswitchinterval(SWITCH_SECONDS)
        BUILDER.last_key = lambda: self.last_key   # plot builds wait for a gap in the typing
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGHUP"):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.hang_up)

    def training(self) -> list[str]:
        return [run.label for run in self.runs if run.active]

    async def action_quit(self) -> None:
        """Quit; while runs train, ask first (stop them and keep them, or go back)."""
        if not self.training():
            self.exit()
            return

        def answer(stop: bool | None) -> None:
            if stop:
                self.stop_and_exit()

        self.push_screen(ConfirmQuit(self.training()), answer)

    def hang_up(self) -> None:
        """The terminal is gone: stop the runs, let them reach the store, exit 129."""
        drop_terminal_output()
        self.stop_and_exit(EXIT_HANGUP)

    @work(thread=True, exclusive=True, group="quit")
    def stop_and_exit(self, code: int = 0) -> None:
        for run in self.runs:
            run.control.stop()
        for run in self.runs:
            if run.active or run.store_id is not None:
                run.recorded.wait(RECORD_WAIT_SECONDS)
        if code == EXIT_HANGUP:
            # The terminal is gone. Textual's shutdown still writes to it, and a hang-up soon after the
            # start left it blocked for ever on its full output queue: everything is stored by now, so
            # if the shutdown has not ended the process within SHUTDOWN_SECONDS, end it here.
            self.call_from_thread(self.store.close)
            watchdog = threading.Timer(SHUTDOWN_SECONDS, os._exit, args=(code,))
            watchdog.daemon = True
            watchdog.start()
        self.call_from_thread(self.exit, return_code=code)

    def on_unmount(self) -> None:
        release_survivors()   # the collector's own schedule again (rnntui.ui.collector)
        BUILDER.last_key = LineBuilder.no_keys
        for run in self.runs:
            run.control.stop()
        self.store.close()   # commits what was sent; a run still stopping finds the store closed


def run_app(preset: str | None = None) -> int:
    """Open the TUI on a preset name or TOML path (the default preset when None); the exit code."""
    try:
        presets = list_presets()
        chosen = load_preset(preset) if preset else default_preset(presets)
        store = RunStore()
    except (ConfigError, StoreError) as exc:
        print(f"rnntui: {exc}", file=sys.stderr)
        return 2
    from rnntui.engine.process import start_server

    start_server()   # runs train in child processes forked from it; it imports torch meanwhile
    app = RnnTuiApp(chosen, presets, store)
    app.run()
    code = app.return_code or 0
    if terminal_lost():
        # The hang-up's SIGCONT makes Textual restart its key reader on the dead terminal, after the
        # app has stopped it; that thread would spin forever and keep this process alive. The store
        # is closed and nothing else is left to do.
        os._exit(code)
    return code
