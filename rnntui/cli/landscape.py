"""``rnntui landscape``: the cliff system's loss grid as tidy CSV, plus a summary.

Torch loads inside :func:`run` only, so ``rnntui --help`` stays instant.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from .arguments import comma_list

EXIT_OK, EXIT_BAD_INPUT = 0, 2
MAX_CELLS = 4_000_000   # grid points × len(T): keeps the CSV and memory sane
# Work caps (measured at 20-50 M grid point-steps/s and 6-15 k descent steps/s on the 2-core box):
MAX_GRID_WORK = 1_000_000_000      # grid points × ΣT: under a minute
MAX_DESCENT_WORK = 1_000_000       # descent steps × ΣT (each a few small tensor ops): a few minutes


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _bounded(kind: type, low: float, high: float):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a{'n integer' if kind is int else ' number'}: {text!r}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside [{low:g}, {high:g}]")
        return value
    return parse


def _lengths(text: str) -> list[int]:
    parse = _bounded(int, 1, 100_000)
    return [parse(part) for part in comma_list(text)]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "landscape", help="loss grid of the one-unit cliff system (Pascanu et al. 2013, Fig. 6)",
        description="x_t = w·σ(x_{t−1}) + b, x_0 = 0.5, loss (σ(x_T) − 0.7)² over a (w, b) grid. "
                    "Writes tidy CSV (w, b, T, loss) and prints where the valley and the wall are; "
                    "with --start, also runs gradient descent from there without and with norm "
                    "clipping. Exit codes: 0 ok, 2 bad input.")
    parser.add_argument("--T", dest="T", type=_lengths, action="extend", metavar="T[,T...]",
                        help="sequence length(s); repeat or comma-separate (default 5,50,200)")
    parser.add_argument("--w-range", type=_finite, nargs=2, default=(0.0, 10.0), metavar=("LOW", "HIGH"),
                        help="recurrent weight range (default 0 10)")
    parser.add_argument("--b-range", type=_finite, nargs=2, default=(-7.0, 1.0), metavar=("LOW", "HIGH"),
                        help="bias range (default -7 1)")
    parser.add_argument("--resolution", type=_bounded(int, 2, 2000), default=200, metavar="N",
                        help="grid points per axis (default 200)")
    parser.add_argument("--csv", type=Path, metavar="PATH", help="write the grid here as tidy CSV")
    parser.add_argument("--start", type=_finite, nargs=2, metavar=("W", "B"),
                        help="run gradient descent from this point, without and with clipping")
    parser.add_argument("--lr", type=_bounded(float, 1e-12, 1e6), default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--clip", type=_bounded(float, 1e-12, 1e12), default=1.0,
                        help="gradient-norm threshold for the clipped path (default 1)")
    parser.add_argument("--steps", type=_bounded(int, 1, 100_000), default=150,
                        help="gradient-descent steps (default 150)")


def _csv_text(landscapes) -> str:
    lines = ["w,b,T,loss"]
    for land in landscapes:
        ws = [repr(v) for v in land.w.tolist()]
        for b, row in zip(land.b.tolist(), land.loss.tolist()):
            lines.extend(f"{w},{b!r},{land.T},{loss!r}" for w, loss in zip(ws, row))
    return "\n".join(lines) + "\n"


def _pair(point) -> str:
    return f"({point[0]:.3g},{point[1]:.3g})"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=True)
    return table


def _grid_table(summaries, seconds) -> Table:
    """One column per T, so the sharpening reads left to right."""
    table = _table(f"(σ(x_T) − 0.7)² on the grid; highest loss {max(s.max_loss for s in summaries):.3f}",
                   "", *(f"T = {s.T}" for s in summaries))
    rows = [("lowest loss", lambda s: f"{s.min_loss:.2e}"), ("  at (w,b)", lambda s: _pair(s.argmin)),
            ("steepest |∇L|", lambda s: f"{s.steepest:.3g}"), ("  at (w,b)", lambda s: _pair(s.steepest_at)),
            ("wall: loss jump", lambda s: f"{s.wall_jump:.3f}"), ("  at (w,b)", lambda s: _pair(s.wall_at))]
    for name, cell in rows:
        table.add_row(name, *(cell(s) for s in summaries))
    table.add_row("compute time", *(f"{sec * 1e3:.0f} ms" for sec in seconds))
    return table


def _path_table(pairs, lr: float) -> Table:
    table = _table(f"Gradient descent, lr {lr:g}",
                   "T", "clipping", "end (w,b)", "end loss", "largest step", "at step", "max raw |∇L|")
    for T, paths in pairs:
        for path in paths:
            step = int(path.step_norm.argmax())
            end = path.points[-1].tolist()
            table.add_row(str(T), "none" if path.clip is None else f"norm ≤ {path.clip:g}", _pair(end),
                          f"{end[2]:.3g}", f"{float(path.step_norm[step]):.3g}", str(step),
                          f"{float(path.grad_norm.max()):.3g}")
    return table


def run(args: argparse.Namespace) -> int:
    """Compute, export, summarise; bad input ends in one line on stderr and exit code 2."""
    steps = sorted(set(args.T or [5, 50, 200]))
    for name, (low, high) in (("--w-range", args.w_range), ("--b-range", args.b_range)):
        if not low < high:
            print(f"rnntui landscape: {name} needs LOW < HIGH, got {low:g} {high:g}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.resolution ** 2 * len(steps) > MAX_CELLS:
        print(f"rnntui landscape: {args.resolution}² points × {len(steps)} T values exceeds "
              f"{MAX_CELLS:,} rows; lower --resolution or pass fewer --T", file=sys.stderr)
        return EXIT_BAD_INPUT
    work = args.resolution ** 2 * sum(steps)
    if work > MAX_GRID_WORK:
        print(f"rnntui landscape: {args.resolution}² points × ΣT = {sum(steps):,} is {work:.1e} point-steps, "
              f"more than {MAX_GRID_WORK:.0e} (about a minute); lower --resolution or --T", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.start is not None and args.steps * sum(steps) > MAX_DESCENT_WORK:
        print(f"rnntui landscape: {args.steps:,} descent steps × ΣT = {sum(steps):,} is more than "
              f"{MAX_DESCENT_WORK:.0e} steps through time; lower --steps or --T", file=sys.stderr)
        return EXIT_BAD_INPUT
    import torch

    from ..engine.export import write_atomic
    from ..engine.analysis.landscape import cliff_b, descend, grid

    torch.set_num_threads(1)   # 40k-element elementwise steps: a second thread only adds stalls

    console = Console()
    landscapes, seconds = [], []
    for T in steps:
        started = time.perf_counter()
        landscapes.append(grid(args.w_range, args.b_range, args.resolution, T))
        seconds.append(time.perf_counter() - started)
    if args.csv is not None:
        try:
            write_atomic(args.csv, _csv_text(landscapes))
        except OSError as exc:
            print(f"rnntui landscape: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    console.print(_grid_table([land.summary() for land in landscapes], seconds))
    console.print(f"The wall runs along b = 0.5 − σ(0.5)·w (there x_0 is the unstable fixed point; "
                  f"b = {cliff_b(7.0):.3f} at w = 7) wherever w·σ′(0.5) > 1, i.e. w > 4.25. "
                  "It is thinner than a grid cell past T ≈ 10, so the grid's steepest |∇L| "
                  "understates it: the jump between cells shows it.")
    if args.start is not None:
        pairs = [(T, descend([tuple(args.start)] * 2, T, args.lr, args.steps, [None, args.clip])) for T in steps]
        console.print(_path_table(pairs, args.lr))
    if args.csv is not None:
        console.print(f"wrote {args.resolution ** 2 * len(steps):,} rows to {args.csv}")
    return EXIT_OK
