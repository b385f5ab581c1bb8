"""The session's runs as a table; selecting rows marks up to two runs to overlay."""

from __future__ import annotations

from textual.widgets import DataTable

from rnntui.ui.session import LiveRun

COLUMNS = ("✓", "#", "preset", "task", "cell", "T", "clip", "status", "step", "metric", "val loss")


def row_cells(run: LiveRun, marked: bool) -> tuple[str, ...]:
    record = run.record
    metric = record.final_metric
    final = record.final_evaluation
    return ("✓" if marked else "", str(run.number), record.preset, record.config.task, record.config.cell,
            str(record.config.seq_len), record.config.clip, run.state, str(record.last_step),
            "" if metric is None else f"{record.metric_name} {metric:.3g}",
            "" if final is None else f"{final.val_loss:.3g}")


class RunTable(DataTable):
    """One row per run of this session, kept in step with the runs."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def sync(self, runs: list[LiveRun], marked: set[int]) -> None:
        for run in runs:
            cells = row_cells(run, run.number in marked)
            key = str(run.number)
            if key not in self.rows:
                self.add_row(*cells, key=key)
                self.move_cursor(row=self.row_count - 1)
                continue
            for column, value in zip(COLUMNS, cells):
                if self.get_cell(key, column) != value:
                    self.update_cell(key, column, value)
