"""bench/gpu.py runs end to end on the CPU with --quick: every part measured, four ratios printed."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_imdb import many_reviews, write_tree

ROOT = Path(__file__).resolve().parents[1]


def test_quick_cpu_run_prints_four_ratios(tmp_path):
    reviews = write_tree(tmp_path, many_reviews(300))         # 600 synthetic reviews per split
    env = {**os.environ, "RNNTUI_IMDB": str(reviews), "RNNTUI_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu.py"), "--device", "cpu", "--quick"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ratios = [float(value) for value in re.findall(r"ratio [\w/]+ ([\d.]+)", done.stdout)]
    assert len(ratios) == 4, done.stdout
    assert all(math.isfinite(r) and r > 0 for r in ratios)
    assert "not measured" not in done.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present: the default run is the real bench")
def test_cuda_without_a_gpu_is_one_line():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu.py")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "cuda" in done.stderr
