"""The experiment pane: a preset picker, then the RunConfig fields the chosen run uses.

Values are validated by the engine's own ``build_config`` on every change,
so the message shown under a field is exactly what the CLI would print. Which
fields a run uses is the engine's answer too (``RunConfig.unused_fields``):
the others are hidden, and the rarely changed ones are folded under *More*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Select, Static, Switch

from rnntui.engine.config import (DECIDING_FIELDS, FIELD_TYPES, FIELDS, ConfigError, RunConfig, build_config,
                                  describe_allowed, parse_value, unused_fields)
from rnntui.engine.presets import Preset

# The first field of each group of RunConfig (its own comments group it the same way).
GROUP_STARTS = {"task": "Task", "cell": "Model", "optimizer": "Training", "seed": "Run"}
# Fields most runs leave alone: folded under "More" (its title counts those the preset changes).
ADVANCED = ("reverse", "val_fraction", "split", "forget_bias", "single_bias", "gate_activation", "input_dropout",
            "device", "probe_every", "eval_every")


def shown(value: Any) -> str:
    """How a number looks in its Input (repr keeps every digit of a float)."""
    return repr(value) if isinstance(value, float) else str(value)


def on_off(value: bool) -> str:
    """A switch's state in words: its colour alone says nothing without colour or to a new user."""
    return "on" if value else "off"


def picker_prompt(preset: Preset) -> Text:
    """A preset in the picker: its name (what the CLI and the palette call it) and its title, both searchable."""
    return Text.assemble((preset.name, "bold"), "  ", (preset.title, "dim"))


class FieldInput(Input):
    """An Input whose typing repaints only itself; enter commits the value and leaves the field.

    Textual's Input keeps its text width in ``virtual_size``, a layout reactive, so
    every key re-laid-out the whole screen (~160 widgets: 8 ms idle, 20-60 ms while a
    run trains). A field's box never follows its text, so the width is stored quietly.
    This overrides Textual's private ``_watch_value``: tests/test_form.py fails if
    Textual renames it or stops re-laying-out plain Inputs.
    """

    BINDINGS = [Binding("enter", "submit", "Commit", tooltip="commit the value and leave the field")]

    def _watch_value(self, value: str) -> None:
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)


class ExperimentForm(VerticalScroll):
    """Preset picker plus one widget per config field the run uses; errors shown at the field."""

    BINDINGS = [Binding("escape", "leave_field", "Done", tooltip="leave the field: the run keys work again")]
    can_focus = False   # tab goes from field to field (each scrolls into view); the wheel scrolls the pane

    @dataclass
    class Changed(Message):
        """The fields changed: whether they make a valid config, and whether they differ from the preset."""

        valid: bool
        dirty: bool

    @dataclass
    class PresetRequested(Message):
        """The user picked another preset in the picker (the app decides whether to discard edits)."""

        name: str

    def __init__(self, presets: list[Preset], initial: Preset, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.presets = {preset.name: preset for preset in presets}
        self.initial = initial
        self.preset: Preset | None = None
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Select([(picker_prompt(preset), preset.name) for preset in self.presets.values()],
                     prompt="preset", allow_blank=False, value=self.initial.name, compact=True, id="preset")
        yield Static("", id="preset-description")
        for name in FIELDS:
            if name in GROUP_STARTS:
                yield Static(GROUP_STARTS[name], classes="group")
            if name not in ADVANCED:
                yield from self._row(name)
        with Collapsible(title="More settings", collapsed=True, id="advanced"):
            for name in ADVANCED:
                yield from self._row(name)

    def _row(self, name: str) -> ComposeResult:
        """A field's label, editor (and on/off word for a switch), and the line for its error."""
        tip = f"{FIELDS[name].metadata['help']} ({describe_allowed(name)})"
        with Horizontal(classes="field", id=f"row-{name}"):
            label = Label(name)
            label.tooltip = tip
            yield label
            value = getattr(self.initial.config, name)
            yield self._editor(name, tip, value)
            if FIELD_TYPES[name] is bool:
                yield Static(on_off(value), id=f"state-{name}", classes="switch-state")
        yield Static("", id=f"error-{name}", classes="field-error")

    @staticmethod
    def _editor(name: str, tip: str, value: Any):
        """The widget for one field, created holding ``value`` (no empty first validation)."""
        choices = FIELDS[name].metadata["choices"]
        if choices:
            return Select([(choice, choice) for choice in choices], allow_blank=False, compact=True,
                          value=value, id=f"field-{name}", tooltip=tip)
        if FIELD_TYPES[name] is bool:
            return Switch(value, id=f"field-{name}", tooltip=tip)
        return FieldInput(shown(value), compact=True, id=f"field-{name}", tooltip=tip, select_on_focus=False)

    def editor(self, name: str) -> Input | Select | Switch:
        return self.query_one(f"#field-{name}")

    def load(self, preset: Preset) -> None:
        """Show a preset's values in every field; *More*'s title counts the folded ones it changes."""
        self.preset = preset
        self.query_one("#preset", Select).value = preset.name
        self.query_one("#preset-description", Static).update(preset.description)
        for name in FIELDS:
            value = getattr(preset.config, name)
            editor = self.editor(name)
            editor.value = value if not isinstance(editor, Input) else shown(value)
        ignored = preset.config.unused_fields()
        changed = [name for name in ADVANCED
                   if name not in ignored and getattr(preset.config, name) != FIELDS[name].default]
        self.query_one("#advanced", Collapsible).title = \
            f"More ({len(changed)} set by the preset)" if changed else "More settings"
        self.validate()
        self.show_used_fields()

    def show_used_fields(self) -> None:
        """Show the rows of the fields this run uses (and of any field holding an error)."""
        unused = unused_fields({name: self.editor(name).value for name in DECIDING_FIELDS})
        for name in FIELDS:
            row = self.query_one(f"#row-{name}")
            wanted = name not in unused or name in self.errors
            if row.display != wanted:
                row.display = wanted

    def values(self) -> dict[str, Any]:
        return {name: self.editor(name).value for name in FIELDS}

    def config(self) -> RunConfig | None:
        """The config the fields describe, or None while any is invalid (errors shown)."""
        try:
            config = build_config(self.values())
        except ConfigError as exc:
            self._show_errors(exc.errors)
            return None
        self._show_errors({})
        return config

    def validate(self) -> bool:
        valid = self.config() is not None
        self.post_message(self.Changed(valid=valid, dirty=self.dirty))
        return valid

    @property
    def dirty(self) -> bool:
        """Whether any field differs from the loaded preset."""
        if self.preset is None:
            return False
        for name, value in self.values().items():
            try:
                parsed = parse_value(name, value) if isinstance(value, str) and FIELD_TYPES[name] is not str \
                    else value
            except ConfigError:
                return True
            if parsed != getattr(self.preset.config, name):
                return True
        return False

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Mark the fields whose message changed (touching all would re-layout the pane per key)."""
        for name in set(errors) | set(self.errors):
            message = errors.get(name, "")
            if message == self.errors.get(name, ""):
                continue
            label = self.query_one(f"#error-{name}", Static)
            label.update(message)
            label.display = bool(message)
            self.editor(name).set_class(bool(message), "-invalid")
        fields_changed = set(errors) != set(self.errors)
        self.errors = errors
        if fields_changed:   # a hidden field with an error must show
            self.show_used_fields()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "preset":
            if self.preset is None or event.value != self.preset.name:
                self.post_message(self.PresetRequested(str(event.value)))
        else:
            self.validate()
            self.show_used_fields()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.validate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter commits the field (its value is already checked) and gives the keys back to the screen."""
        event.stop()
        self.screen.set_focus(None)

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape leaves a text field (elsewhere in the pane the run keys already work)."""
        if action == "leave_field":
            return isinstance(self.screen.focused, Input)
        return True

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        name = (event.switch.id or "").removeprefix("field-")
        self.query_one(f"#state-{name}", Static).update(on_off(event.value), layout=False)
        self.validate()

    def revert_picker(self) -> None:
        """Put the picker back on the loaded preset (the user kept their edits)."""
        if self.preset is not None:
            self.query_one("#preset", Select).value = self.preset.name
