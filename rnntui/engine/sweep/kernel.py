"""The compiled sweep kernel: many one-unit models trained in C, one thread per core.

``kernel.c`` is built on first use with the system C compiler into the
user cache (``RNNTUI_CACHE`` or the platform's; a second of compile time, keyed
by the source, the machine and the flags) and loaded with ctypes. The cache
directory is 0700 and a library is loaded only when it is the user's own file,
writable by nobody else, with the sha256 recorded at build time; anything else
is rebuilt. ctypes calls release the GIL, so disjoint member ranges train in
parallel Python threads. Without a compiler, or with
``RNNTUI_SWEEP_KERNEL=0``, :func:`load` says why and the sweep falls back to the
batched PyTorch path, which the tests hold the kernel to (~1e-6).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import RunConfig

SOURCE = Path(__file__).with_name("kernel.c")
CELL_CODES = {"rnn_tanh": 0, "rnn_relu": 1, "lstm": 2, "gru": 3}
OPTIMIZER_CODES = {"adam": 0, "sgd": 1, "rmsprop": 2}
CLIP_CODES = {"none": 0, "global_norm": 1, "tensor_norm": 2, "value": 3}
MAX_OUTPUTS = 8
GROUP = 4          # members per wide vector, as in kernel.c
FLAG_SETS = (["-O3", "-march=native"], ["-O3"])
COMMON_FLAGS = ["-fPIC", "-shared", "-fno-math-errno", "-fno-trapping-math", "-Wno-psabi"]


class KernelUnavailable(RuntimeError):
    """The kernel cannot be built or loaded here; the message says why."""


class Member(ctypes.Structure):
    """One model's data, hyperparameters and state, as ``kernel.c`` reads it."""

    _fields_ = [(name, ctypes.c_int32) for name in
                ("cell", "hard_gate", "has_bhh", "reverse", "optimizer", "clip", "length", "outputs",
                 "n_train", "n_val")] + \
               [(name, ctypes.c_float) for name in ("lr", "momentum", "clip_threshold")] + \
               [(name, ctypes.c_void_p) for name in
                ("train_x", "train_y", "order", "val_x", "params", "state_a", "state_b", "losses")] + \
               [("diverged_step", ctypes.c_int64)]


def _cache_dir() -> Path:
    """``<RNNTUI_CACHE or the user cache>/kernels``, as the IMDB cache."""
    import platformdirs

    return Path(os.environ.get("RNNTUI_CACHE") or platformdirs.user_cache_dir("rnntui")).expanduser() / "kernels"


def _private_dir(path: Path) -> None:
    """Make ``path`` a directory only this user can enter (0700), or raise OSError saying why not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise OSError(f"{path} belongs to another user")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)


def _trusted(target: Path) -> bool:
    """A built library is loaded only if it is this user's regular file, writable by nobody else,
    and its sha256 equals the one recorded when it was built."""
    try:
        info = target.lstat()
        record = _record(target).read_text().strip()
    except OSError:
        return False
    return (stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022
            and record == _sha256(target))


def _record(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _compile(compiler: str, flags: list[str], target: Path) -> None:
    """Build into a private temporary directory, record the hash, then move both into place."""
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        subprocess.run([compiler, *flags, *COMMON_FLAGS, "-o", str(built), str(SOURCE), "-lm"],
                       check=True, capture_output=True, timeout=120)
        built.chmod(0o700)
        record = Path(scratch) / _record(target).name
        record.write_text(_sha256(built) + "\n")
        os.replace(record, _record(target))
        os.replace(built, target)


def load() -> ctypes.CDLL:
    """The built kernel library; raises :class:`KernelUnavailable` with the reason."""
    library = _build_once()
    if isinstance(library, str):
        raise KernelUnavailable(library)
    return library


def forget() -> None:
    """Forget the build outcome, so the next :func:`load` looks again (after changing CC or the switch)."""
    _build_once.cache_clear()


@functools.cache
def _build_once() -> ctypes.CDLL | str:
    """The library, or why there is none (remembered: a failing compiler runs once per process)."""
    if os.environ.get("RNNTUI_SWEEP_KERNEL", "1") == "0":
        return "disabled by RNNTUI_SWEEP_KERNEL=0"
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        return "no C compiler found (set CC)"
    problems = []
    for flags in FLAG_SETS:
        key = hashlib.sha256(SOURCE.read_bytes() + " ".join([compiler, *flags, platform.machine(),
                                                             platform.node()]).encode()).hexdigest()[:16]
        target = _cache_dir() / f"sweep_kernel-{key}.so"
        try:
            _private_dir(target.parent)
            if not _trusted(target):      # missing, planted or changed: build it again
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                _compile(compiler, flags, target)
                if not _trusted(target):
                    raise OSError(f"{target} changed while it was built")
            library = ctypes.CDLL(str(target))
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            problems.append(f"{' '.join(flags)}: {detail.decode(errors='replace').strip() or exc}")
            continue
        members = ctypes.POINTER(Member)
        library.sweep_train.argtypes = [members, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_int]
        library.sweep_logits.argtypes = [members, ctypes.c_int, ctypes.c_void_p]
        return library
    return "could not build the sweep kernel: " + "; ".join(problems)


def unsupported(config: RunConfig, task) -> str | None:
    """Why the kernel cannot train this member (None when it can)."""
    checks = [
        (task.streaming or task.carries_state, "streaming tasks"),
        (task.vocab_size is not None or task.input_size != 1, "inputs other than one feature"),
        (task.output_at != "last" or task.loss_kind != "cross_entropy", "losses other than last-step cross-entropy"),
        (task.output_size > MAX_OUTPUTS, f"more than {MAX_OUTPUTS} classes"),
        (config.hidden_size != 1 or config.layers != 1, "more than one unit or layer"),
        (config.input_dropout > 0, "input dropout"),
        (not hasattr(task, "train_inputs"), "tasks without a fixed data set"),
    ]
    return next((reason for failed, reason in checks if failed), None)


@dataclass
class KernelMember:
    """Everything one member needs in C; tensors are kept alive here."""

    config: RunConfig
    params: torch.Tensor        # flat float32, the model's parameters in order
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    order: torch.Tensor         # [steps, batch] int64, -1 pads short batches
    has_bhh: bool
    outputs: int

    def __post_init__(self) -> None:
        self.state_a = torch.zeros_like(self.params)
        self.state_b = torch.zeros_like(self.params)
        self.losses = torch.zeros(self.order.shape[0])

    def struct(self) -> Member:
        c = self.config
        return Member(
            cell=CELL_CODES[c.cell], hard_gate=int(c.gate_activation == "hard_sigmoid"), has_bhh=int(self.has_bhh),
            reverse=int(c.reverse), optimizer=OPTIMIZER_CODES[c.optimizer], clip=CLIP_CODES[c.clip],
            length=c.seq_len, outputs=self.outputs, n_train=self.train_x.shape[0], n_val=self.val_x.shape[0],
            lr=c.lr, momentum=c.momentum, clip_threshold=c.clip_threshold,
            train_x=self.train_x.data_ptr(), train_y=self.train_y.data_ptr(), order=self.order.data_ptr(),
            val_x=self.val_x.data_ptr(), params=self.params.data_ptr(), state_a=self.state_a.data_ptr(),
            state_b=self.state_b.data_ptr(), losses=self.losses.data_ptr(), diverged_step=0)


def _contiguous(tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return tensor.detach().to("cpu", dtype).contiguous()


def kernel_member(config: RunConfig, task, model, order: torch.Tensor) -> KernelMember:
    """Pack a one-member ``RecurrentModel`` and its task's data in the kernel's layout."""
    n_train, n_val = task.train_inputs.shape[0], task.val_inputs.shape[0]
    layer = model.layers[0]
    params = [t for t in (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh, model.readout_w, model.readout_b)
              if t is not None]
    return KernelMember(
        config=config, params=_contiguous(torch.cat([p.reshape(-1) for p in params]), torch.float32),
        train_x=_contiguous(task.train_inputs.reshape(n_train, -1), torch.float32),
        train_y=_contiguous(task.train_targets, torch.int64),
        val_x=_contiguous(task.val_inputs.reshape(n_val, -1), torch.float32),
        order=_contiguous(order, torch.int64), has_bhh=len(params) == 6, outputs=task.output_size)


def _shape(member: KernelMember) -> tuple:
    """Members with equal shapes can share one of the kernel's wide vectors."""
    c = member.config
    return (c.cell, c.gate_activation, member.has_bhh, c.reverse, c.seq_len, member.outputs,
            member.train_x.shape[0], member.val_x.shape[0])


class KernelBatch:
    """Members trained together: bundled by shape, bundles spread over threads by cost."""

    def __init__(self, members: list[KernelMember], threads: int):
        self.library = load()
        by_shape: dict[tuple, list[int]] = {}
        for index, member in enumerate(members):
            by_shape.setdefault(_shape(member), []).append(index)
        bundles = [indices[i:i + GROUP] for indices in by_shape.values() for i in range(0, len(indices), GROUP)]
        # A bundle costs what one member costs: its members ride in the same vector.
        cost = [members[b[0]].config.seq_len * (4 if members[b[0]].config.cell in ("lstm", "gru") else 1)
                for b in bundles]
        shares: list[list[int]] = [[] for _ in range(max(1, min(threads, len(bundles))))]
        loads = [0] * len(shares)
        for bundle in sorted(range(len(bundles)), key=lambda i: -cost[i]):
            lightest = loads.index(min(loads))
            shares[lightest].extend(bundles[bundle])
            loads[lightest] += cost[bundle]
        self.order = [i for share in shares for i in share]       # thread ranges are contiguous
        self.members = [members[i] for i in self.order]
        self.structs = (Member * len(self.members))(*[m.struct() for m in self.members])
        bounds = [0]
        for share in shares:
            bounds.append(bounds[-1] + len(share))
        self.ranges = list(zip(bounds[:-1], bounds[1:]))
        self.pool = ThreadPoolExecutor(len(self.ranges)) if len(self.ranges) > 1 else None

    def _each_range(self, call) -> None:
        """``call(members_pointer, count, start)`` on every thread's range at once."""
        jobs = [(ctypes.cast(ctypes.byref(self.structs, start * ctypes.sizeof(Member)), ctypes.POINTER(Member)),
                 stop - start, start) for start, stop in self.ranges]
        results = list(self.pool.map(lambda job: call(*job), jobs)) if self.pool else [call(*jobs[0])]
        if any(code != 0 for code in results):
            raise MemoryError("the sweep kernel could not allocate its workspace")

    def train(self, step_begin: int, step_end: int, batch: int) -> None:
        """Optimizer steps ``[step_begin, step_end)`` (0-based) for every member."""
        self._each_range(lambda members, count, _: self.library.sweep_train(members, count, step_begin,
                                                                           step_end, batch))

    def diverged_steps(self) -> list[int]:
        """Per member (in the caller's order): 0, or the 1-based step that diverged."""
        steps = [0] * len(self.members)
        for position, index in enumerate(self.order):
            steps[index] = self.structs[position].diverged_step
        return steps

    def validation_logits(self) -> list[torch.Tensor]:
        """Per member (in the caller's order): ``[1, n_val, outputs]`` logits."""
        sizes = [m.val_x.shape[0] * m.outputs for m in self.members]
        offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        flat = torch.empty(sum(sizes))
        self._each_range(lambda members, count, start: self.library.sweep_logits(
            members, count, flat.data_ptr() + 4 * offsets[start]))
        logits = [None] * len(self.members)
        for position, index in enumerate(self.order):
            m = self.members[position]
            logits[index] = flat[offsets[position]:offsets[position] + sizes[position]].reshape(
                1, m.val_x.shape[0], m.outputs)
        return logits

    def params(self) -> list[torch.Tensor]:
        """Final flat parameters per member, in the caller's order."""
        result = [None] * len(self.members)
        for position, index in enumerate(self.order):
            result[index] = self.members[position].params
        return result

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown()
