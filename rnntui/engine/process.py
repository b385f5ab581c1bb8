"""Training in a child process: the events of :meth:`Trainer.run`, from another interpreter.

A training loop in the TUI's process shares one GIL with the event loop: a tiny
model lost a third of its speed to the screen, and a keypress waited behind the
training thread (GIL hand-offs of 5 ms, several in a row). A child process has
its own interpreter and its own core. Its events come back in batches over a
pipe (``BATCH_SECONDS`` apart at most, at once for anything but a step, and at
once when paused); pause, step and stop go the other way through
:meth:`RunControl.mirror`. Children fork from a server that has imported torch
already (``forkserver``, where the platform has it), so only the first run pays
for the import. A child whose parent dies finds its pipe closed and stops.

The parent is sent the model's weights as the run ends, and asks for them while
it is paused, so an inspector can rebuild the model here (:meth:`model_copy`).
As everywhere with multiprocessing, a script that starts runs this way must
guard its entry point (``if __name__ == "__main__":``): the server imports it.
"""

from __future__ import annotations

import copy
import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Iterator

from .config import RunConfig
from .control import Command, RunControl
from .events import Event, RunFinished, StepMetrics

if TYPE_CHECKING:
    from .training import Trainer

BATCH_SECONDS = 0.05
WEIGHTS_WAIT_SECONDS = 5.0


class TrainingProcessLost(RuntimeError):
    """The child process ended without finishing its run (killed, or out of memory)."""


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["rnntui.engine.training"])
        return context
    return multiprocessing.get_context("spawn")


def start_server() -> None:
    """Start the fork server now (where there is one), so that it imports torch while the UI comes up.

    Its helper process is handed this process's stderr by file descriptor; a front end that
    captures stderr (Textual does, while an app runs) has none, so the real one is lent for that.
    """
    if _context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    captured = sys.stderr
    try:
        if sys.__stderr__ is not None and not _has_descriptor(captured):
            sys.stderr = sys.__stderr__
        forkserver.ensure_running()
    finally:
        sys.stderr = captured


def _has_descriptor(stream) -> bool:
    try:
        return stream.fileno() >= 0
    except Exception:
        return False


class ProcessTrainer:
    """Starts the run's child at once; :meth:`run` yields its events and forwards ``control``."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        start_server()
        self._conn, child = _context().Pipe()
        self._send_lock = threading.Lock()
        self._weights: SimpleQueue = SimpleQueue()   # replies to a request for the weights
        self._final: bytes | None = None              # the weights the run ended with
        self._local: Trainer | None = None           # built here on demand, for the task and the shapes
        self._process = _context().Process(target=_child_main, name="rnntui-training", daemon=True,
                                           args=(config, child, dict(os.environ), os.getcwd()))
        self._process.start()
        child.close()

    def _send(self, command: Command) -> None:
        with self._send_lock:
            try:
                self._conn.send(command)
            except OSError:   # the child has gone; run() says why
                pass

    def run(self, control: RunControl) -> Iterator[Event]:
        """The child's events, in order, ending with one ``RunFinished``; its errors are raised here."""
        control.mirror(self._send)
        try:
            while True:
                try:
                    kind, payload = self._conn.recv()
                except (EOFError, OSError):
                    self._process.join(5)
                    raise TrainingProcessLost(f"the training process ended unexpectedly "
                                              f"(exit code {self._process.exitcode})") from None
                if kind == "events":
                    yield from payload
                    if isinstance(payload[-1], RunFinished):
                        return
                elif kind == "weights":
                    self._weights.put(payload)
                elif kind == "final":   # comes just before the batch that ends the run
                    self._final = payload
                elif kind == "error":
                    raise payload
        finally:
            control.unmirror(self._send)
            self._conn.close()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()

    def model_copy(self, ended: bool):
        """The run's model as it is (its final weights once ``ended``), or None while it trains
        (weights that change as they are read are no snapshot) or when it never had one."""
        if ended:
            state = self._final
        else:
            while not self._weights.empty():
                self._weights.get()
            self._send(("weights",))
            try:
                state = self._weights.get(timeout=WEIGHTS_WAIT_SECONDS)
            except Empty:
                state = None
        if state is None:
            return None
        import torch

        model = copy.deepcopy(self.local.model)
        model.load_state_dict(torch.load(io.BytesIO(state), weights_only=True))
        return model

    @property
    def local(self) -> "Trainer":
        """The run's task, validation data and an untrained model, built in this process (on the CPU)."""
        if self._local is None:
            from .training import Trainer

            self._local = Trainer(self.config.replace(device="cpu"))
        return self._local

    @property
    def task(self):
        return self.local.task

    @property
    def validation(self):
        return self.local.validation


def _weights(model) -> bytes:
    """The model's weights as bytes: tensors sent as such would be shared through the sender's
    file descriptors, which die with the child."""
    import torch

    buffer = io.BytesIO()
    torch.save({name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def _child_main(config: RunConfig, conn, environment: dict[str, str], cwd: str) -> None:
    """The child: train, send events in batches, follow the parent's commands until the pipe closes."""
    for number in (signal.SIGINT, signal.SIGHUP):   # the parent decides when a run stops
        signal.signal(number, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)   # what the parent sees now, not when the fork server started
    try:
        os.chdir(cwd)
    except OSError:
        pass
    from .training import Trainer

    control = RunControl()
    send_lock = threading.Lock()
    trainer: Trainer | None = None

    def send(message) -> None:
        with send_lock:
            conn.send(message)

    def weights() -> bytes | None:
        with control.held() as parked:
            return _weights(trainer.model) if parked and trainer is not None else None

    def listen() -> None:
        while True:
            try:
                command = conn.recv()
            except (EOFError, OSError):   # the parent is gone: stop, and the next send ends us
                control.stop()
                return
            if command[0] == "weights":
                try:
                    send(("weights", weights()))
                except OSError:
                    return
            else:
                control.follow(command)

    threading.Thread(target=listen, name="rnntui-commands", daemon=True).start()
    try:
        trainer = Trainer(config)
        batch: list[Event] = []
        sent = time.monotonic()
        for event in trainer.run(control):
            batch.append(event)
            now = time.monotonic()
            if isinstance(event, RunFinished):
                send(("final", _weights(trainer.model)))
            if not isinstance(event, StepMetrics) or control.paused or now - sent >= BATCH_SECONDS:
                send(("events", batch))
                batch, sent = [], now
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return   # the parent is gone
    except Exception as exc:   # raised again in the parent: it knows what each error means
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:   # it would not arrive whole: its words, at least
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            send(("error", exc))
        except OSError:
            pass
