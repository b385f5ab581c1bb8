"""One key for a contrast, and the live verdict on the Why tab (Pilot, the real engine on tiny presets)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import TabbedContent

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.contrast import find_partner, partner_config
from rnntui.ui.app import RnnTuiApp
from rnntui.ui.commands import RnnCommands
from rnntui.ui.widgets.plots import LossPlot
from rnntui.ui.widgets.why import VerdictView

from ui_helpers import LONG, SMOKE, preset, wait_until

# A pair in the style of explode-noclip / explode-clip: the same tiny tanh RNN, clipped or not.
BASE = RunConfig(task="adding", seq_len=6, cell="rnn_tanh", hidden_size=3, iterations=60, probe_every=5,
                 optimizer="sgd", lr=0.5, device="cpu")
NOCLIP = replace(preset("pair-noclip", BASE), contrast="pair-clip")
CLIP = replace(preset("pair-clip", BASE.replace(clip="global_norm", clip_threshold=0.1)), contrast="pair-noclip")
LONG_PAIR = replace(LONG, contrast="long-partner")
LONG_PARTNER = replace(preset("long-partner", LONG.config.replace(cell="rnn_tanh")), contrast="long")


def make_app(*presets) -> RnnTuiApp:
    return RnnTuiApp(presets[0], list(presets))


def verdict_shown(app: RnnTuiApp) -> str:
    return app.query_one(VerdictView).plain


async def test_v_trains_both_and_overlays_them_in_runs():
    app = make_app(NOCLIP, CLIP)
    async with app.run_test(size=(120, 40)) as pilot:
        app.lab.form.editor("iterations").value = "40"     # an edit to a shared field carries over
        await pilot.pause()
        await pilot.press("v")
        await wait_until(pilot, lambda: len(app.runs) == 2 and all(run.record.ended for run in app.runs), 60)
        await pilot.pause(0.3)
        first, second = app.runs
        assert (first.record.preset, second.record.preset) == ("pair-noclip", "pair-clip")
        assert (first.record.status, second.record.status) == ("finished", "finished")
        assert first.record.config.iterations == second.record.config.iterations == 40
        assert (first.record.config.clip, second.record.config.clip) == ("none", "global_norm")
        assert (first.partner, second.partner) == (2, 1)
        assert app.query_one(TabbedContent).active == "runs" and app.lab.marked == [1, 2]
        overlay = app.query_one("#compare-loss", LossPlot)
        assert overlay.records == [first.record, second.record] and overlay.labels == ["#1", "#2"]
        assert first.record.last_step == second.record.last_step == 40


async def test_the_why_tab_interprets_both_runs_of_a_contrast():
    app = make_app(NOCLIP, CLIP)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "why"
        await pilot.pause(0.3)
        assert "press v to train it beside its partner pair-clip" in verdict_shown(app).lower()
        await pilot.press("v")
        await wait_until(pilot, lambda: len(app.runs) == 2 and all(run.record.ended for run in app.runs), 60)
        app.query_one(TabbedContent).active = "why"
        await wait_until(pilot, lambda: "(finished)" in verdict_shown(app).split("What run #2")[-1])
        shown = verdict_shown(app)
        assert "What run #1 pair-noclip shows (finished)" in shown
        assert "What run #2 pair-clip shows (finished)" in shown
        clip_part = shown.split("What run #2")[1]
        assert "clipping at 0.1 was active on" in clip_part and "clipping" not in shown.split("What run #2")[0]
        assert "gradient reaching t = 1" in shown and "baseline 0.167" in shown


async def test_the_verdict_follows_the_run_while_it_trains():
    app = make_app(LONG)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        app.query_one(TabbedContent).active = "why"
        await wait_until(pilot, lambda: "(running)" in verdict_shown(app) and "gradient reaching" in verdict_shown(app))
        early = verdict_shown(app)
        await wait_until(pilot, lambda: verdict_shown(app) != early)   # the sentences move with the run
        await pilot.press("x")
        await wait_until(pilot, lambda: "(stopped)" in verdict_shown(app))


async def test_a_preset_without_a_partner_says_so_and_trains_nothing():
    app = make_app(SMOKE, NOCLIP, CLIP)
    notes = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.notify = lambda message, **kwargs: notes.append(message)
        await pilot.press("v")
        await pilot.pause()
        assert app.runs == [] and "smoke has no partner preset" in notes[-1] and "pair-noclip" in notes[-1]


async def test_x_stops_both_runs_of_a_contrast_and_v_waits_for_them():
    app = make_app(LONG_PAIR, LONG_PARTNER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_until(pilot, lambda: len(app.runs) == 2 and all(run.record.last_step > 0 for run in app.runs))
        await pilot.press("v")                               # refused: a contrast is still going
        await pilot.press("p")
        await wait_until(pilot, lambda: all(run.paused for run in app.runs))
        await pilot.press("x")
        await wait_until(pilot, lambda: all(run.record.status == "stopped" for run in app.runs))
        assert len(app.runs) == 2


async def test_the_palette_offers_the_contrast():
    app = make_app(NOCLIP, CLIP)
    async with app.run_test(size=(100, 30)) as pilot:
        entries = {name: callback for name, callback, _ in RnnCommands(app.screen).commands()}
        entries["Contrast with the partner preset"]()
        await wait_until(pilot, lambda: len(app.runs) == 2 and all(run.record.ended for run in app.runs), 60)


# -- the pairing itself (engine) --------------------------------------------------------------


def test_edits_carry_over_where_the_presets_agree_and_the_contrast_stays():
    edited = NOCLIP.config.replace(iterations=7, seed=3, clip="value")
    config = partner_config(NOCLIP, edited, CLIP)
    assert (config.iterations, config.seed) == (7, 3)
    assert (config.clip, config.clip_threshold) == ("global_norm", 0.1)   # the partner's own difference


def test_an_edit_that_does_not_fit_the_partner_is_a_config_error():
    lstm = replace(preset("lstm", BASE.replace(cell="lstm")), contrast="tanh")
    tanh = preset("tanh", BASE)
    with pytest.raises(ConfigError, match="gate_activation"):
        partner_config(lstm, lstm.config.replace(gate_activation="hard_sigmoid"), tanh)


def test_the_partner_is_found_by_name_among_the_presets_or_shipped():
    assert find_partner(NOCLIP, [NOCLIP, CLIP]) is CLIP
    assert find_partner(SMOKE, [SMOKE]) is None
    assert find_partner(replace(SMOKE, contrast="smoke"), []).name == "smoke"   # a shipped preset
    assert find_partner(replace(SMOKE, contrast="no-such-preset"), []) is None


def test_a_partner_file_beside_the_presets_own_is_found(tmp_path):
    (tmp_path / "mine.toml").write_text('name = "mine"\ndescription = "d"\ncontrast = "theirs"\n[config]\ncell = "gru"\n')
    (tmp_path / "theirs.toml").write_text('name = "theirs"\ndescription = "d"\ncontrast = "mine"\n[config]\n')
    from rnntui.engine.presets import load_preset

    partner = find_partner(load_preset(str(tmp_path / "mine.toml")), [])
    assert partner is not None and partner.name == "theirs" and partner.config.cell == "lstm"


async def test_a_preset_file_named_like_a_shipped_preset_is_the_one_loaded():
    mine = replace(SMOKE, description="my own smoke", contrast="pair-clip")
    app = RnnTuiApp(mine, [SMOKE, CLIP])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        assert app.preset is mine and [p.name for p in app.presets] == ["smoke", "pair-clip"]
        assert app.presets[0] is mine
