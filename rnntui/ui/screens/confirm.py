"""Ask before loading a preset over edited fields."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDiscard(ModalScreen[bool]):
    """Dismisses with True to discard the edits, False to keep them."""

    BINDINGS = [Binding("escape,n", "keep", "Keep edits"), Binding("y", "discard", "Discard")]

    def __init__(self, preset_title: str) -> None:
        super().__init__()
        self.preset_title = preset_title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Load “{self.preset_title}” and discard your edits to the fields?")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Discard (y)", id="discard", variant="warning", compact=True)
                yield Button("Keep edits (n)", id="keep", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard")

    def action_keep(self) -> None:
        self.dismiss(False)

    def action_discard(self) -> None:
        self.dismiss(True)
