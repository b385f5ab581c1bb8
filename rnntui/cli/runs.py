"""``rnntui runs``: the run store from the command line.

``list`` (newest first, filtered by preset, status or date), ``show ID``,
``export ID... --csv PATH``, ``rm ID...`` (asks first) and ``rerun ID``. The
numbers are the store's run ids, the same ones ``rnntui run`` prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path

from ..engine.config import ConfigError
from ..engine.store import RunFilter, RunStore, RunSummary

STATUSES = ("running", "finished", "diverged", "stopped", "interrupted")
EXIT_OK, EXIT_WRITE_FAILED = 0, 3
LIST_LIMIT = 50
RELATIVE = re.compile(r"(\d+)([mhdw])")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list, show, export, delete or rerun stored runs",
                                   description="Every run rnntui trains is kept in the run store "
                                               "(--store PATH or RNNTUI_STORE to choose it).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="stored runs, newest first")
    listing.add_argument("--preset", help="only this preset's runs")
    listing.add_argument("--status", choices=STATUSES, help="only runs that ended this way")
    listing.add_argument("--since", metavar="WHEN", help="only runs started since: 2026-01-31, "
                                                         "'2026-01-31 14:00', or 30m, 12h, 3d, 2w ago")
    listing.add_argument("--limit", type=int, default=LIST_LIMIT, metavar="N",
                         help=f"at most N runs (default {LIST_LIMIT}; 0 for all)")
    show = actions.add_parser("show", help="one run: config, environment, evaluations")
    show.add_argument("id", type=int)
    export = actions.add_parser("export", help="write stored runs as the CSV pair of `rnntui run`")
    export.add_argument("ids", type=int, nargs="+", metavar="ID")
    export.add_argument("--csv", metavar="PATH",
                        help="a file for one run, a directory (or PATH/) for several; default runs/")
    export.add_argument("--force", action="store_true", help="replace files that exist")
    remove = actions.add_parser("rm", help="delete stored runs (asks first)")
    remove.add_argument("ids", type=int, nargs="+", metavar="ID")
    remove.add_argument("--yes", action="store_true", help="do not ask")
    rerun = actions.add_parser("rerun", help="train a stored run again: the same config and seed")
    rerun.add_argument("id", type=int)
    rerun.add_argument("--csv", metavar="PATH", help="where to write the CSV pair (as for rnntui run)")
    rerun.add_argument("--force", action="store_true", help="replace files that exist")


def parse_since(text: str, now: dt.datetime | None = None) -> float:
    """``30m``/``12h``/``3d``/``2w`` ago, or an ISO date (and time) in local time, as a Unix time."""
    now = now or dt.datetime.now()
    relative = RELATIVE.fullmatch(text.strip())
    if relative:
        return now.timestamp() - int(relative[1]) * UNIT_SECONDS[relative[2]]
    try:
        return dt.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise ConfigError({"--since": f"{text!r} is not a date (2026-01-31, '2026-01-31 14:00') "
                                      "or an age (30m, 12h, 3d, 2w)"}) from None


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _metric(summary: RunSummary) -> str:
    return "" if summary.final_metric is None else f"{summary.metric_name} {summary.final_metric:.4g}"


def list_lines(runs: list[RunSummary]) -> list[str]:
    header = ("id", "started", "preset", "task", "cell", "T", "status", "step", "final metric")
    rows = [(str(r.id), _when(r.created_at), r.preset, r.task, r.cell, str(r.seq_len), r.status,
             f"{r.reached_step}/{r.total_steps}", _metric(r)) for r in runs]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def _list(store: RunStore, args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise ConfigError({"--limit": "must be 0 (all) or more"})
    where = RunFilter(preset=args.preset, status=args.status,
                      since=parse_since(args.since) if args.since else None)
    total = store.count(where)
    runs = store.page(where, limit=args.limit or max(total, 1))
    if not runs:
        print(f"no stored runs{' match' if where != RunFilter() else ''} ({store.path})")
        return EXIT_OK
    print("\n".join(list_lines(runs)))
    if total > len(runs):
        print(f"({len(runs)} of {total}; --limit 0 lists all)")
    return EXIT_OK


def _load(store: RunStore, run_id: int):
    try:
        return store.load(run_id)
    except KeyError:
        raise ConfigError({str(run_id): f"no such run in {store.path} (rnntui runs list shows them)"}) from None


def show_lines(store: RunStore, run_id: int) -> list[str]:
    record = _load(store, run_id)
    summary, env = store.summary(run_id), store.environment(run_id)
    ending = f"{summary.status} at step {summary.reached_step}/{summary.total_steps}"
    lines = [f"run {run_id}: {record.preset}, {ending}" + (f" ({record.reason})" if record.reason else ""),
             f"started {_when(summary.created_at)} by `rnntui {summary.source}` on {env['host']} (pid {env['pid']})",
             f"device {record.device}; rnntui {env.get('rnntui') or '?'}, torch {env.get('torch') or '?'}, "
             f"python {env.get('python') or '?'}",
             "config: " + " ".join(f"{name}={value}" for name, value in record.config.to_dict().items())]
    if record.evaluations:
        names = list(dict.fromkeys(name for e in record.evaluations for name in e.metrics))
        header = ("step", "epoch", "train_loss", "val_loss", *names)
        table = [header] + [(str(e.step), f"{e.epoch:.4g}", f"{e.train_loss:.4g}", f"{e.val_loss:.4g}",
                             *(f"{e.metrics[n]:.4g}" if n in e.metrics else "" for n in names))
                            for e in record.evaluations]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines.append(f"{len(record.evaluations)} evaluations:")
        lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in table]
    else:
        lines.append("no evaluations")
    lines.append(f"{len(record.steps)} steps and {len(record.probes)} gradient probes stored")
    return lines


def _export(store: RunStore, args: argparse.Namespace) -> int:
    from ..engine.export import ExportError, choose_path, export_run

    ids = list(dict.fromkeys(args.ids))
    records = [(run_id, _load(store, run_id)) for run_id in ids]
    target = args.csv
    if len(records) > 1 and target and not (target.endswith(("/", os.sep)) or Path(target).is_dir()):
        raise ConfigError({"--csv": f"{len(records)} runs need a directory: {target}/"})
    failed = False
    for run_id, record in records:
        try:
            result = export_run(record, choose_path(target, record.preset, run_id), force=args.force,
                                protect=(store.path,))
        except ExportError as exc:
            print(f"rnntui: run {run_id}: {exc}", file=sys.stderr)
            failed = True
        else:
            print(f"run {run_id}: {result.message}", file=sys.stderr if result.fallback_used else sys.stdout)
    return EXIT_WRITE_FAILED if failed else EXIT_OK


def _remove(store: RunStore, args: argparse.Namespace) -> int:
    ids = list(dict.fromkeys(args.ids))
    summaries = []
    for run_id in ids:
        try:
            summaries.append(store.summary(run_id))
        except KeyError:
            raise ConfigError({str(run_id): f"no such run in {store.path}"}) from None
        if store.still_training(run_id):
            raise ConfigError({str(run_id): "is still training; stop it first"})
    listing = ", ".join(f"{s.id} ({s.preset}, {s.status})" for s in summaries)
    if not args.yes:
        if not sys.stdin.isatty():
            raise ConfigError({"rm": "asks before deleting; add --yes to delete without asking"})
        answer = input(f"delete run{'s' if len(ids) > 1 else ''} {listing}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return EXIT_OK
    store.delete(ids)
    print(f"deleted {listing}")
    return EXIT_OK


def _rerun(store: RunStore, args: argparse.Namespace) -> int:
    from .run import run_headless, stored_preset

    return run_headless(stored_preset(args.id, store), args.csv, force=args.force, store=store)


ACTIONS = {"list": _list, "export": _export, "rm": _remove, "rerun": _rerun,
           "show": lambda store, args: print("\n".join(show_lines(store, args.id))) or EXIT_OK}


def run(args: argparse.Namespace) -> int:
    with RunStore() as store:
        return ACTIONS[args.action](store, args)
