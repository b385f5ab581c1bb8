"""GPU check: four ratios, each side measured in the same run on the same machine.

1. imdb-lstm, one epoch: the fused kernel (probes off) against probes every 50 steps
2. an E4 sweep: PyTorch populations on the device against the compiled CPU kernel
3. the init comparison (E5: adding, 100-unit tanh RNN): one population of 20 against 20 runs in turn
4. one small run (latching-srnn): steps/s with the per-step host syncs off against on

Sized to finish in under 5 minutes on a GPU; ``--quick`` shrinks every part so
``--device cpu --quick`` runs in seconds (tests/test_bench_gpu.py runs it).
imdb-lstm needs the IMDB data (RNNTUI_IMDB); without it that line says why.

    python bench/gpu.py                       # on cuda
    python bench/gpu.py --device cpu --quick
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from itertools import takewhile

import torch

from rnntui.engine.config import ConfigError
from rnntui.engine.data import DataUnavailable
from rnntui.engine.device import resolve_device
from rnntui.engine.events import RunFinished, StepMetrics
from rnntui.engine.presets import load_preset
from rnntui.engine.sweep import SweepSpec, sweep
from rnntui.engine.sweep.kernel import KernelUnavailable
from rnntui.engine.training import Trainer, train


@dataclass(frozen=True)
class Sizes:
    imdb_samples: int       # reviews per epoch (25,000 is the whole set)
    probe_every: int
    e4_lengths: tuple
    e4_repeats: int
    e4_samples: int
    init_iterations: int
    init_members: int
    small_samples: int      # latching-srnn data set: 80 % of it is one epoch of batch 16


FULL = Sizes(imdb_samples=25_000, probe_every=50, e4_lengths=(5, 20, 50), e4_repeats=30, e4_samples=10_000,
             init_iterations=300, init_members=20, small_samples=10_000)
QUICK = Sizes(imdb_samples=512, probe_every=2, e4_lengths=(2, 5), e4_repeats=4, e4_samples=320,
              init_iterations=10, init_members=4, small_samples=640)


def timed(events) -> float:
    """Seconds from a run's first event to its end; raises if it did not finish."""
    start = None
    for event in events:
        start = start or time.perf_counter()
        if isinstance(event, RunFinished) and event.status != "finished":
            raise RuntimeError(f"the run {event.status}: {event.reason}")
    return time.perf_counter() - start


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def imdb_epoch(device: str, sizes: Sizes) -> str:
    """One epoch with probes off (the fused kernel every step) and with probes every K."""
    base = load_preset("imdb-lstm").config.replace(device=device, epochs=1, n_samples=sizes.imdb_samples)
    for _ in takewhile(lambda e: not isinstance(e, StepMetrics), train(base.replace(probe_every=0))):
        pass                                  # warm-up: data encoded and cached, kernels loaded
    fused = timed(Trainer(base.replace(probe_every=0)).run())
    probed = timed(Trainer(base.replace(probe_every=sizes.probe_every)).run())
    return (f"{sizes.imdb_samples} reviews, fused {fused:.2f} s, probes every {sizes.probe_every} steps "
            f"{probed:.2f} s: ratio probed/fused {probed / fused:.2f}")


def e4_sweep(device: str, sizes: Sizes) -> str:
    """The same E4 grid: PyTorch populations on ``device`` and the compiled kernel on the CPU."""
    config = load_preset("latching-srnn").config.replace(n_samples=sizes.e4_samples, epochs=1)
    spec = SweepSpec(config, values=sizes.e4_lengths, cells=("rnn_tanh", "lstm"), repeats=sizes.e4_repeats)
    seconds = []
    for chosen in (replace(spec, base=config.replace(device=device), backend="torch"),
                   replace(spec, base=config.replace(device="cpu"), backend="kernel")):
        start = time.perf_counter()
        finished = list(sweep(chosen))[-1]
        synchronize(device)
        if finished.status != "finished":
            raise RuntimeError(f"the sweep {finished.status}: {finished.message}")
        seconds.append(time.perf_counter() - start)
    on_device, kernel = seconds
    runs = len(sizes.e4_lengths) * 2 * sizes.e4_repeats
    return (f"T in {sizes.e4_lengths}, {runs} runs, populations on {device} {on_device:.2f} s, "
            f"CPU kernel {kernel:.2f} s: ratio kernel/{device} {kernel / on_device:.2f}")


def init_population(device: str, sizes: Sizes) -> str:
    """N members of init-orthogonal as one population, and as N runs one after another."""
    config = load_preset("init-orthogonal").config.replace(device=device, iterations=sizes.init_iterations,
                                                          eval_every=sizes.init_iterations)
    spec = SweepSpec(config, field="init", values=(config.init,), cells=(config.cell,),
                     repeats=sizes.init_members, backend="torch")
    start = time.perf_counter()
    list(sweep(spec))
    synchronize(device)
    population = time.perf_counter() - start
    start = time.perf_counter()
    for member in range(sizes.init_members):
        timed(train(config.replace(seed=config.seed + member)))
    synchronize(device)
    sequential = time.perf_counter() - start
    return (f"{sizes.init_members} members x {sizes.init_iterations} steps, population {population:.2f} s, "
            f"one by one {sequential:.2f} s: ratio sequential/population {sequential / population:.2f}")


def sync_steps(device: str, sizes: Sizes) -> str:
    """Steps/s of latching-srnn without and with a host sync every step, over the whole run's wall time."""
    config = load_preset("latching-srnn").config.replace(device=device, epochs=1, n_samples=sizes.small_samples,
                                                         probe_every=0)
    rates = []
    for each_step in (False, True):
        trainer = Trainer(config)
        steps = trainer.task.steps_per_epoch()
        rates.append(steps / timed(trainer.run(sync_each_step=each_step)))
    without, with_syncs = rates
    return (f"syncs off {without:.0f} steps/s, syncs every step {with_syncs:.0f} steps/s: "
            f"ratio off/on {without / with_syncs:.2f}")


PARTS = {"imdb-lstm epoch": imdb_epoch, "E4 sweep": e4_sweep, "init comparison": init_population,
         "latching-srnn": sync_steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--quick", action="store_true", help="every part shrunk: seconds, not minutes")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    try:
        _, label = resolve_device(args.device)
    except ConfigError as exc:
        print(f"bench/gpu.py: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(2)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench/gpu.py on {label}, torch {torch.__version__}, load average {load:.2f}"
          f"{' (quick sizes)' if args.quick else ''}")
    began = time.perf_counter()
    for name, part in PARTS.items():
        try:
            line = part(args.device, sizes)
        except (DataUnavailable, KernelUnavailable) as exc:
            line = f"not measured ({' '.join(str(exc).split())})"
        print(f"{name}: {line}", flush=True)
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
