"""``rnntui landscape`` through the real command line."""

from __future__ import annotations

import csv
import math

import pytest

from rnntui.cli import main


def test_writes_tidy_csv_and_summary(tmp_path, capsys):
    out = tmp_path / "grid.csv"
    code = main(["landscape", "--T", "1,3", "--T", "3", "--resolution", "5", "--w-range", "-1", "4",
                 "--b-range", "-2", "2", "--csv", str(out), "--start", "5.5", "-2", "--steps", "20"])
    assert code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5 * 5 * 2 and set(rows[0]) == {"w", "b", "T", "loss"}
    sig = 1 / (1 + math.exp(-0.5))
    for row in rows:
        if row["T"] == "1":
            x1 = float(row["w"]) * sig + float(row["b"])
            assert float(row["loss"]) == pytest.approx((1 / (1 + math.exp(-x1)) - 0.7) ** 2, rel=1e-12)
    text = capsys.readouterr().out
    assert "T = 1" in text and "T = 3" in text and "norm ≤ 1" in text and "50 rows" in text
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("argv, message", [
    (["--w-range", "3", "1"], "LOW < HIGH"),
    (["--b-range", "x", "1"], "not a finite number"),
    (["--b-range", "nan", "1"], "not a finite number"),
    (["--resolution", "1"], "outside"),
    (["--T", "0"], "outside"),
    (["--start", "1"], "expected 2 arguments"),
    (["--clip", "-1"], "outside"),
    (["--resolution", "2000", "--T", "1,2"], "lower --resolution"),
])
def test_bad_input_exits_2_with_one_clear_line(argv, message, capsys):
    assert main(["landscape", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unwritable_csv_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["landscape", "--T", "2", "--resolution", "3", "--csv", str(blocker / "x.csv")]) == 2
    assert "cannot write" in capsys.readouterr().err
