"""The Runs tab over the store: earlier sessions' runs, pages, opening and comparing them, quitting."""

from __future__ import annotations

from textual.widgets import Static, TabbedContent

from rnntui.engine.config import RunConfig
from rnntui.engine.events import Evaluation, RunFinished, RunStarted, StepMetrics
from rnntui.engine.record import RunRecord
from rnntui.engine.store import RunStore
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.runs import PAGE_SIZE, StoredRunTable
from rnntui.ui.screens.confirm import ConfirmQuit
from rnntui.ui.widgets.plots import LossPlot
from ui_helpers import LONG, SMOKE, wait_until

CONFIG = RunConfig(task="latching", seq_len=5, epochs=1)


def earlier_run(index: int) -> RunRecord:
    """A run of an earlier session: a few steps, one evaluation, finished."""
    record = RunRecord(CONFIG, preset=f"earlier-{index}")
    record.apply(RunStarted(CONFIG, "cpu", total_steps=4, steps_per_epoch=2, metric_name="accuracy",
                            metric_goal="max"))
    for step in range(1, 5):
        record.apply(StepMetrics(step, step / 2, 1.0 / (step + index), 1.0, 1.0, 10.0))
    record.apply(Evaluation(4, 2.0, 0.5, 0.4, {"accuracy": 0.5 + index / 1000}, None))
    record.apply(RunFinished("finished", 4))
    return record


def store_earlier(count: int) -> list[int]:
    with RunStore() as store:
        return store.save([earlier_run(i) for i in range(count)], "test").result()


async def show_runs(pilot, app: RnnTuiApp) -> StoredRunTable:
    app.query_one(TabbedContent).active = "runs"
    table = app.query_one(StoredRunTable)
    await wait_until(pilot, lambda: table.row_count > 0)
    return table


async def test_earlier_sessions_are_listed_a_page_at_a_time():
    ids = store_earlier(PAGE_SIZE + 30)
    app = RnnTuiApp(SMOKE, [SMOKE])
    async with app.run_test(size=(160, 48)) as pilot:
        table = await show_runs(pilot, app)
        assert table.row_count == PAGE_SIZE and table.selected_id == ids[-1]      # newest first
        assert "runs 1–100 of 130" in str(app.query_one("#runs-caption", Static).render())
        table.focus()
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: table.row_count == 30)
        assert "runs 101–130 of 130" in str(app.query_one("#runs-caption", Static).render())
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: table.row_count == PAGE_SIZE)


async def test_columns_fit_their_text_at_160_columns_and_the_overlay_says_how_to_fill_it():
    store_earlier(2)
    app = RnnTuiApp(SMOKE, [SMOKE])
    async with app.run_test(size=(160, 48)) as pilot:
        table = await show_runs(pilot, app)
        await pilot.pause(0.3)
        line = table.render_line(1).text
        assert "finished" in line and "accuracy 0.501" in line, line
        title = str(app.query_one("#compare-loss", LossPlot).render_line(0).text)
        assert "press s to start" not in title and "overlays them" in title


async def test_opening_a_stored_run_redraws_the_live_plots_from_the_store():
    ids = store_earlier(3)
    app = RnnTuiApp(SMOKE, [SMOKE])
    async with app.run_test(size=(160, 48)) as pilot:
        table = await show_runs(pilot, app)
        table.focus()
        table.move_cursor(row=1)                  # the second newest: ids[1]
        await pilot.press("o")
        loss = app.query_one("#plot-loss", LossPlot)
        await wait_until(pilot, lambda: bool(loss.records))
        assert app.query_one(TabbedContent).active == "live"
        (record,) = loss.records
        assert record.preset == "earlier-1" and [s.loss for s in record.steps] == [1 / (s + 1) for s in range(1, 5)]
        assert app.lab.opened == ids[1]


async def test_compare_overlays_a_run_of_this_session_and_one_of_an_earlier_session():
    (earlier,) = store_earlier(1)
    app = RnnTuiApp(SMOKE, [SMOKE])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs and app.runs[0].recorded.is_set())
        await pilot.press("c")
        await pilot.pause()
        assert app.lab.marked == [earlier, app.runs[0].store_id]
        overlay = app.query_one("#compare-loss", LossPlot)
        await wait_until(pilot, lambda: len(overlay.records) == 2)
        assert overlay.records[0].preset == "earlier-0" and overlay.records[1] is app.runs[0].record
        assert overlay.labels == [f"#{earlier}", f"#{app.runs[0].store_id}"]


async def test_q_while_training_asks_and_stop_keeps_the_run():
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs and len(app.runs[0].record.steps) > 5)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmQuit) and app.runs[0].active
        await pilot.press("q")
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, timeout=15)
    store_id = app.runs[0].store_id
    with RunStore() as store:
        summary = store.summary(store_id)
        assert summary.status == "stopped" and summary.reached_step == app.runs[0].record.reached_step
        assert len(store.load(store_id).steps) == len(app.runs[0].record.steps)


async def test_q_without_a_run_training_quits_at_once():
    app = RnnTuiApp(SMOKE, [SMOKE])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, timeout=5)
    assert app.return_code in (0, None)


async def test_a_training_run_shows_its_live_step_in_the_runs_table():
    app = RnnTuiApp(LONG, [LONG])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs and len(app.runs[0].record.steps) > 20)
        await pilot.press("p")
        await wait_until(pilot, lambda: app.runs[0].paused)
        table = await show_runs(pilot, app)
        await pilot.pause(0.3)
        step = app.runs[0].record.reached_step
        line = table.render_line(1).text
        assert "paused" in line and f" {step} " in line, (step, line)


async def test_runs_interrupted_in_an_earlier_session_are_announced_and_listed(temporary_store):
    import sqlite3

    with RunStore() as store:
        recorder = store.recorder("killed", "tui")
        run_id = recorder.begin(CONFIG)
    with sqlite3.connect(temporary_store) as db:          # as if its process had been killed long ago
        db.execute("UPDATE runs SET process_start = '1' WHERE id = ?", (run_id,))
    app = RnnTuiApp(SMOKE, [SMOKE])
    notes = []
    app.notify = lambda message, **kwargs: notes.append(message)
    async with app.run_test(size=(160, 48)) as pilot:
        table = await show_runs(pilot, app)
        await pilot.pause(0.3)
        assert "interrupted" in table.render_line(1).text
    assert any(f"#{run_id}" in note and "interrupted" in note for note in notes)
