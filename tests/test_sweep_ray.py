"""Sweeps on Ray: run for run the local sweep, a killed worker changes nothing, stop keeps what landed.

One local 2-CPU Ray instance serves the whole session (CI installs Ray with the test extra).
"""

import csv
import dataclasses
import logging
import os
import signal
import sys
import threading
import time

import pytest
import ray

from rnntui.cli import build_parser, main
from rnntui.cli.arguments import normalise_argv
from rnntui.cli.sweep import build_spec
from rnntui.engine.config import ConfigError
from rnntui.engine.control import RunControl
from rnntui.engine.presets import load_preset
from rnntui.engine.sweep import SweepFinished, SweepPointResult, SweepSpec, SweepStarted, sweep

E4 = load_preset("latching-srnn").config.replace(n_samples=200, epochs=2)


@pytest.fixture(scope="session")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def assert_cpus_come_back() -> None:
    """Cancelled tasks give their CPUs back to the 2-CPU instance within seconds."""
    deadline = time.monotonic() + 20
    while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ray.available_resources().get("CPU", 0) == 2, "cancelled tasks still hold CPUs"


def by_run(events) -> list[SweepPointResult]:
    return sorted((e for e in events if isinstance(e, SweepPointResult)), key=lambda r: (r.cell, r.value, r.repeat))


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_ray_sweep_equals_the_local_sweep_run_for_run(local_ray, backend):
    spec = SweepSpec(E4, values=(2, 5, 8), cells=("rnn_tanh", "lstm"), repeats=3, backend=backend)
    local = list(sweep(spec))
    remote = list(sweep(dataclasses.replace(spec, ray="")))
    assert isinstance(remote[0], SweepStarted) and remote[0].backend.startswith("Ray on a local Ray instance")
    assert remote[0].total_runs == local[0].total_runs == 18
    assert (remote[0].metric_name, remote[0].metric_goal) == (local[0].metric_name, local[0].metric_goal)
    assert by_run(remote) == by_run(local)      # every field of every run, floats compared exactly
    assert remote[-1] == SweepFinished("finished", 18, remote[-1].elapsed)


def _descendants() -> dict[int, str]:
    """This process's descendants (Ray's local instance and its workers): pid -> command line."""
    parents, commands = {}, {}
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read()
            commands[int(entry)] = open(f"/proc/{entry}/cmdline").read().replace("\0", " ")
        except (OSError, ValueError):
            continue
        parents[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    family, grew = {os.getpid()}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return {pid: commands[pid] for pid in family - {os.getpid()}}


def _kill_the_first_chunk_worker(killed: list[int]) -> None:
    """SIGKILL the first of this session's Ray workers seen training a chunk."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid, command in _descendants().items():
            if command.startswith("ray::train_chunk"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.02)


def test_a_worker_killed_mid_chunk_changes_nothing(local_ray):
    spec = SweepSpec(E4.replace(n_samples=600), values=(30, 40), cells=("lstm",), repeats=2, backend="torch")
    local = by_run(sweep(spec))
    killed: list[int] = []
    hunter = threading.Thread(target=_kill_the_first_chunk_worker, args=(killed,))
    hunter.start()
    remote = list(sweep(dataclasses.replace(spec, ray="")))
    hunter.join()
    assert killed, "no worker was seen training"
    assert by_run(remote) == local              # none lost, none counted twice
    assert remote[-1].status == "finished" and remote[-1].runs_done == 4


def test_stop_cancels_what_has_not_landed_and_keeps_what_has(local_ray):
    spec = SweepSpec(E4, values=(2, 5, 8, 10, 15, 20), cells=("lstm",), repeats=2, backend="torch", ray="")
    control = RunControl()
    events = []
    for event in sweep(spec, control):
        events.append(event)
        if isinstance(event, SweepPointResult):
            control.stop()
    landed = [e for e in events if isinstance(e, SweepPointResult)]
    assert events[-1].status == "stopped" and events[-1].runs_done == len(landed) < 12
    assert_cpus_come_back()


def test_cli_ray_sweep_writes_the_same_csv_and_store(local_ray, tmp_path, capsys):
    args = ["sweep", "latching-srnn", "--lengths", "3,5", "--repeats", "2", "--cells", "rnn_tanh,lstm",
            "--set", "n_samples=64", "epochs=1", "--csv"]
    assert main([*args, str(tmp_path / "local.csv")]) == 0
    capsys.readouterr()
    assert main([*args, str(tmp_path / "ray.csv"), "--ray"]) == 0
    assert "stored 8 runs" in capsys.readouterr().out     # the run store records Ray's runs too
    for suffix in (".csv", ".curve.csv"):      # in the grid's order, whatever order the runs landed in
        assert (tmp_path / f"ray{suffix}").read_text() == (tmp_path / f"local{suffix}").read_text()
    assert len(list(csv.DictReader((tmp_path / "ray.csv").open()))) == 8


def test_without_ray_the_flag_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)       # import ray now raises ImportError
    assert main(["sweep", "latching-srnn", "--lengths", "3", "--repeats", "1", "--ray"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'rnntui[ray]'" in error


@pytest.mark.parametrize("argv, ray, preset", [
    (["--ray", "latching-srnn"], "", "latching-srnn"),            # the preset after a bare --ray
    (["--ray", "auto", "latching-srnn"], "auto", "latching-srnn"),
    (["latching-srnn", "--ray", "head:6379"], "head:6379", "latching-srnn"),
    (["latching-srnn", "--ray", "ray://head:10001"], "ray://head:10001", "latching-srnn"),
])
def test_ray_takes_an_address_or_nothing(argv, ray, preset):
    parser = build_parser()
    args = parser.parse_args(normalise_argv(parser, ["sweep", *argv]))
    assert (args.ray, args.preset) == (ray, preset)


def spec_for(*argv: str, preset: str = "latching-srnn") -> SweepSpec:
    return build_spec(build_parser().parse_args(["sweep", preset, "--lengths", "3", *argv]))


def test_the_address_comes_from_the_flag_then_set_then_the_preset(tmp_path):
    path = tmp_path / "clustered.toml"
    text = load_preset("latching-srnn").path.read_text()
    path.write_text(text + '\n[sweep]\nray = "auto"\n')
    assert spec_for().ray is None
    assert spec_for(preset=str(path)).ray == "auto"
    assert spec_for("--set", "sweep.ray=ray://head:10001", preset=str(path)).ray == "ray://head:10001"
    assert spec_for("--set", "sweep.ray=auto", "--ray", preset=str(path)).ray == ""
    assert spec_for("--ray", "head:6379").ray == "head:6379"
    for bad, named in ((["--ray", "http://x"], "ray"), (["--set", "sweep.ray=no such"], "sweep.ray"),
                       (["--set", "sweep.nodes=3"], "sweep.nodes")):
        with pytest.raises(ConfigError, match=named):
            spec_for(*bad)
    assert main(["sweep", "latching-srnn", "--set", "sweep.ray=no such", "--lengths", "3"]) == 2
    path.write_text(text + '\n[sweep]\nray = 5\n')
    with pytest.raises(ConfigError, match="sweep.ray"):
        load_preset(str(path))


async def test_x_in_the_sweep_screen_cancels_the_ray_tasks(local_ray):
    from test_sweep_ui import Host, wait_for

    spec = SweepSpec(E4, values=(2, 5, 8, 10, 15, 20, 25, 30), cells=("lstm",), repeats=2, backend="torch", ray="")
    app = Host(spec)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.results, tries=2000)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.outcome is not None, tries=500)
        assert screen.outcome.status == "stopped" and screen.outcome.runs_done == len(screen.results) < 16
    assert_cpus_come_back()


def test_a_preset_with_a_sweep_table_opens_the_sweep_screen_on_ray():
    from rnntui.ui.sweep import default_spec

    assert default_spec(E4, "latching-srnn", ray="auto").ray == "auto"
    assert default_spec(E4, "latching-srnn").ray is None


def test_an_unreachable_cluster_is_one_line_and_exit_2(monkeypatch, capsys):
    def refuse(**options):
        raise ConnectionError(f"Could not find any running Ray instance at {options['address']}.\nStart one.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    assert main(["sweep", "latching-srnn", "--lengths", "3", "--repeats", "1", "--ray", "auto"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot reach a Ray cluster at 'auto'" in error


def test_chunks_hold_whole_values_and_never_split_a_population():
    from rnntui.engine.sweep.remote import MAX_RUNS_PER_TASK, chunks

    e4 = [len(chunk) for chunk in chunks(SweepSpec(E4))]
    assert e4 == [60] * 25
    spec = SweepSpec(E4, values=(5, 9), cells=("rnn_tanh", "lstm", "gru", "rnn_relu"), repeats=100)
    made = list(chunks(spec))
    assert [len(chunk) for chunk in made] == [300, 100, 300, 100] and 300 > MAX_RUNS_PER_TASK
    for chunk in made:
        assert len({run.value for run in chunk}) == 1
        assert all(sum(r.cell == cell for r in chunk) in (0, 100) for cell in spec.cells)
