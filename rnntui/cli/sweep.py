"""``rnntui sweep``: success vs sequence length (or another setting) over many seeds.

A rich progress bar on a TTY, plain lines otherwise; a summary table; the
per-run CSV and the curve CSV beside it. The first Ctrl+C stops after the
current chunk and still exports what finished. Torch loads inside
:func:`run` only, so ``rnntui --help`` stays instant.
"""

from __future__ import annotations

import argparse
import time

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from ..engine.config import CELLS, SPLITS, ConfigError, parse_value
from ..engine.presets import load_preset, parse_overrides
from ..engine.sweep import BACKENDS, DEFAULT_GRIDS, LATCHING_REPEATS, SWEEPABLE_FIELDS, sweep_settings
from ..formatting import format_duration
from .arguments import comma_list
from .signals import Stopper

EXIT_FINISHED, EXIT_DIVERGED, EXIT_WRITE_FAILED, EXIT_INTERRUPTED = 0, 1, 3, 130
LINE_EVERY_SECONDS = 2.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep", help="train a preset over a grid x cells x seeds; success rate vs sequence length",
        description="Train every (cell, value, repeat) of a grid as an exact copy of `rnntui run` with "
                    "that setting and seed (seed = the preset's seed + repeat), batched into one "
                    "computation. Latching presets default to E4's grid (T = 2 ... 200, SimpleRNN vs "
                    "LSTM, 30 repeats). Exit codes: 0 finished, 1 finished with diverged runs, "
                    "2 bad input, 3 results could not be written anywhere, 130/143/129 stopped by "
                    "Ctrl+C/SIGTERM/SIGHUP.")
    parser.add_argument("preset", metavar="PRESET_OR_PATH", help="a shipped preset name or a .toml file")
    grid = parser.add_mutually_exclusive_group()
    grid.add_argument("--lengths", type=comma_list, metavar="T,T,...", help="sequence lengths to sweep (field seq_len)")
    grid.add_argument("--field", choices=SWEEPABLE_FIELDS, help="the config field to sweep (with --values)")
    parser.add_argument("--values", type=comma_list, metavar="V,V,...", help="the values of --field")
    parser.add_argument("--repeats", type=int, default=LATCHING_REPEATS, metavar="N",
                        help=f"fresh initialisations per point (default {LATCHING_REPEATS})")
    parser.add_argument("--cells", type=comma_list, metavar="CELL,...",
                        help=f"cells to compare, from {', '.join(CELLS)} (default: the study's, else the preset's)")
    parser.add_argument("--split", choices=SPLITS, help="validation split (keras_tail: the original quirk)")
    parser.add_argument("--set", dest="overrides", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override config fields, e.g. --set epochs=10 forget_bias=1")
    parser.add_argument("--csv", metavar="PATH",
                        help="per-run CSV (default runs/<time>-<preset>-sweep.csv; PATH/ means a directory); "
                             "the curve goes beside it as <name>.curve.csv")
    parser.add_argument("--force", action="store_true", help="replace --csv files that exist")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="kernel: the compiled one-unit kernel only; torch: PyTorch populations")
    parser.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="run the populations as Ray tasks: auto (this machine's cluster), ray://HOST:PORT, "
                             "or nothing for a local Ray instance (also --set sweep.ray=ADDRESS or a preset's "
                             "[sweep] table); needs pip install 'rnntui[ray]'")


def build_spec(args: argparse.Namespace):
    """The sweep the arguments ask for; every problem is a ConfigError naming the option."""
    from ..engine.sweep import SweepSpec

    preset = load_preset(args.preset)
    overrides = parse_overrides(args.overrides)
    settings = {**preset.sweep, **sweep_settings({key.removeprefix("sweep."): overrides.pop(key)
                                                  for key in list(overrides) if key.startswith("sweep.")}, "--set")}
    if args.ray is not None:
        settings.update(sweep_settings({"ray": args.ray}, "--ray"))
    if args.split:
        overrides["split"] = args.split
    if args.device:
        overrides["device"] = args.device
    config = preset.with_overrides(overrides).config if overrides else preset.config
    study_values, study_cells = DEFAULT_GRIDS.get(config.task, (None, (config.cell,)))
    if args.values and not args.field:
        raise ConfigError({"--values": "needs --field (or use --lengths)"})
    field = args.field or "seq_len"
    if args.lengths or args.values:
        values = tuple(parse_value(field, text) for text in args.lengths or args.values)
    elif args.field or study_values is None:
        raise ConfigError({"--values" if args.field else "--lengths":
                           f"give the grid to sweep: {preset.name} has no default grid"})
    else:
        values = study_values
    cells = tuple(args.cells) if args.cells else study_cells
    return SweepSpec(config, field=field, values=values, cells=cells, repeats=args.repeats, preset=preset.name,
                     backend=args.backend, threads=args.threads or 0, ray=settings.get("ray"))


class _Progress:
    """A progress bar on a terminal, a plain line every few seconds elsewhere."""

    def __init__(self, console: Console):
        self.console = console
        self.last_line = 0.0
        self.bar = None
        if console.is_terminal:
            self.bar = Progress(TextColumn("[bold]sweep"), BarColumn(), TextColumn("{task.fields[runs]}"),
                                TextColumn("ETA {task.fields[eta]}"), console=console)
            self.task = self.bar.add_task("sweep", total=1.0, runs="", eta="-")
            self.bar.start()

    def update(self, event) -> None:
        runs = f"{event.runs_done}/{event.total_runs} runs"
        eta = format_duration(event.eta)
        if self.bar is not None:
            self.bar.update(self.task, completed=event.fraction, runs=runs, eta=eta)
        elif time.monotonic() - self.last_line >= LINE_EVERY_SECONDS or event.fraction >= 1.0:
            self.last_line = time.monotonic()
            self.console.print(f"{100 * event.fraction:5.1f}%  {runs}  elapsed "
                               f"{format_duration(event.elapsed)}  ETA {eta}", markup=False, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def summary_table(points, field: str, cells: tuple[str, ...], metric: str):
    """Rows per value, per cell ``mean ± std`` of the metric and the success rate."""
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, title=f"final validation {metric}: mean ± std (success)")
    table.add_column(field, justify="right")
    for cell in cells:
        table.add_column(cell, justify="right")
    by_key = {(p.cell, p.value): p for p in points}
    for value in dict.fromkeys(p.value for p in points):
        row = [f"{value:g}" if isinstance(value, float) else str(value)]
        for cell in cells:
            p = by_key.get((cell, value))
            if p is None:
                row.append("")
                continue
            text = f"{p.mean:.3f} ± {p.std:.3f}"
            if p.success_fraction is not None:
                text += f" ({100 * p.success_fraction:.0f}%)"
            if p.diverged:
                text += f" [{p.diverged} diverged]"
            row.append(text)
        table.add_row(*row)
    return table


def run(args: argparse.Namespace) -> int:
    from ..engine.control import RunControl
    from ..engine.files import deferred_signals
    from ..engine.store import RunStore
    from ..engine.sweep import (SweepFinished, SweepPointResult, SweepProgress, SweepRecorder, SweepStarted,
                                curve_path, sweep)
    from .run import check_csv_target

    spec = build_spec(args)
    store = RunStore()
    check_csv_target(args.csv, curve_path, force=args.force, protect=(store.path,))
    keeper = None
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    control = RunControl()
    stopper = Stopper(control)
    results: list[SweepPointResult] = []
    started: SweepStarted | None = None
    finished: SweepFinished | None = None
    progress: _Progress | None = None
    with stopper.installed():
        events = sweep(spec, control)
        try:
            try:
                started = next(events)
            except ConfigError:
                raise
            except ValueError as exc:            # task set-up problems (sizes), not a crash
                raise ConfigError({"config": str(exc)}) from None
            console.print(f"rnntui: sweep {spec.preset}: {spec.field} over {len(spec.values)} values x "
                          f"{len(spec.cells)} cells x {spec.repeats} repeats = {started.total_runs} runs; "
                          f"{started.backend}", markup=False)
            progress = _Progress(console)
            keeper = SweepRecorder(store, started, "sweep")
            for event in events:
                if isinstance(event, SweepPointResult):
                    results.append(event)
                    keeper.add(event)
                elif isinstance(event, SweepProgress):
                    progress.update(event)
                elif isinstance(event, SweepFinished):
                    finished = event
        except KeyboardInterrupt:
            events.close()
        finally:
            stopper.writing = True       # from here a second press is noted, a third abandons the CSV
            if progress is not None:
                progress.close()
        try:
            written = _keep(args, spec, store, keeper, started, finished, results, console, errors)
        except KeyboardInterrupt:
            errors.print("rnntui: the CSV files were abandoned; the finished runs are in the store", markup=False)
            written = True
        finally:
            with deferred_signals():
                store.close()
    if not written:
        return EXIT_WRITE_FAILED
    if finished is None or finished.status != "finished":
        return stopper.exit_code(EXIT_INTERRUPTED)
    return stopper.exit_code(EXIT_DIVERGED if any(r.status == "diverged" for r in results) else EXIT_FINISHED)


def _keep(args, spec, store, keeper, started, finished, results, console: Console, errors: Console) -> bool:
    """Commit the runs to the store, print the summary, write the CSV pair; False if it went nowhere."""
    from ..engine.export import ExportError, choose_path
    from ..engine.store import StoreError
    from ..engine.sweep import aggregate, export_sweep

    if keeper is not None:
        try:
            ids = keeper.finish()
        except StoreError as exc:
            errors.print(f"rnntui: {exc}", markup=False)
        else:
            if ids:
                console.print(f"stored {len(ids)} runs as {ids[0]}-{ids[-1]} in {store.path}", markup=False)
    if started is None:
        console.print("stopped before the first run", markup=False)
        return True
    metric = started.metric_name
    # In the grid's order: a Ray sweep's runs land as they finish.
    value_at, cell_at = ({item: i for i, item in enumerate(items)} for items in (spec.values, spec.cells))
    results = sorted(results, key=lambda r: (value_at[r.value], cell_at[r.cell], r.repeat))
    points = aggregate(results, metric)
    if points:
        console.print(summary_table(points, spec.field, spec.cells, metric))
    status = finished.status if finished else "stopped"
    elapsed = finished.elapsed if finished else 0.0
    console.print(f"{status} {len(results)}/{started.total_runs} runs in {format_duration(elapsed)} "
                  f"({elapsed:.1f} s)", markup=False)
    try:
        export = export_sweep(results, choose_path(args.csv, f"{spec.preset}-sweep"), preset=spec.preset,
                              field=spec.field, metric=metric, force=args.force, protect=(store.path,))
    except ExportError as exc:
        errors.print(f"rnntui: {exc}", markup=False)
        return False
    (errors if export.fallback_used else console).print(f"CSV: {export.message}", markup=False)
    return True
