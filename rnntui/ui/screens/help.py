"""Per-screen help: every screen and dialog opens its own, with its keys read from its bindings.

The key table is made from the screen's ``BINDINGS`` (a binding's tooltip, or
its description, says what it does), so the help cannot drift from the keys.
"""

from __future__ import annotations

from typing import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Markdown


def help_binding(scope: str, keys: str = "question_mark,f1") -> Binding:
    """The help key of one screen (``f1`` alone where ``?`` would be typed into a text field)."""
    return Binding(keys, "help", "Help", tooltip="this help", id=f"{scope}.help")


def key_table(screen: Screen, bindings: Iterable[Binding]) -> str:
    """A Markdown table of ``bindings``: keys of the same action on one row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        what = binding.tooltip or binding.description
        shown = screen.app.get_key_display(binding).replace("|", "\\|")
        rows.setdefault((binding.action, what), []).append(f"`{shown}`")
    lines = ["| key | does |", "|---|---|"]
    lines += [f"| {' '.join(keys)} | {what} |" for (_, what), keys in rows.items()]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """One screen's help: what it is for, its keys, and how to read it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close")]

    def __init__(self, owner: Screen) -> None:
        super().__init__()
        self.owner = owner

    def text(self) -> str:
        owner = self.owner
        bindings = list(type(owner).BINDINGS)
        if not owner.is_modal:      # the app's own keys (q) reach every full screen
            bindings += [b for b in self.app.BINDINGS if isinstance(b, Binding)]
        title, intro, notes = owner.HELP
        return f"# {title}\n\n{intro}\n\n{key_table(owner, bindings)}\n\n{notes}".rstrip() + "\n"

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(self.text())
        yield Footer()
