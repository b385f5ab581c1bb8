"""Memory a run or a sweep will need, estimated before anything is allocated.

Every size field has a generous range, but their products do not: 10 million
samples of length 100,000 is 4 TB of inputs. A run or sweep whose estimate
exceeds BUDGET_FRACTION of the memory this process may still use (the
smallest of free RAM, the address-space limit and the cgroup limit) is refused
with the estimate and the fields to lower, instead of dying inside torch.
The estimates are upper-ish bounds of the big tensors (float32, one copy for
the weights, their gradients and two optimizer states), not exact accounts.
"""

from __future__ import annotations

import resource
from pathlib import Path

from .config import ConfigError, RunConfig
from .tasks import task_class

BUDGET_FRACTION = 0.8
FLOAT = 4
ACTIVATION_COPIES = 6        # per step and gate: pre-activations, gates, states and their gradients
RESULT_BYTES = 4096          # one finished sweep run kept for the curve and the CSV
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
Estimate = dict[str, tuple[int, str]]   # part -> (bytes, the fields that size it)


def run_estimate(config: RunConfig, members: int = 1) -> Estimate:
    """The big allocations of a run (``members``: a sweep population sharing one data set)."""
    task = task_class(config.task)
    features = config.embed_dim if config.task == "imdb" else task.input_size
    gates = GATES[config.cell]
    if task.streaming:
        data_rows, val_rows = config.batch_size, task.validation_size
    else:
        data_rows = val_rows = config.n_samples
    data_bytes = data_rows * config.seq_len * (8 if config.task == "imdb" else task.input_size * FLOAT) * 2
    from .training import EVAL_CHUNK   # training checks with this module: import it late

    width = config.hidden_size * gates * config.layers + features
    # Training keeps the graph of a batch; validation (no graph) runs in chunks of EVAL_CHUNK rows.
    rows = config.batch_size * ACTIVATION_COPIES + min(val_rows, EVAL_CHUNK) * 2
    activations = members * rows * config.seq_len * width * FLOAT
    weights = gates * config.hidden_size * (features + config.hidden_size + 2) * config.layers
    if config.task == "imdb":
        weights += config.num_words * config.embed_dim
    sized_by = "n_samples or seq_len" if not task.streaming else "batch_size or seq_len"
    return {
        "data": (data_bytes, sized_by),
        "activations": (activations, "batch_size, seq_len or hidden_size"),
        "weights": (members * weights * FLOAT * 4, "hidden_size or layers"
                    + (", num_words or embed_dim" if config.task == "imdb" else "")),
    }


def available_bytes() -> tuple[int | None, str]:
    """How much more memory this process may use, and which limit says so (None: unknown)."""
    limits: list[tuple[int, str]] = []
    meminfo = _read_kib("/proc/meminfo", "MemAvailable:")
    if meminfo is not None:
        limits.append((meminfo, "free memory"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        used = _read_kib("/proc/self/status", "VmSize:") or 0
        limits.append((max(0, soft - used), "the address-space limit (ulimit -v)"))
    cgroup = _cgroup_headroom()
    if cgroup is not None:
        limits.append((cgroup, "the cgroup memory limit"))
    return min(limits) if limits else (None, "")


def check(estimate: Estimate, what: str, extra: Estimate | None = None) -> None:
    """Raise a ConfigError (field ``memory``) when ``estimate`` does not fit, naming what to lower."""
    parts = {**estimate, **(extra or {})}
    total = sum(size for size, _ in parts.values())
    free, limit = available_bytes()
    if free is None or total <= BUDGET_FRACTION * free:
        return
    biggest = sorted(parts.items(), key=lambda item: -item[1][0])
    shown = ", ".join(f"{name} {human(size)}" for name, (size, _) in biggest if size >= total / 100)
    raise ConfigError({"memory": f"{what} needs about {human(total)} ({shown}) but {limit} leaves "
                                 f"{human(free)} (at most {BUDGET_FRACTION:.0%} is used); "
                                 f"lower {biggest[0][1][1]}"})


def check_run(config: RunConfig) -> None:
    check(run_estimate(config), "this run")


def check_sweep(points: list[RunConfig], members: int, runs: int) -> None:
    """A sweep holds one population of ``members`` per point at a time, the next chunk's data
    (built meanwhile) and every finished run's numbers."""
    largest = max((run_estimate(config, members) for config in points),
                  key=lambda estimate: sum(size for size, _ in estimate.values()))
    size, fields = largest["data"]
    largest["data"] = (2 * size, fields)
    check(largest, "this sweep", {"results": (runs * RESULT_BYTES, "the repeats or the grid")})


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} EB"


def _read_kib(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_headroom() -> int | None:
    """cgroup v2 (memory.max - memory.current) or v1 (limit - usage) of this process, if limited."""
    for limit_name, usage_name in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            limit = (Path("/sys/fs/cgroup") / limit_name).read_text().strip()
            usage = int((Path("/sys/fs/cgroup") / usage_name).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(0, int(limit) - usage)
    return None
