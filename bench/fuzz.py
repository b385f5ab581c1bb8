"""Fuzz the real entry point: random argument lists and hostile preset files.

Every case runs ``python -m rnntui ...`` in its own process with a 4 GiB
address-space cap (RLIMIT_AS) and a timeout, in a scratch directory with its
own run store, cache and a missing IMDB path (no download is ever tried). An
outcome is one of:

- ``refused``: exit 2 and exactly one stderr line (the contract for bad input)
- ``ran``: exit 0, 1 or 130 (the input was fine; the run finished or diverged)
- ``training``: still training at the timeout, after printing its start line
- ``slow-<outcome>``: no exit by the timeout, but alone with 6x the time it ended so (a loaded box)
- ``traceback``, ``hang`` (no start line by the timeout), ``memory`` (the
  cap was hit or the process died of a signal), ``multiline`` (exit 2 with more
  than one stderr line) and ``other``: findings

    python bench/fuzz.py --argv 1000 --presets 300 --seed 1 --jobs 2

Prints the count of each outcome, the peak RSS of any case, the slowest
case, and the findings (the first 20); exits 1 if there is any finding.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnntui.cli import build_parser  # noqa: E402
from rnntui.cli.arguments import option_strings  # noqa: E402
from rnntui.engine.config import FIELDS  # noqa: E402
from rnntui.engine.presets import presets_dir  # noqa: E402

MEMORY_CAP = 4 << 30
RECHECK = 6
FINDINGS = ("traceback", "hang", "memory", "multiline", "other")
COMMANDS = ("run", "sweep", "landscape", "presets", "runs", "bogus", "")
FAST_PRESETS = ("smoke", "smoke", "smoke", "latching-srnn")
HOSTILE = ("", " ", "-", "--", "-1", "-5,6", "0", "1", "2", "5,5,5", ",", "1e309", "nan", "inf", "-inf",
           "1" * 60, "9" * 400, "0x10", "1_000", "\x1b[31mred", "\x1b]0;title\x07", "\u202e", "\x00", "é",
           "../../../etc/passwd", "/dev/zero", "/dev/null", "/", "lstm,gru", "rnn_tanh,rnn_tanh", "cpu", "cuda",
           "tpu", "x" * 5000, "seq_len=100000", "n_samples=10000000", "=", "a=b=c", "true", "[1]", "'",
           "%s%n", "{}", "-0", "1.5", "100000", "2,100000")


@dataclass
class Outcome:
    kind: str
    seconds: float
    peak_kib: int
    argv: list[str]
    stderr: str


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_case(argv: list[str], scratch: Path, timeout: float, code: Path = ROOT) -> Outcome:
    """Run one argument list; the peak RSS comes from wait4's rusage of that very process."""
    env = {**os.environ, "PYTHONPATH": str(code), "NO_COLOR": "1", "RNNTUI_STORE": str(scratch / "runs.sqlite3"),
           "RNNTUI_CACHE": str(scratch / "cache"), "RNNTUI_IMDB": str(scratch / "no-imdb-here"),
           "TERM": "dumb", "PYTHONUNBUFFERED": "1"}   # the start line shows at once
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "rnntui", *argv], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, cwd=scratch, env=env, preexec_fn=_limit_memory)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                timed_out = True
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)   # reaped here; keep Popen from waiting again
    seconds = time.monotonic() - started
    stdout = out_path.read_bytes()[:100_000].decode("utf-8", "replace")
    stderr = err_path.read_bytes()[:100_000].decode("utf-8", "replace")
    return Outcome(classify(process.returncode, timed_out, stdout, stderr), seconds, usage.ru_maxrss, argv, stderr)


def classify(code: int, timed_out: bool, stdout: str, stderr: str) -> str:
    if "Traceback" in stderr:
        return "traceback"
    if timed_out:
        return "training" if stdout.startswith("rnntui:") else "hang"
    if "MemoryError" in stderr or "can't allocate" in stderr or code < 0:
        return "memory"
    if code == 2:
        return "refused" if len(stderr.strip().splitlines()) == 1 else "multiline"
    if code in (0, 1, 130):
        return "ran"
    return "other"


# -- argument lists ---------------------------------------------------------------------


def special_paths(scratch: Path) -> list[str]:
    """Files a careless or hostile user may pass as a path: a FIFO, a loop, a folder, a big file."""
    fifo, loop, big = scratch / "fifo.toml", scratch / "loop.toml", scratch / "big.toml"
    if not fifo.exists():
        os.mkfifo(fifo)
        loop.symlink_to(loop)
        big.write_bytes(b"#" * (1 << 20))
    return [str(fifo), str(loop), str(big), str(scratch), str(scratch / "missing.toml"), "/dev/zero"]


def random_word(rng: random.Random, paths: list[str]) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(HOSTILE)
    if roll < 0.65:
        return rng.choice(paths)
    if roll < 0.8:
        return f"{rng.choice(list(FIELDS))}={rng.choice(HOSTILE)}"
    return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)]))
                   for _ in range(rng.randrange(1, 12)))


def random_argv(rng: random.Random, options: list[str], paths: list[str]) -> list[str]:
    """A subcommand, a preset (mostly a fast one), then options with hostile or plausible values."""
    command = rng.choice(COMMANDS)
    argv = [command] if command else []
    if command in ("run", "sweep") and rng.random() < 0.85:
        argv.append(rng.choice(FAST_PRESETS) if rng.random() < 0.7 else random_word(rng, paths))
    for _ in range(rng.randrange(0, 5)):
        option = rng.choice(options)
        argv.append(option)
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            argv.append(random_word(rng, paths))
    if rng.random() < 0.1:
        rng.shuffle(argv)
    if not any(word in COMMANDS[:5] for word in argv):      # no command opens the TUI: not for a pipe
        argv.insert(0, "presets" if rng.random() < 0.5 else "bogus")
    return [word.replace("\x00", "") for word in argv]     # exec() cannot pass NUL bytes


def argv_cases(rng: random.Random, count: int, scratch: Path) -> list[list[str]]:
    every, _ = option_strings(build_parser())
    options = sorted(every - {"--preset", "-h", "--help"})
    paths = special_paths(scratch)
    return [random_argv(rng, options, paths) for _ in range(count)]


# -- preset files -------------------------------------------------------------------------


def toml_value(rng: random.Random) -> str:
    return rng.choice([
        str(rng.randrange(-10**6, 10**12)), repr(rng.uniform(-1e6, 1e6)), "nan", "inf", "-inf", "true", "false",
        '"' + rng.choice(HOSTILE).replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "") + '"',
        "[1, 2, 3]", "{a = 1}", "1979-05-27T07:32:00Z", '"\\u001b[2J"', str(10**30), "0x7fffffff",
    ])


def small_valid_config(rng: random.Random) -> str:
    task = rng.choice(["latching", "sine", "adding", "recall", "bit_relay", "temporal_order", "copy"])
    lines = [f'task = "{task}"', f'cell = "{rng.choice(["rnn_tanh", "lstm", "gru"])}"',
             f"seq_len = {rng.randrange(10, 30)}", f"hidden_size = {rng.randrange(1, 8)}"]
    if task in ("sine", "adding", "temporal_order", "copy"):
        lines.append(f"iterations = {rng.randrange(1, 40)}")
    else:
        lines += [f"n_samples = {rng.randrange(40, 200)}", "epochs = 1"]
    return "\n".join(lines)


def hostile_preset(rng: random.Random, shipped: list[bytes]) -> bytes:
    kind = rng.randrange(12)
    base = rng.choice(shipped)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 4096))
    if kind == 1:
        data = bytearray(base)
        for _ in range(rng.randrange(1, 20)):
            at = rng.randrange(len(data))
            action = rng.randrange(3)
            if action == 0:
                data[at] = rng.randrange(256)
            elif action == 1:
                data.insert(at, rng.randrange(256))
            else:
                del data[at]
        return bytes(data)
    if kind == 2:
        return base[: rng.randrange(len(base))]
    if kind == 3:
        fields = rng.sample(list(FIELDS) + ["bogus", "x.y", "config"], rng.randrange(1, 8))
        body = "\n".join(f"{name} = {toml_value(rng)}" for name in fields)
        return f'name = "fuzz"\ndescription = "d"\n[config]\n{body}\n'.encode()
    if kind == 4:
        depth = rng.choice([10, 100, 1000, 10_000, 30_000])
        opener, closer = rng.choice([("[", "]"), ("{a=", "}")])
        return f"x = {opener * depth}1{closer * depth}\n".encode()
    if kind == 5:
        dots = rng.choice([100, 129, 1000, 20_000])
        return ("a" + ".b" * dots + " = 1\n").encode()
    if kind == 6:
        return b"# " + b"x" * rng.choice([65_000, 70_000, 1 << 20]) + b"\n"
    if kind == 7:
        return rng.choice([base.decode().encode("utf-16"), b"\xff\xfe" + base, base.replace(b"e", b"\xe9")])
    if kind == 8:
        evil = rng.choice(["\\u001b[2J\\u001b[31mred", "\\u0007", "\\u009b31m", "line\\nbreak", "\\u202eevil"])
        key = rng.choice(["name", "title", "description", "look_for", "mirrors"])
        return f'name = "n"\ndescription = "d"\n{key} = "{evil}"\n[config]\ntask = "latching"\n'.encode()
    if kind == 9:
        return "".join(f'"k\\u001b{i}" = {i}\n' for i in range(rng.randrange(10, 3000))).encode()
    if kind == 10:
        return f'name = "ok"\ndescription = "small"\n[config]\n{small_valid_config(rng)}\n'.encode()
    return (f'name = "big"\ndescription = "d"\n[config]\nn_samples = {rng.choice([10**6, 10**7])}\n'
            f"seq_len = {rng.choice([10**4, 10**5])}\nhidden_size = {rng.choice([1, 4096, 8192])}\n").encode()


def preset_cases(rng: random.Random, count: int, scratch: Path) -> list[list[str]]:
    shipped = [path.read_bytes() for path in sorted(presets_dir().glob("*.toml"))]
    folder = scratch / "presets"
    folder.mkdir(exist_ok=True)
    cases = []
    for index in range(count):
        path = folder / f"case{index}.toml"
        path.write_bytes(hostile_preset(rng, shipped))
        cases.append(["run", str(path), "--csv", str(scratch / f"out{index}.csv")])
    return cases


# -- the bench --------------------------------------------------------------------------------


def snapshot(scratch: Path) -> Path:
    """A copy of the package to run, so edits to the checkout during a long run cannot break cases."""
    code = scratch / "code"
    shutil.copytree(ROOT / "rnntui", code / "rnntui", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "presets", code / "presets")
    return code


def fuzz(cases: list[list[str]], scratch: Path, timeout: float, jobs: int) -> list[Outcome]:
    """Run every case; a case that did not exit by ``timeout`` runs again alone with RECHECK x the time:
    then it is ``slow-<outcome>`` (the box was loaded) or still a ``hang``."""
    code = snapshot(scratch)

    def one(item):
        index, argv = item
        case_dir = scratch / f"case-{index}"
        case_dir.mkdir()
        (case_dir / "cache").symlink_to(scratch / "cache")   # one kernel build, shared
        return run_case(argv, case_dir, timeout, code)

    (scratch / "cache").mkdir(exist_ok=True)
    with ThreadPoolExecutor(jobs) as pool:
        outcomes = list(pool.map(one, enumerate(cases)))
    for index, outcome in enumerate(outcomes):
        if outcome.kind == "hang":   # slow (a loaded box) or hung: one more try, alone, with 6x the time
            again = run_case(outcome.argv, scratch / f"case-{index}", RECHECK * timeout, code)
            outcome.kind = "hang" if again.kind == "hang" else f"slow-{again.kind}"
            outcome.seconds = again.seconds
    return outcomes


def report(name: str, outcomes: list[Outcome]) -> int:
    counts = Counter(o.kind for o in outcomes)
    peak = max(outcomes, key=lambda o: o.peak_kib)
    slow = max(outcomes, key=lambda o: o.seconds)
    print(f"{name}: {len(outcomes)} cases: " + ", ".join(f"{kind} {counts[kind]}" for kind in sorted(counts)))
    print(f"  peak RSS {peak.peak_kib / 1024:.0f} MiB ({' '.join(map(repr, peak.argv))[:160]})")
    print(f"  slowest {slow.seconds:.1f} s ({' '.join(map(repr, slow.argv))[:160]})")
    slow = [o for o in outcomes if o.kind.startswith("slow-")]
    if slow:
        print(f"  {len(slow)} did not exit within the timeout but did within {RECHECK}x it, alone: "
              f"at most {max(o.seconds for o in slow):.1f} s")
    findings = [o for o in outcomes if o.kind in FINDINGS]
    for finding in findings[:20]:
        print(f"  {finding.kind}: {' '.join(map(repr, finding.argv))[:200]}\n    {finding.stderr.strip()[-400:]}")
    return len(findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--argv", type=int, default=200, help="random argument lists (default 200)")
    parser.add_argument("--presets", type=int, default=60, help="hostile preset files (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case (default 20)")
    parser.add_argument("--jobs", type=int, default=1, help="cases at once (default 1)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rnntui-fuzz-") as scratch:
        scratch = Path(scratch)
        findings = 0
        for name, make in (("argv", argv_cases), ("presets", preset_cases)):
            count = getattr(args, name)
            if count:
                phase = scratch / name
                phase.mkdir()
                findings += report(name, fuzz(make(rng, count, phase), phase, args.timeout, args.jobs))
    print(f"{findings} findings in {time.monotonic() - started:.0f} s (seed {args.seed}, "
          f"load {os.getloadavg()[0]:.1f}, cap {MEMORY_CAP >> 30} GiB, timeout {args.timeout:g} s)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
