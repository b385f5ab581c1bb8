"""Training in a child process: the same events as in-process, control that reaches it,
errors that keep their kind, weights for the inspector, and no child outliving its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
import torch

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.events import RunFinished, StepMetrics
from rnntui.engine.process import ProcessTrainer
from rnntui.engine.training import Trainer

SMALL = RunConfig(task="latching", seq_len=6, n_samples=64, epochs=3, hidden_size=4, probe_every=5,
                  device="cpu")
LONG = SMALL.replace(epochs=100_000)


def comparable(events):
    """Events with the wall-clock rate (the only thing two equal runs may differ in) taken out."""
    return [replace(e, steps_per_second=0.0) if isinstance(e, StepMetrics) else e for e in events]


def test_the_child_yields_exactly_the_events_of_an_in_process_run():
    here = list(Trainer(SMALL).run())
    there = list(ProcessTrainer(SMALL).run(RunControl()))
    assert isinstance(there[-1], RunFinished) and there[-1].status == "finished"
    assert comparable(there) == comparable(here)


def test_pause_step_and_stop_reach_the_child_in_order():
    control = RunControl()
    control.pause()
    control.step_once()          # before the child exists: it must still take exactly this one step
    steps: list[int] = []
    for event in ProcessTrainer(LONG).run(control):
        if isinstance(event, StepMetrics):
            steps.append(event.step)
            if event.step == 1:
                time.sleep(0.5)                  # paused: no further step may come meanwhile
                control.step_once()
            elif event.step == 2:
                control.stop()
        if isinstance(event, RunFinished):
            finished = event
    assert steps == [1, 2] and finished.status == "stopped"


def test_a_refusal_crosses_as_the_same_error_with_its_message():
    huge = SMALL.replace(n_samples=10_000_000, seq_len=100_000)
    with pytest.raises(ConfigError, match="lower n_samples or seq_len"):
        list(ProcessTrainer(huge).run(RunControl()))


def test_weights_come_back_paused_and_at_the_end_equal_to_the_childs_model():
    trainer, control = ProcessTrainer(LONG), RunControl()
    copies = {}

    def consume():
        for event in trainer.run(control):
            if isinstance(event, StepMetrics) and event.step == 30:
                control.pause()

    reader = threading.Thread(target=consume)
    reader.start()
    deadline = time.monotonic() + 30
    while "paused" not in copies:
        assert time.monotonic() < deadline, "the paused child never sent its weights"
        model = trainer.model_copy(ended=False) if control.paused else None
        if model is not None:
            copies["paused"] = model
        time.sleep(0.05)
    control.stop()
    reader.join(30)
    final = trainer.model_copy(ended=True)
    # A pause came after step 30 was taken; stopping takes no further step: the two copies agree.
    for (name, a), (_, b) in zip(copies["paused"].state_dict().items(), final.state_dict().items()):
        assert torch.equal(a, b), name
    untrained = Trainer(LONG).model.state_dict()
    assert any(not torch.equal(final.state_dict()[k], untrained[k]) for k in untrained)


CHILD_OF_A_KILLED_PARENT = """
import sys, time
from rnntui.engine.config import RunConfig
from rnntui.engine.control import RunControl
from rnntui.engine.process import ProcessTrainer
config = RunConfig(task="latching", seq_len=6, n_samples=64, epochs=100_000, hidden_size=4, device="cpu")
if __name__ == "__main__":
    trainer = ProcessTrainer(config)
    events = trainer.run(RunControl())
    next(events)
    print(trainer._process.pid, flush=True)
    for _ in events:
        pass
"""


def test_a_child_stops_when_its_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(CHILD_OF_A_KILLED_PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while alive(child):
        assert time.monotonic() < deadline, "the training child outlived its killed parent"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] if os.path.exists(f"/proc/{pid}") else "X"
    return state not in ("Z", "X")
