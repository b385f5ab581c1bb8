"""The experiment pane: a preset picker, then every RunConfig field as a widget.

Values are validated by the engine's own ``build_config`` on every change,
so the message shown under a field is exactly what the CLI would print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from rnntui.engine.config import (FIELD_TYPES, FIELDS, ConfigError, RunConfig, build_config,
                                  describe_allowed, parse_value)
from rnntui.engine.presets import Preset

# The first field of each group of RunConfig (its own comments group it the same way).
GROUP_STARTS = {"task": "Task", "cell": "Model", "optimizer": "Training", "seed": "Run"}


def shown(value: Any) -> str:
    """How a number looks in its Input (repr keeps every digit of a float)."""
    return repr(value) if isinstance(value, float) else str(value)


def on_off(value: bool) -> str:
    """A switch's state in words: its colour alone says nothing without colour or to a new user."""
    return "on" if value else "off"


class FieldInput(Input):
    """An Input whose typing repaints only itself.

    Textual's Input keeps its text width in ``virtual_size``, a layout reactive, so
    every key re-laid-out the whole screen (~160 widgets: 8 ms idle, 20-60 ms while a
    run trains). A field's box never follows its text, so the width is stored quietly.
    """

    def _watch_value(self, value: str) -> None:
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)


class ExperimentForm(VerticalScroll):
    """Preset picker plus one widget per config field; errors shown at the field."""

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
        yield Select([(preset.title, preset.name) for preset in self.presets.values()],
                     prompt="preset", allow_blank=False, value=self.initial.name, compact=True, id="preset")
        yield Static("", id="preset-description")
        for name, spec in FIELDS.items():
            if name in GROUP_STARTS:
                yield Static(GROUP_STARTS[name], classes="group")
            tip = f"{spec.metadata['help']} ({describe_allowed(name)})"
            with Horizontal(classes="field"):
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
        """Show a preset's values in every field."""
        self.preset = preset
        self.query_one("#preset", Select).value = preset.name
        self.query_one("#preset-description", Static).update(preset.description)
        for name in FIELDS:
            value = getattr(preset.config, name)
            editor = self.editor(name)
            editor.value = value if not isinstance(editor, Input) else shown(value)
        self.validate()

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
        self.errors = errors

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "preset":
            if self.preset is None or event.value != self.preset.name:
                self.post_message(self.PresetRequested(str(event.value)))
        else:
            self.validate()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.validate()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        name = (event.switch.id or "").removeprefix("field-")
        self.query_one(f"#state-{name}", Static).update(on_off(event.value), layout=False)
        self.validate()

    def revert_picker(self) -> None:
        """Put the picker back on the loaded preset (the user kept their edits)."""
        if self.preset is not None:
            self.query_one("#preset", Select).value = self.preset.name
