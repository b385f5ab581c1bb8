"""``rnntui run``: train one preset headless, in a plain terminal, over SSH or in CI.

A rich progress bar on a TTY, plain periodic lines otherwise (logs stay
readable). Every run is recorded in the run store as it trains. Ctrl+C,
SIGTERM and SIGHUP stop it as :mod:`.signals` says, and what ran is still
recorded and exported.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..engine.analysis.verdict import verdict
from ..engine.config import ConfigError
from ..engine.control import RunControl
from ..engine.events import Evaluation, Event, RunFinished, RunStarted, StepMetrics
from ..engine.export import ExportError, choose_path, export_run, timesteps_path
from ..engine.files import TargetRefused, check_targets, deferred_signals
from ..engine.presets import Preset, load_preset, parse_overrides
from ..engine.record import RunRecord
from ..engine.store import RunStore, StoreError
from ..formatting import format_duration
from .signals import Stopper

# Exit code per final status; bad input (2) is the CLI's, raised here as ConfigError.
EXIT_CODES = {"finished": 0, "diverged": 1, "stopped": 130}
EXIT_WRITE_FAILED = 3
LINE_EVERY_SECONDS = 2.0
BAR_EVERY_SECONDS = 0.1


def _metric_text(evaluation: Evaluation | None, name: str) -> str:
    if evaluation is None or name not in evaluation.metrics:
        return f"val {name} -"
    return f"val {name} {evaluation.metrics[name]:.4g}"


class _Reporter:
    """Plain progress lines: every few seconds and at every tenth of the run."""

    def __init__(self, console: Console, record: RunRecord):
        self.console = console
        self.record = record
        self.last_shown = time.monotonic()
        self.last_tenth = 0

    def step(self, event: StepMetrics) -> None:
        total = max(self.record.total_steps, 1)
        tenth = event.step * 10 // total
        now = time.monotonic()
        if tenth > self.last_tenth or now - self.last_shown >= LINE_EVERY_SECONDS:
            self.last_tenth, self.last_shown = tenth, now
            rate = event.steps_per_second   # the trainer's rate, paused time excluded
            eta = format_duration((total - event.step) / rate) if rate else "-"
            self.console.print(
                f"step {event.step}/{total} ({100 * event.step // total}%)  loss {event.loss:.4g}  "
                f"{_metric_text(self.record.final_evaluation, self.record.metric_name)}  "
                f"{rate:.1f} it/s  ETA {eta}", highlight=False, markup=False)

    def close(self) -> None:
        """Nothing to tear down for plain lines."""


class _BarReporter(_Reporter):
    """A rich progress bar with loss, metric, it/s and ETA, redrawn ~10 times a second."""

    def __init__(self, console: Console, record: RunRecord):
        super().__init__(console, record)
        self.progress = Progress(
            BarColumn(bar_width=None), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[metric]}"),
            TextColumn("{task.fields[rate]} it/s"), TimeRemainingColumn(),
            console=console, transient=False)
        self.task = self.progress.add_task(record.preset, total=record.total_steps, loss="-",
                                           metric=_metric_text(None, record.metric_name), rate="-")
        self.progress.start()

    def step(self, event: StepMetrics) -> None:
        now = time.monotonic()
        if now - self.last_shown >= BAR_EVERY_SECONDS:
            self.last_shown = now
            self._draw(event)

    def _draw(self, event: StepMetrics) -> None:
        self.progress.update(self.task, completed=event.step, loss=f"{event.loss:.4g}",
                             metric=_metric_text(self.record.final_evaluation, self.record.metric_name),
                             rate=f"{event.steps_per_second:.1f}")

    def close(self) -> None:
        """Draw the final state (the last evaluation arrives after the last step), then stop."""
        if self.record.steps:
            self._draw(self.record.steps[-1])
        self.progress.stop()


def _start(events: Iterator[Event]) -> RunStarted:
    """The first event; set-up failures (bad device, bad task sizes) become ConfigError."""
    try:
        first = next(events)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError({"config": str(exc)}) from None
    if not isinstance(first, RunStarted):
        raise RuntimeError(f"trainer began with {type(first).__name__}, not RunStarted")
    return first


def _summary(record: RunRecord, seconds: float) -> str:
    """The outcome line, then the verdict's sentences one per line."""
    final = record.final_evaluation
    metrics = ", ".join(f"{name} {value:.4g}" for name, value in final.metrics.items()) if final else ""
    outcome = "DIVERGED" if record.status == "diverged" else record.status
    line = f"{outcome} at step {record.finished_step or record.last_step}/{record.total_steps}"
    line += f" in {format_duration(seconds)}"
    if record.reason:
        line += f" ({record.reason})"
    if final is not None:
        line += f"; last validation at step {final.step}: {metrics}"
        if final.success is not None:
            line += f"; success: {'yes' if final.success else 'no'}"
    return line + "".join(f"\n  - {sentence}" for sentence in verdict(record))


def check_csv_target(csv: str | None, companion: Callable[[Path], Path], *, force: bool,
                     protect: tuple[Path, ...]) -> None:
    """Refuse a ``--csv`` file before any work: it or its companion (``companion(path)``) exists
    (without --force), is not a regular file, is the preset or the store, or has a name too long.
    A directory is checked at export."""
    if not csv or csv.endswith(("/", os.sep)) or Path(csv).expanduser().is_dir():
        return
    path = Path(csv).expanduser()
    try:
        check_targets((path, companion(path)), force=force, protect=protect)
    except TargetRefused as exc:
        raise ConfigError({"--csv": str(exc)}) from None


def run_headless(preset: Preset, csv: str | None = None, *, force: bool = False,
                 console: Console | None = None, store: RunStore | None = None) -> int:
    """Train ``preset`` to the end (or a stop signal), record it in the store, export the CSVs,
    return the exit code. ``csv`` is ``--csv`` as typed (a trailing ``/`` means a directory)."""
    from ..engine.training import train   # torch loads here, not at `rnntui --help`

    console = console or Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    store = store or RunStore()          # opened first: a store it cannot use stops here, before training
    protect = tuple(path for path in (preset.path, store.path) if path is not None)
    check_csv_target(csv, timesteps_path, force=force, protect=protect)
    control = RunControl()
    stopper = Stopper(control)
    record = RunRecord(preset.config, preset=preset.name)
    recorder = store.recorder(preset.name, "run")
    started = time.monotonic()
    with stopper.installed():
        try:
            _train(train(preset.config, control), record, recorder, console, store, stopper)
            console.print(_summary(record, time.monotonic() - started), markup=False)
            written = _keep(record, recorder, store, choose_path(csv, preset.name, recorder.run_id),
                            force, protect, console, errors)
        except KeyboardInterrupt:
            errors.print(f"rnntui: the CSV files were abandoned; run {recorder.run_id} is in the store "
                         f"({store.path})", markup=False)
            written = True
        finally:
            with deferred_signals():
                store.close()            # waits for the last commits
    return stopper.exit_code(EXIT_CODES[record.status]) if written else EXIT_WRITE_FAILED


def _train(events: Iterator[Event], record: RunRecord, recorder, console: Console, store: RunStore,
           stopper: Stopper) -> None:
    """Feed the run's events to the record, the store and the progress display; a second stop
    signal ends training at once, and the run is still marked stopped in both."""
    reporter: _Reporter | None = None
    try:
        first = _start(events)
        for sink in (record, recorder):
            sink.apply(first)
        console.print(f"rnntui: {record.preset} on {record.device}: {record.total_steps} steps, "
                      f"run {recorder.run_id} in {store.path}", markup=False)
        reporter = (_BarReporter if console.is_terminal else _Reporter)(console, record)
        for event in events:
            record.apply(event)
            recorder.apply(event)
            if isinstance(event, StepMetrics):
                reporter.step(event)
    except KeyboardInterrupt:
        events.close()
    finally:
        stopper.writing = True           # from here a second press is noted, a third abandons the CSV
        with deferred_signals():         # and none keeps the end of the run from the store
            if reporter is not None:
                reporter.close()
            if not record.ended:
                ending = RunFinished("stopped", record.last_step, "interrupted")
                record.apply(ending)
                recorder.apply(ending)


def _keep(record: RunRecord, recorder, store: RunStore, path: Path, force: bool, protect: tuple[Path, ...],
          console: Console, errors: Console) -> bool:
    """Wait for the store, then write the CSV pair from it; False when nothing could be written."""
    try:
        recorder.wait()
        if recorder.run_id is not None:
            record = store.load(recorder.run_id)    # the CSV is a view of what was stored
    except StoreError as exc:
        errors.print(f"rnntui: {exc}; the CSV is written from memory", markup=False)
    try:
        result = export_run(record, path, force=force, protect=protect)
    except ExportError as exc:
        errors.print(f"rnntui: {exc}", markup=False)
        return False
    (errors if result.fallback_used else console).print(f"CSV: {result.message}", markup=False)
    return True


def stored_preset(run_id: int, store: RunStore | None = None) -> Preset:
    """A stored run as a preset: its name, its exact config (seed included)."""
    store = store or RunStore()
    try:
        record = store.load(run_id)
    except KeyError:
        raise ConfigError({"--from": f"no run {run_id} in {store.path} (rnntui runs list shows them)"}) from None
    return Preset(record.preset, f"rerun of run {run_id}", "", "", "", record.config)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="train a preset headless (progress, summary, CSV)",
                                   description="Train a preset without the TUI and export a CSV. "
                                               "Exit codes: 0 finished, 1 diverged, 2 bad input, "
                                               "3 results could not be written anywhere, "
                                               "130/143/129 stopped by Ctrl+C/SIGTERM/SIGHUP.")
    parser.add_argument("preset", metavar="PRESET_OR_PATH", nargs="?",
                        help="a shipped preset name or a .toml file")
    parser.add_argument("--from", dest="from_run", type=int, metavar="ID",
                        help="train a stored run again: its config and seed (rnntui runs list shows the ids)")
    parser.add_argument("--set", dest="overrides", action="extend", nargs="+", default=[],
                        metavar="KEY=VALUE", help="override config fields, e.g. --set lr=0.01 cell=gru")
    parser.add_argument("--csv", metavar="PATH",
                        help="where to write the run summary (default runs/<time>-<preset>-<run>.csv; "
                             "PATH/ means a directory); the gradient profile goes beside it as "
                             "<name>.timesteps.csv")
    parser.add_argument("--force", action="store_true", help="replace --csv files that exist")


def run(args: argparse.Namespace) -> int:
    if (args.preset is None) == (args.from_run is None):
        raise ConfigError({"run": "give a preset or --from ID, not both" if args.preset
                           else "give a preset (rnntui presets lists them) or --from ID"})
    preset = load_preset(args.preset) if args.preset else stored_preset(args.from_run)
    overrides = parse_overrides(args.overrides)
    if args.device:
        overrides["device"] = args.device
    if overrides:
        preset = preset.with_overrides(overrides)
    return run_headless(preset, args.csv, force=args.force)
