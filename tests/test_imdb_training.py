"""E2 end to end on the real labelled IMDB archive: a short run of the documented model."""

import os
from pathlib import Path

import pytest

from rnntui.engine.events import Evaluation, ProbeResult, RunFinished, StepMetrics
from rnntui.engine.presets import load_preset
from rnntui.engine.training import train

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aclImdb_labelled.tar.gz"

pytestmark = pytest.mark.slow


@pytest.fixture
def real_imdb(monkeypatch):
    source = os.environ.get("RNNTUI_IMDB") or (str(ARCHIVE) if ARCHIVE.is_file() else None)
    if source is None:
        pytest.skip(f"the labelled IMDB archive is not at {ARCHIVE} and RNNTUI_IMDB is unset")
    monkeypatch.setenv("RNNTUI_IMDB", source)


@pytest.mark.parametrize("preset", ["imdb-lstm", "imdb-srnn-clip"])
def test_short_run_of_the_documented_model_learns(real_imdb, preset):
    config = load_preset(preset).config.replace(n_samples=3840, epochs=2, probe_every=10)
    events = list(train(config))
    assert events[-1] == RunFinished("finished", events[-1].step)
    steps = [e for e in events if isinstance(e, StepMetrics)]
    assert len(steps) == 2 * (3840 // 128)              # the last partial batch is dropped
    probes = [e for e in events if isinstance(e, ProbeResult)]
    assert all(len(p.grad_per_timestep) == 80 for p in probes)
    assert set(probes[0].layer_norms) == {"embedding", "layer1", "layer2", "readout"}
    evaluations = [e for e in events if isinstance(e, Evaluation)]
    assert len(evaluations) == 2
    # Better than chance on held-out reviews after two short epochs of the real data.
    assert evaluations[-1].metrics["accuracy"] > 0.55
    if config.clip != "none":
        assert all(s.clipped_norm <= s.grad_norm + 1e-6 for s in steps)
