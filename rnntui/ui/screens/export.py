"""Export a run (or a sweep) as the engine's CSV pair, to a path the user can edit.

An unwritable path is reported here, in red; the engine then writes the same
files to a fallback directory, so nothing is lost, and the dialog stays open
to try another place.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from rnntui.engine.export import ExportError, ExportResult, default_export_path, export_run
from rnntui.ui.session import LiveRun

from .help import HelpScreen, help_binding


class ExportScreen(ModalScreen[tuple[Path, ...] | None]):
    """Dismisses with the written paths, or None when cancelled.

    ``write(path)`` is the engine's exporter (``export_run``, ``export_sweep``)
    bound to what it writes; ``what`` names that thing in the prompt.
    """

    BINDINGS = [
        Binding("enter", "export", "Export", tooltip="write the CSV pair to the path", id="export.write"),
        Binding("escape", "cancel", "Cancel", tooltip="close without writing", id="export.cancel"),
        help_binding("export", "f1"),
    ]
    HELP = ("Export as CSV",
            "Writes two files: the path you give (one row per step, evaluations joined in) and a "
            "`.timesteps.csv` beside it (‖∂L/∂h_t‖ per probe and timestep). Edit the path, then enter.",
            "A file that exists is replaced only when you press enter a second time. "
            "If the path cannot be written, the message says why, the same files go to a fallback "
            "folder so nothing is lost, and the dialog stays open to try another place.")

    def __init__(self, what: str, path: Path, write: Callable[..., ExportResult]) -> None:
        super().__init__()
        self.what, self.path, self.write = what, path, write
        self.replace: Path | None = None      # the existing file the user agreed to replace

    @classmethod
    def for_run(cls, run: LiveRun) -> "ExportScreen":
        return cls(f"run {run.label} ({run.state})", default_export_path(run.record.preset, run.store_id),
                   partial(export_run, run.record))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Export {self.what} as CSV:")
            yield Input(str(self.path), id="export-path")
            yield Static("", id="export-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", id="export", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self.action_export()
        else:
            self.dismiss(None)

    def on_input_submitted(self) -> None:
        self.action_export()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_export(self) -> None:
        message = self.query_one("#export-message", Static)
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            message.update("enter a file name")
            message.set_classes("-error")
            return
        path = Path(text).expanduser()
        if path.is_file() and not path.is_symlink() and self.replace != path:
            self.replace = path
            message.update(f"{path} exists: enter again to replace it (and its .timesteps.csv), or edit the path")
            message.set_classes("-error")
            return
        try:
            result = self.write(path, force=self.replace == path)
        except ExportError as exc:
            message.update(str(exc))
            message.set_classes("-error")
            return
        if result.fallback_used:
            message.update(result.message)
            message.set_classes("-error")
            return
        self.dismiss(result.paths)
