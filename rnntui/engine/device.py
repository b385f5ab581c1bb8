"""Where a run trains, and with how many CPU threads."""

from __future__ import annotations

import os

import torch

from .config import ConfigError, RunConfig


def resolve_device(name: str) -> tuple[torch.device, str]:
    """The torch device for ``auto``/``cpu``/``cuda`` and a label that says which."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError({"device": "'cuda' was asked for but no CUDA device is available "
                                         "(use device=auto or device=cpu)"})
        index = torch.cuda.current_device()
        return torch.device("cuda", index), f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return torch.device("cpu"), f"cpu ({torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''})"


def prepare_device(config: RunConfig) -> tuple[torch.device, str]:
    """Resolve the device and, on CPU, set the thread count; the label reports both."""
    device, _ = resolve_device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(choose_threads(config))
    return resolve_device(config.device)


def choose_threads(config: RunConfig) -> int:
    """Tiny recurrent models train fastest on one thread; big ones use the idle cores.

    Per-step work of a small RNN is far below the cost of waking a second
    thread (1 thread beat 2 on a 2-core box for the latching model). A second
    thread only pays when the cores are free: with the machine already loaded,
    oneDNN's threads wait on each other and a 2-thread step of a 2-layer LSTM
    took 7-12 s against 0.04 s on one thread (measured here).
    """
    forced = os.environ.get("RNNTUI_THREADS", "")   # the CLI's --threads
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    work = config.batch_size * config.hidden_size * config.layers
    if config.task != "imdb" and work < 4096:
        return 1
    cores = os.cpu_count() or 1
    idle = cores - int(_load_average())   # whole cores busy elsewhere
    return max(1, min(8, idle))


def _load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:   # not available on this platform
        return 0.0


def to_host(*tensors: torch.Tensor) -> list:
    """Each tensor as Python numbers (``tolist``), all of them in one device-to-host transfer.

    The training loop reads the device through here only, so the number of
    syncs a run pays is countable (tests/test_host_sync.py holds it to one per
    read point, none per plain step). On the CPU there is nothing to transfer.
    """
    if all(tensor.device.type == "cpu" for tensor in tensors):
        return [tensor.tolist() for tensor in tensors]
    return gather(tensors)


def gather(tensors) -> list:
    """``tolist`` of each tensor through one concatenated copy to the host (float32 widens exactly)."""
    flat = torch.cat([t.detach().reshape(-1).to(torch.float64) for t in tensors]).cpu()
    values, start = [], 0
    for tensor in tensors:
        values.append(flat[start:start + tensor.numel()].view(tensor.shape).tolist())
        start += tensor.numel()
    return values
