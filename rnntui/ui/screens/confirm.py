"""Ask before loading a preset over edited fields, and before quitting while runs train."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from .help import HelpScreen, help_binding


class ConfirmDiscard(ModalScreen[bool]):
    """Dismisses with True to discard the edits, False to keep them."""

    BINDINGS = [
        Binding("y", "discard", "Discard", tooltip="load the preset; your edits are dropped", id="confirm.discard"),
        Binding("n,escape", "keep", "Keep edits", tooltip="stay on your edited fields", id="confirm.keep"),
        help_binding("confirm"),
    ]
    HELP = ("Discard your edits?",
            "You picked another preset while the fields hold edits. Loading it replaces every field.", "")

    def __init__(self, preset_title: str) -> None:
        super().__init__()
        self.preset_title = preset_title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Load “{self.preset_title}” and discard your edits to the fields?")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Discard (y)", id="discard", variant="warning", compact=True)
                yield Button("Keep edits (n)", id="keep", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard")

    def action_keep(self) -> None:
        self.dismiss(False)

    def action_discard(self) -> None:
        self.dismiss(True)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))


class ConfirmQuit(ModalScreen[bool]):
    """Dismisses with True to stop the runs (they stay in the store) and quit, False to go back."""

    BINDINGS = [
        Binding("y", "quit", "Stop and quit", tooltip="stop the runs, keep them in the store, quit",
                id="quit.stop"),
        Binding("n,escape", "back", "Go back", tooltip="keep training", id="quit.back"),
        help_binding("quit"),
    ]
    HELP = ("Quit while a run trains?",
            "Stopping keeps every run in the run store with what it has done so far "
            "(`rnntui runs list` shows them, and the Runs tab next time).", "")

    def __init__(self, labels: list[str]) -> None:
        super().__init__()
        self.labels = labels

    def compose(self) -> ComposeResult:
        runs = " and ".join(self.labels)
        with Vertical(classes="dialog"):
            yield Static(f"Run {runs} {'is' if len(self.labels) == 1 else 'are'} still training. Stop and "
                         "quit? What ran so far is kept in the run store.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Stop and quit (y)", id="quit", variant="warning", compact=True)
                yield Button("Go back (n)", id="back", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_back(self) -> None:
        self.dismiss(False)

    def action_quit(self) -> None:
        self.dismiss(True)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))
