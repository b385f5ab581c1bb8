"""Pilot tests of the TUI, driving the real engine on tiny configs."""

from __future__ import annotations

import re
import time

import pytest
from textual.widgets import Input, Select, Static, TabbedContent

from rnntui.engine import export as export_module
from rnntui.engine.config import ConfigError, build_config
from rnntui.engine.presets import load_preset
from rnntui.ui.app import RnnTuiApp, run_app
from rnntui.ui.screens.confirm import ConfirmDiscard
from rnntui.ui.screens.export import ExportScreen
from rnntui.ui.screens.help import HelpScreen
from rnntui.ui.widgets.form import ExperimentForm
from rnntui.ui.widgets.heatmap import GradHeatmap
from rnntui.ui.widgets.plots import LossPlot

from ui_helpers import EXPLODE, LONG, SMOKE, drawn, wait_until


def make_app(*presets) -> RnnTuiApp:
    return RnnTuiApp(presets[0], list(presets))


def state_text(app: RnnTuiApp) -> str:
    return str(app.query_one("#run-state", Static).render())


async def finish(pilot, app: RnnTuiApp) -> None:
    await wait_until(pilot, lambda: bool(app.runs) and app.runs[-1].record.ended)
    await pilot.pause(0.3)


async def test_opens_on_the_preset_with_its_values_and_why():
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.query_one(ExperimentForm)
        assert form.query_one("#preset", Select).value == "smoke"
        assert form.editor("seq_len").value == "5"
        assert form.editor("cell").value == "lstm"
        assert not form.dirty
        app.query_one(TabbedContent).active = "why"
        await pilot.pause()
        assert "What to look for" in app.query_one("#why-panel").source


async def test_picking_a_preset_loads_it():
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#preset", Select).value = "long"
        await pilot.pause()
        assert app.preset.name == "long"
        assert app.query_one(ExperimentForm).editor("epochs").value == "20000"


async def test_loading_a_preset_over_edits_asks_first():
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.query_one(ExperimentForm)
        form.editor("seq_len").value = "7"
        await pilot.pause()
        assert form.dirty
        app.query_one("#preset", Select).value = "long"
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("n")
        await pilot.pause()
        assert form.editor("seq_len").value == "7" and app.preset.name == "smoke"
        assert form.query_one("#preset", Select).value == "smoke"
        app.lab.request_preset("long")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.preset.name == "long" and form.editor("seq_len").value == "5"


async def test_invalid_field_is_marked_with_the_engine_message_and_start_is_refused():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        form = app.query_one(ExperimentForm)
        form.editor("seq_len").focus()
        form.editor("seq_len").value = ""
        await pilot.press(*"-3")
        await pilot.pause()
        with pytest.raises(ConfigError) as expected:
            build_config({"seq_len": "-3"})
        message = form.query_one("#error-seq_len", Static)
        assert message.display and str(message.render()) == expected.value.errors["seq_len"]
        assert form.editor("seq_len").has_class("-invalid")
        assert app.query_one("#button-start").disabled
        app.set_focus(None)
        await pilot.press("s")
        await pilot.pause()
        assert app.runs == []
        form.editor("seq_len").value = "5"
        await pilot.pause()
        assert not message.display and not app.query_one("#button-start").disabled


async def test_q_typed_into_an_input_stays_text():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        field = app.query_one(ExperimentForm).editor("lr")
        field.focus()
        field.cursor_position = len(field.value)
        await pilot.press("q", "s")
        assert field.value.endswith("qs") and app.is_running and app.runs == []
        app.set_focus(None)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_start_trains_the_real_engine_to_the_end():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        record = app.runs[0].record
        assert record.status == "finished" and record.steps and record.probes and record.evaluations
        assert "finished at step" in state_text(app)
        assert app.query_one("#plot-loss", LossPlot).records == [record]
        assert app.query_one(GradHeatmap).record is record
        assert "cpu" in str(app.query_one("#run-numbers", Static).render())


async def test_start_button_and_second_start_while_running():
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#button-start")
        await wait_until(pilot, lambda: app.runs and app.runs[0].record.last_step > 0)
        await pilot.press("s")
        assert len(app.runs) == 1
        await pilot.click("#button-stop")
        await finish(pilot, app)
        assert app.runs[0].record.status == "stopped"


async def test_pause_single_step_resume_and_stop_within_a_second():
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        run = None
        await wait_until(pilot, lambda: app.runs and app.runs[0].record.last_step > 5)
        run = app.runs[0]
        await pilot.press("p")
        await pilot.pause(0.3)
        assert run.paused and "paused at step" in state_text(app)
        held = run.record.last_step
        await pilot.pause(0.3)
        assert run.record.last_step == held
        await pilot.press("n")
        await wait_until(pilot, lambda: run.record.last_step == held + 1)
        await pilot.pause(0.3)
        assert run.record.last_step == held + 1
        await pilot.press("p")
        await wait_until(pilot, lambda: run.record.last_step > held + 5)
        started = time.monotonic()
        await pilot.press("x")
        await wait_until(pilot, lambda: run.record.ended, timeout=5)
        assert time.monotonic() - started < 1.0
        assert run.record.status == "stopped"
        await pilot.pause(0.3)
        assert "stopped" in state_text(app)


async def test_single_step_without_a_run_starts_one_paused():
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: app.runs and app.runs[0].record.last_step == 1)
        await pilot.pause(0.3)
        assert app.runs[0].paused and app.runs[0].record.last_step == 1
        await pilot.press("x")
        await finish(pilot, app)


async def test_diverged_run_shows_where_exports_and_the_ui_stays_alive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(EXPLODE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        record = app.runs[0].record
        assert record.status == "diverged"
        assert f"diverged at step {record.finished_step}" in state_text(app)
        # One step number: the step that overflowed, in the state, the numbers and the bar alike.
        assert record.finished_step == record.last_step + 1
        assert f"step {record.finished_step}/{record.total_steps}" in str(app.query_one("#run-numbers", Static).render())
        assert app.query_one("#progress").progress == record.finished_step
        assert app.query_one("#run-state").has_class("-diverged")
        await pilot.press("e", "enter")
        await pilot.pause()
        assert len(list((tmp_path / "runs").glob("*-explode-noclip*.csv"))) == 2
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("s")
        await finish(pilot, app)
        assert len(app.runs) == 2


async def test_export_writes_the_csv_pair_with_a_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        path = app.screen.query_one("#export-path", Input).value
        assert re.fullmatch(r"runs/\d{8}-\d{6}-smoke-1\.csv", path)   # ends with the run's store id
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        written = sorted(p.name for p in (tmp_path / "runs").iterdir())
        assert len(written) == 2 and any(name.endswith(".timesteps.csv") for name in written)


async def test_export_over_an_existing_file_asks_and_replaces_only_on_a_second_enter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "mine.csv"
    target.write_text("the user's own results\n")
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        await pilot.press("e")
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "exists: enter again to replace it" in str(app.screen.query_one("#export-message").render())
        assert target.read_text() == "the user's own results\n"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert "train_loss" in target.read_text().splitlines()[0].split(",")
        assert (tmp_path / "mine.timesteps.csv").exists()


async def test_export_to_an_unwritable_path_shows_the_error_and_loses_nothing(tmp_path, monkeypatch):
    fallback = tmp_path / "fallback"
    monkeypatch.setattr(export_module, "fallback_dirs", lambda: [fallback])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs and app.runs[0].record.last_step > 3)
        await pilot.press("x")
        await finish(pilot, app)
        await pilot.press("e")
        field = app.screen.query_one("#export-path", Input)
        field.value = str(blocker / "out.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        message = app.screen.query_one("#export-message", Static)
        assert message.has_class("-error") and "cannot write" in str(message.render())
        assert (fallback / "out.csv").exists() and (fallback / "out.timesteps.csv").exists()
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)


async def test_compare_overlays_two_runs_and_rows_toggle_marks():
    app = make_app(SMOKE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        assert app.lab.marked == []
        for _ in range(2):
            await pilot.press("s")
            await finish(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "runs"
        assert app.lab.marked == [1, 2]
        overlay = app.query_one("#compare-loss", LossPlot)
        assert overlay.records == [app.runs[0].record, app.runs[1].record]
        assert overlay.labels == ["#1", "#2"]
        table = app.query_one("#run-table")
        table.focus()
        table.move_cursor(row=1)                 # newest first: run #1 is the second row
        await pilot.press("enter")
        assert app.lab.marked == [2]
        await pilot.press("enter")
        assert app.lab.marked == [2, 1]


@pytest.mark.parametrize("command, check", [
    ("Load preset: Long", lambda app: app.preset.name == "long"),
    ("Start run", lambda app: len(app.runs) == 1),
    ("Compare runs", lambda app: app.runs == []),
    ("Open cliff explorer", lambda app: True),
])
async def test_palette_commands(command, check):
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*command)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert check(app)
        await wait_until(pilot, lambda: all(not run.active for run in app.runs))


async def test_palette_stop_pause_and_export():
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs and app.runs[0].record.last_step > 0)
        for command in ("Pause / resume", "Stop run", "Export run"):
            await pilot.press("ctrl+p")
            await pilot.press(*command)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause(0.3)
            if command.startswith("Pause"):
                assert app.runs[0].control.paused
        await wait_until(pilot, lambda: app.runs[0].record.ended)
        assert isinstance(app.screen, ExportScreen)


async def test_palette_offers_the_theme_picker():
    app = make_app(SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "Theme" in type(app.screen).__name__ or app.screen.query("OptionList")


async def test_help_form_toggle_preset_focus_and_landscape_keys():
    app = make_app(SMOKE, LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f")
        assert not app.query_one(ExperimentForm).display
        await pilot.press("l")
        assert app.query_one(ExperimentForm).display
        assert app.query_one("#preset", Select).expanded
        await pilot.press("escape")
        app.set_focus(None)
        await pilot.press("g")
        await pilot.pause()
        assert app.is_running


@pytest.mark.parametrize("size, columns", [((80, 24), 1), ((160, 48), 3)])
async def test_plot_grid_folds_to_the_terminal(size, columns):
    app = make_app(SMOKE)
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        plots = app.query_one("#plots")
        lefts = {widget.region.x for widget in plots.children if widget.display}
        assert len(lefts) == columns


async def test_plots_redraw_after_resize_and_theme_change():
    """plotext 5's log scale re-logs on rebuild; ours must draw the same axis every time."""
    app = make_app(SMOKE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await finish(pilot, app)
        plot = app.query_one("#plot-loss", LossPlot)
        first = drawn(plot)
        assert "loss (log scale)" in first and "┤" in first
        await pilot.resize_terminal(160, 48)
        await pilot.resize_terminal(120, 40)
        app.theme = "textual-light"
        await pilot.pause()
        app.theme = "textual-dark"
        await pilot.pause()
        assert drawn(plot) == first


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_no_color_is_respected(monkeypatch, size):
    """Textual's monochrome filter reads every segment's style: a style-less one crashed it at start."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(SMOKE)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.no_color
        await pilot.press("s")
        await finish(pilot, app)
        assert "▀" in drawn(app.query_one(GradHeatmap))


def test_run_app_rejects_an_unknown_preset(capsys):
    assert run_app("no-such-preset") == 2
    assert "unknown preset" in capsys.readouterr().err


def test_plot_lines_read_plotext_output_as_rich_does():
    from rich.console import Console
    from rich.text import Text
    from textual_plotext.plot import Plot

    from rnntui.ui.widgets.plots import ansi_strips

    plt = Plot()
    plt.plotsize(40, 12)
    plt.plot([1, 2, 3, 4], [1, 3, 2, 4], color=(100, 200, 50), marker="braille", label="a")
    plt.title("title")
    output = plt.build()
    console = Console()
    for strip, line in zip(ansi_strips(output), Text.from_ansi(output).split("\n"), strict=True):
        ours = [(char, segment.style) for segment in strip for char in segment.text]
        assert ours == [(char, line.get_style_at_offset(console, i)) for i, char in enumerate(line.plain)]


def test_step_columns_grow_with_the_record_and_thinning_keeps_spikes():
    from rnntui.engine.events import StepMetrics
    from rnntui.engine.record import RunRecord
    from rnntui.ui.widgets.scale import thin
    from rnntui.ui.widgets.series import StepColumns

    record = RunRecord(SMOKE.config)
    columns = StepColumns(record)
    for step in range(1, 1001):
        record.apply(StepMetrics(step, step, 1.0 / step, 100.0 if step == 777 else 1.0, 1.0, 10.0))
        if step % 300 == 0:
            columns.update()
    columns.update()
    assert columns["step"].tolist() == list(range(1, 1001))
    assert columns["loss"][9] == 0.1
    xs, ys = thin(columns["step"], columns["grad_norm"], 40)
    assert len(xs) <= 40 and 777 in xs and max(ys) == 100.0


async def test_missing_imdb_data_is_an_error_with_the_loaders_message_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNTUI_IMDB", str(tmp_path / "no-such-archive.tar.gz"))
    imdb = load_preset("imdb-srnn")
    app = make_app(imdb, SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = []
        monkeypatch.setattr(app, "notify", lambda message, **kwargs: notes.append((message, kwargs)))
        await pilot.press("s")
        await finish(pilot, app)
        (message, kwargs), = notes
        assert "no-such-archive.tar.gz" in message and "RNNTUI_IMDB" in message
        assert kwargs["severity"] == "error" and kwargs["title"].endswith("no data")
        assert "no data: RNNTUI_IMDB points to" in state_text(app)
        app.lab.request_preset("smoke")
        await pilot.press("s")
        await finish(pilot, app)
        assert app.runs[-1].record.status == "finished"


async def test_switches_say_on_or_off():
    app = make_app(SMOKE)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.query_one(ExperimentForm)
        state = form.query_one("#state-reverse", Static)
        assert str(state.render()) == "off"
        form.editor("reverse").focus()
        await pilot.press("space")
        await pilot.pause()
        assert form.editor("reverse").value and str(state.render()) == "on" and form.dirty


@pytest.mark.parametrize("width", [24, 37, 60])
async def test_plot_titles_fit_or_are_cut_never_dropped(width, monkeypatch):
    app = make_app(SMOKE)
    async with app.run_test(size=(34 + width, 30)) as pilot:
        plot = app.query_one("#plot-loss", LossPlot)

        def draw(plt, points):
            plot.set_title(plt, "x" * 100, "(never)")
            plt.plot([1, 2], [1, 2])

        monkeypatch.setattr(plot, "draw", draw)
        plot.refresh()
        await pilot.pause()
        title = drawn(plot).splitlines()[0]
        assert "x" * (plot.size.width - 5) + "…" in title and "never" not in title


async def test_a_run_too_big_for_memory_is_refused_with_the_estimate(monkeypatch):
    huge = load_preset("smoke").with_overrides({"n_samples": "10000000", "seq_len": "100000"})
    app = make_app(huge, SMOKE)
    async with app.run_test(size=(100, 30)) as pilot:
        notes = []
        monkeypatch.setattr(app, "notify", lambda message, **kwargs: notes.append((message, kwargs)))
        await pilot.press("s")
        await finish(pilot, app)
        (message, kwargs), = notes
        assert "memory" in message and "TB" in message and "lower n_samples or seq_len" in message
        assert kwargs["severity"] == "error" and kwargs["title"].endswith("refused")
