"""Which sweep the sweep view runs: the default for a form's config, and a dialog to pick another.

Latching presets get E4's grid, as ``rnntui sweep`` does; any other preset
its own sequence length from ×¼ to ×2, for its own cell, with fewer repeats.
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from rnntui.engine.config import INITS, STREAMING_TASKS, ConfigError, RunConfig, parse_value
from rnntui.engine.sweep import SweepSpec
from rnntui.engine.sweep import DEFAULT_GRIDS, LATCHING_REPEATS, SWEEPABLE_FIELDS

from ..screens.help import HelpScreen, help_binding

LENGTH_FACTORS = (0.25, 0.5, 1, 2)
OTHER_REPEATS = 5
# What the values box offers when the user switches to another field.
EXAMPLES = {"seq_len": (5, 10, 20, 50, 100), "lr": (1e-4, 1e-3, 1e-2, 1e-1), "hidden_size": (1, 2, 4, 8, 16),
            "clip_threshold": (0.1, 1.0, 10.0), "init": INITS}


def default_spec(config: RunConfig, preset: str, ray: str | None = None) -> SweepSpec:
    """Sweep ``config`` over sequence length: the study's grid and cells where there is one.

    ``ray``: the preset's ``[sweep]`` Ray address, where it has one (None: this machine).
    """
    values, cells = DEFAULT_GRIDS.get(config.task, (None, (config.cell,)))
    if values is not None:
        return SweepSpec(config, values=values, cells=cells, repeats=LATCHING_REPEATS, preset=preset, ray=ray)
    lengths = tuple(sorted({max(2, round(config.seq_len * factor)) for factor in LENGTH_FACTORS}))
    return SweepSpec(config, values=lengths, cells=cells, repeats=OTHER_REPEATS, preset=preset, ray=ray)


def count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' * (number != 1)}"


def describe_plan(spec: SweepSpec) -> str:
    """What a sweep will run, before it runs: the grid, the run count and each run's budget."""
    values, cells, repeats = spec.values, spec.cells, spec.repeats
    grid = _text(values) if len(values) <= 6 else f"{_text(values[:3])},…,{_text(values[-1:])}"
    config = spec.base
    budget = (f"{count(config.iterations, 'step')} of {config.batch_size}" if config.task in STREAMING_TASKS
              else f"{count(config.epochs, 'epoch')} over {count(config.n_samples, 'sequence')}")
    return (f"{spec.field} over {count(len(values), 'value')} ({grid}) × {count(len(cells), 'cell')} "
            f"({', '.join(cells)}) × {count(repeats, 'repeat')} = {count(len(values) * len(cells) * repeats, 'run')}"
            f", each {budget}")


def _text(values) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class SweepSetup(ModalScreen[SweepSpec | None]):
    """Field, values, cells and repeats of a sweep; dismisses with the new spec, or None."""

    DEFAULT_CSS = """
    SweepSetup { align: center middle; }
    SweepSetup .setup-row { height: 1; margin-bottom: 1; }
    SweepSetup .setup-row Label { width: 10; }
    SweepSetup .setup-row Input, SweepSetup .setup-row Select { width: 1fr; }
    SweepSetup #setup-message { color: $error; }
    """
    BINDINGS = [
        Binding("enter", "submit", "Plan", tooltip="check the grid and show its plan (s there starts it)",
                id="setup.plan"),
        Binding("escape", "cancel", "Cancel", tooltip="keep the sweep as it was", id="setup.cancel"),
        help_binding("setup", "f1"),
    ]
    HELP = ("Sweep: field, values, cells, repeats",
            "Pick the field to sweep and type its values, the cells and the repeats, comma separated. "
            "Nothing runs from here: the sweep screen shows the plan, and **s** there starts it.",
            "A value the field does not accept is named in red under the boxes.")

    def __init__(self, spec: SweepSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Sweep {self.spec.preset} over:")
            with Horizontal(classes="setup-row"):
                yield Label("field")
                yield Select([(name, name) for name in SWEEPABLE_FIELDS], value=self.spec.field,
                             allow_blank=False, compact=True, id="setup-field")
            for name, label, value in (("values", "values", _text(self.spec.values)),
                                       ("cells", "cells", ",".join(self.spec.cells)),
                                       ("repeats", "repeats", str(self.spec.repeats))):
                with Horizontal(classes="setup-row"):
                    yield Label(label)
                    yield Input(value, id=f"setup-{name}", compact=True)
            yield Static("", id="setup-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Plan", id="setup-plan", variant="primary", compact=True)
                yield Button("Cancel", id="setup-cancel", compact=True)
        yield Footer()

    def on_select_changed(self, event: Select.Changed) -> None:
        field = str(event.value)
        values = self.spec.values if field == self.spec.field else EXAMPLES[field]
        self.query_one("#setup-values", Input).value = _text(values)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup-plan":
            self.action_submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_submit(self) -> None:
        """Build and validate the spec; a problem stays on screen in red."""
        field = str(self.query_one("#setup-field", Select).value)
        try:
            values = tuple(parse_value(field, text) for text in _items(self.query_one("#setup-values", Input).value))
            repeats = int(self.query_one("#setup-repeats", Input).value)
            spec = replace(self.spec, field=field, values=values, repeats=repeats,
                           cells=tuple(_items(self.query_one("#setup-cells", Input).value)))
            spec.runs()
        except ConfigError as exc:
            self.query_one("#setup-message", Static).update(str(exc))
            return
        except ValueError:
            self.query_one("#setup-message", Static).update("repeats must be a whole number")
            return
        self.dismiss(spec)
