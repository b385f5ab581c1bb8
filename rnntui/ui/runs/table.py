"""The store's runs as a table, newest first, one page of at most ``PAGE_SIZE`` rows.

Showing a page is a count and one ``LIMIT`` query: with 10,000 stored runs the
tab opens as fast as with ten. Row keys are store ids; ``[`` and ``]`` page.
"""

from __future__ import annotations

import datetime as dt

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from rnntui.engine.store import RunStore, RunSummary
from rnntui.ui.session import LiveRun

PAGE_SIZE = 100
# What a run is and how it ended first: at 80 columns the rest scrolls into view.
COLUMNS = ("✓", "#", "preset", "status", "step", "metric", "task", "cell", "T", "clip", "started")


def row_cells(summary: RunSummary, marked: bool, live: LiveRun | None = None) -> tuple[str, ...]:
    """One row; a run of this session shows its live state, step and metric (the store has them
    as of the last evaluation or probe)."""
    record = live.record if live is not None else None
    value = record.final_metric if record is not None else summary.final_metric
    metric = "" if value is None else f"{summary.metric_name or record.metric_name} {value:.3g}"
    started = dt.datetime.fromtimestamp(summary.created_at).strftime("%m-%d %H:%M")
    return ("✓" if marked else "", str(summary.id), summary.preset, live.state if live else summary.status,
            str(record.reached_step if record is not None else summary.reached_step), metric, summary.task,
            summary.cell, str(summary.seq_len), summary.clip, started)


class StoredRunTable(DataTable):
    """A page of the store's runs; the lab calls :meth:`sync` when runs change."""

    BINDINGS = [
        Binding("left_square_bracket", "page(-1)", "Newer", tooltip="the previous page (newer runs)", id="runs.newer"),
        Binding("right_square_bracket", "page(1)", "Older", tooltip="the next page (older runs)", id="runs.older"),
    ]

    def __init__(self, store: RunStore, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.store = store
        self.page = 0
        self.total = 0

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column, key=column)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def caption(self) -> str:
        if not self.total:
            return "no runs stored yet"
        first = self.page * PAGE_SIZE + 1
        last = min(self.total, first + PAGE_SIZE - 1)
        return f"runs {first}–{last} of {self.total:,}, newest first · page {self.page + 1}/{self.pages}"

    def action_page(self, delta: int) -> None:
        page = min(max(self.page + delta, 0), self.pages - 1)
        if page != self.page:
            self.page = page
            self.post_message(self.PageChanged(self))

    class PageChanged(Message):
        """The table moved to another page: the lab redraws it."""

        def __init__(self, table: "StoredRunTable") -> None:
            super().__init__()
            self.table = table

    def sync(self, marked: set[int], live: dict[int, LiveRun]) -> None:
        """Show the current page: a count and one query; cells change in place when the rows are the same.
        ``live`` maps store ids to this session's runs."""
        self.total = self.store.count()
        self.page = min(self.page, self.pages - 1)
        summaries = self.store.page(limit=PAGE_SIZE, offset=self.page * PAGE_SIZE)
        rows = {str(s.id): row_cells(s, s.id in marked, live.get(s.id)) for s in summaries}
        if list(rows) != [key.value for key in self.rows]:
            cursor = self.cursor_row
            self.clear()
            for key, cells in rows.items():
                self.add_row(*cells, key=key)
            self.move_cursor(row=min(cursor, max(self.row_count - 1, 0)))
            return
        for key, cells in rows.items():
            for column, value in zip(COLUMNS, cells):
                if self.get_cell(key, column) != value:
                    self.update_cell(key, column, value, update_width=True)

    @property
    def selected_id(self) -> int | None:
        """The store id under the cursor."""
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)
