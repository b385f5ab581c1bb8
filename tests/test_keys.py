"""Keys through Pilot: each screen owns its keys and its help, text fields let go, the form fits the run."""

from __future__ import annotations

import inspect

import pytest
from textual.app import App
from textual.binding import Binding
from textual.widgets import Input, Select
from textual.widgets._footer import FooterKey

from rnntui.engine.config import RunConfig
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.inspect import InspectScreen
from rnntui.ui.landscape import LandscapeScreen
from rnntui.ui.lab import LabScreen
from rnntui.ui.screens.confirm import ConfirmDiscard
from rnntui.ui.screens.export import ExportScreen
from rnntui.ui.screens.help import HelpScreen
from rnntui.ui.sweep import SweepScreen
from rnntui.ui.sweep.setup import SweepSetup
from rnntui.ui.widgets.form import ExperimentForm, FieldInput

from ui_helpers import LONG, SMOKE, preset, wait_until


def make_app(*presets) -> RnnTuiApp:
    return RnnTuiApp(presets[0], list(presets))


def footer(app) -> list[str]:
    """The descriptions the footer shows now."""
    return [str(key.description) for key in app.screen.query(FooterKey)]


async def open_help(app, pilot, key: str = "question_mark") -> HelpScreen:
    owner = app.screen
    await pilot.press(key)
    await pilot.pause()
    shown = app.screen
    assert isinstance(shown, HelpScreen) and shown.owner is owner
    return shown


def assert_help_lists_every_key(help_screen: HelpScreen) -> None:
    text = help_screen.text()
    owner = help_screen.owner
    assert text.startswith(f"# {owner.HELP[0]}")
    for binding in Binding.make_bindings(type(owner).BINDINGS):
        assert f"`{owner.app.get_key_display(binding)}`" in text, binding.key


async def finished_run(app, pilot) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: app.runs and not app.runs[-1].active, 60)
    await pilot.pause(0.2)


# -- every screen: its own help, its own keys ------------------------------------------
async def test_the_lab_help_is_the_labs():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        help_screen = await open_help(app, pilot)
        assert_help_lists_every_key(help_screen)
        assert "`q`" in help_screen.text()          # the app's own key reaches the lab
        await pilot.press("escape")
        assert isinstance(app.screen, LabScreen)


async def test_the_sweep_screen_has_its_own_keys_and_help_and_waits_for_s():
    tiny = preset("tiny", RunConfig(task="adding", seq_len=8, iterations=3, batch_size=4, hidden_size=2,
                                    probe_every=0, device="cpu"))
    app = make_app(tiny)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        await pilot.press("n", "e", "p", "x")         # the lab's step and export do not reach the lab
        await pilot.pause(0.3)
        assert app.runs == [] and app.screen is screen and screen.started is None
        help_screen = await open_help(app, pilot, "f1")
        assert_help_lists_every_key(help_screen)
        assert "`q`" in help_screen.text()
        await pilot.press("escape")
        await pilot.press("s")                          # s starts the sweep here too
        await wait_until(pilot, lambda: screen.outcome is not None, 60)
        assert screen.outcome.status == "finished" and app.runs == []
        await pilot.press("f")
        assert isinstance(app.screen, SweepSetup)
        assert_help_lists_every_key(await open_help(app, pilot, "f1"))
        await pilot.press("escape", "escape")
        assert app.screen is screen
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        assert_help_lists_every_key(await open_help(app, pilot, "f1"))
        await pilot.press("escape", "escape", "escape")
        assert isinstance(app.screen, LabScreen)


@pytest.mark.parametrize("opener, kind, foreign", [
    ("g", LandscapeScreen, ("e", "s", "n", "p", "x", "w", "i")),
    ("i", InspectScreen, ("s", "n", "e", "x", "w", "g")),
], ids=["cliff explorer", "inspector"])
async def test_a_sub_screen_keeps_the_lab_keys_away(opener, kind, foreign):
    app = make_app(SMOKE)
    async with app.run_test(size=(120, 36)) as pilot:
        await finished_run(app, pilot)
        await pilot.press(opener)
        screen = app.screen
        assert isinstance(screen, kind)
        await pilot.press(*foreign)
        await pilot.pause(0.3)
        assert app.screen is screen and len(app.runs) == 1    # no export dialog, no run, no sweep
        assert_help_lists_every_key(await open_help(app, pilot))
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        assert isinstance(app.screen, LabScreen)


async def test_dialogs_have_their_own_help_and_footer():
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ExperimentForm).editor("seq_len").value = "7"
        await pilot.pause()
        app.query_one("#preset", Select).value = "long"
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)
        assert {"Discard", "Keep edits", "Help"} <= set(footer(app))
        assert_help_lists_every_key(await open_help(app, pilot))
        await pilot.press("escape", "n")
        assert isinstance(app.screen, LabScreen) and app.preset.name == "smoke"


# -- text fields let go ------------------------------------------------------------------
async def test_escape_leaves_a_field_and_the_run_keys_work_again():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        field = app.query_one(ExperimentForm).editor("lr")
        field.focus()
        await pilot.pause()
        assert {"Commit", "Done", "Help"} <= set(footer(app))   # not just "f1 Help"
        await pilot.press("end", "5", "s")
        assert field.value == "0.015s" and app.runs == []      # in the field s is a letter
        await pilot.press("backspace", "escape")
        assert app.focused is None and field.value == "0.015"
        assert "Start" in footer(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(app.runs))
        assert app.runs[0].record.config.lr == 0.015


async def test_enter_commits_a_field_and_gives_the_keys_back():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        field = app.query_one(ExperimentForm).editor("seq_len")
        field.focus()
        await pilot.press("end", "backspace", "7", "enter")
        assert app.focused is None and field.value == "7"
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(app.runs))
        assert app.runs[0].record.config.seq_len == 7


def test_field_input_overrides_a_private_textual_method_that_still_exists():
    """FieldInput overrides Input._watch_value (private): fail loudly if Textual renames or reshapes it."""
    from textual.widgets import Input as TextualInput

    assert "_watch_value" in vars(TextualInput), "Textual renamed Input._watch_value: FieldInput's override is dead"
    assert list(inspect.signature(TextualInput._watch_value).parameters) == ["self", "value"]
    assert "virtual_size" in inspect.getsource(TextualInput._watch_value)


async def test_field_input_typing_does_not_re_lay_out_while_a_plain_input_does():
    """What the override is for: a plain Input asks for a layout on typing, a FieldInput does not.
    If Textual stops doing that, the override has no purpose left and this test says so."""

    class Host(App):
        def compose(self):
            yield Input("1", id="plain", compact=True, select_on_focus=False)
            yield FieldInput("1", id="field", compact=True, select_on_focus=False)

    app = Host()
    async with app.run_test(size=(60, 8)) as pilot:
        layouts = {}
        for name in ("plain", "field"):
            widget = app.query_one(f"#{name}")
            calls = []
            original = widget.refresh

            def spy(*args, _original=original, _calls=calls, **kwargs):
                _calls.append(kwargs.get("layout", False))
                return _original(*args, **kwargs)

            widget.refresh = spy
            widget.focus()
            await pilot.pause()
            await pilot.press("2", "3", "4")
            await pilot.pause()
            assert widget.value == "1234"
            layouts[name] = sum(calls)
        assert layouts["plain"] > 0, "Textual's Input no longer re-lays-out on typing: drop FieldInput's override"
        assert layouts["field"] == 0


# -- the form fits the run -----------------------------------------------------------------
def shown_fields(form: ExperimentForm) -> set[str]:
    return {row.id.removeprefix("row-") for row in form.query(".field") if row.display}


async def test_the_form_shows_only_what_the_task_cell_and_optimizer_use():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.query_one(ExperimentForm)
        fields = shown_fields(form)
        assert {"epochs", "n_samples", "noise", "forget_bias"} <= fields
        assert not {"iterations", "num_words", "embed_dim", "tbptt", "momentum", "clip_threshold"} & fields
        form.editor("task").value = "adding"
        form.editor("cell").value = "gru"
        form.editor("optimizer").value = "sgd"
        await pilot.pause()
        fields = shown_fields(form)
        assert {"iterations", "momentum", "gate_activation"} <= fields
        assert not {"epochs", "n_samples", "noise", "forget_bias", "single_bias", "split"} & fields
        # a field with an error stays in sight even when the run ignores it
        form.editor("optimizer").value = "sgd"
        form.editor("momentum").value = "7"
        await pilot.pause()
        form.editor("optimizer").value = "adam"
        await pilot.pause()
        assert "momentum" in shown_fields(form) and form.query_one("#error-momentum").display


async def test_rarely_changed_fields_are_folded_and_counted():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 40)) as pilot:
        more = app.query_one("#advanced")
        assert more.collapsed and "set by the preset" in more.title
        assert app.query_one("#row-split") in more.query(".field")


async def test_the_picker_finds_a_preset_by_its_name_and_shows_the_whole_description():
    long_text = " ".join(["A sentence of the description."] * 12)
    presets = [SMOKE, preset("explode-noclip", SMOKE.config, long_text), LONG]
    app = make_app(*presets)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        await pilot.press(*"noclip")
        await pilot.press("enter")
        await pilot.pause()
        assert app.preset.name == "explode-noclip"
        description = app.query_one("#preset-description")
        assert str(description.render()) == long_text and description.size.height >= 10
