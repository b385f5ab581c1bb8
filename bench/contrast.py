"""A contrast's two runs: one after the other, at once in two threads, or as one population of two.

The lab's contrast key (v) trains a preset and its partner side by side. This
measures the ways it could: two ordinary runs (``train()``, the fused kernel
between probes) one after the other or in two threads, against the engine's
population trainer (the sweep's, one optimizer step for both members; P > 1
steps through time in Python, since the fused kernel takes one member). A
population needs the same architecture and clipping mode, which most pairs do
not share, so the population here holds the preset twice (seeds 0 and 1): its
best case. Usage: python bench/contrast.py [--preset NAME] [--iterations N]
"""

from __future__ import annotations

import argparse
import threading
import time

from rnntui.engine.config import RunConfig
from rnntui.engine.contrast import find_partner, partner_config
from rnntui.engine.presets import load_preset
from rnntui.engine.sweep import SweepSpec, sweep
from rnntui.engine.training import train


def drain(config: RunConfig) -> None:
    for _ in train(config):
        pass


def one_after_the_other(configs: list[RunConfig]) -> float:
    start = time.perf_counter()
    for config in configs:
        drain(config)
    return time.perf_counter() - start


def in_two_threads(configs: list[RunConfig]) -> float:
    threads = [threading.Thread(target=drain, args=(config,)) for config in configs]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def as_one_population(config: RunConfig) -> float:
    """Two members, seeds 0 and 1, through the sweep's PyTorch population trainer (no probes)."""
    spec = SweepSpec(base=config, field="lr", values=(config.lr,), cells=(config.cell,), repeats=2, backend="torch")
    start = time.perf_counter()
    for _ in sweep(spec):
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="explode-clip")
    parser.add_argument("--iterations", type=int, default=300, help="training steps per run")
    args = parser.parse_args()
    preset = load_preset(args.preset)
    config = preset.config.replace(iterations=args.iterations, device="cpu")
    partner = find_partner(preset, [])
    pair = [config, partner_config(preset, config, partner) if partner else config.replace(seed=1)]
    twin = [config, config.replace(seed=1)]
    print(f"{args.preset} beside {partner.name if partner else 'itself (seed 1)'}, "
          f"{args.iterations} iterations each, on the CPU")
    drain(config.replace(iterations=5))   # warm up: torch's first calls are slow
    sequential = one_after_the_other(pair)
    concurrent = in_two_threads(pair)
    print(f"  the pair one after the other:  {sequential:6.2f} s")
    print(f"  the pair in two threads:       {concurrent:6.2f} s   ({sequential / concurrent:.2f}x faster)")
    twin_sequential = one_after_the_other(twin)
    population = as_one_population(config)
    print(f"  {args.preset} twice, one after the other: {twin_sequential:6.2f} s")
    print(f"  {args.preset} twice as one population:    {population:6.2f} s   "
          f"({population / twin_sequential:.2f}x the time of two runs, without probes)")


if __name__ == "__main__":
    main()
