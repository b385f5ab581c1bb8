"""The store's writer thread: a front end hands it work and goes on training.

Each submitted job runs inside its own ``BEGIN IMMEDIATE`` ... ``COMMIT`` on
the thread's connection, so a job is one transaction (one evaluation, one
probe), committed durably before the next starts. ``submit`` returns a
future for the few callers that need an answer (a new run's id).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from .schema import StoreError, connect

Job = Callable[[sqlite3.Connection], Any]


class Writer:
    def __init__(self, path: Path):
        self.path = path
        self._connection = connect(path)     # opened here, so a bad store fails the caller, not the thread
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="rnntui-store-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, job: Job) -> Future:
        future: Future = Future()
        if self._closed:
            future.set_exception(StoreError("the run store is closed"))
        else:
            self._jobs.put((job, future))
        return future

    def close(self) -> None:
        """Commit everything submitted so far, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
            self._thread.join()

    def _loop(self) -> None:
        try:
            while (item := self._jobs.get()) is not None:
                job, future = item
                try:
                    future.set_result(_transaction(self._connection, job))
                except BaseException as exc:   # the caller sees it on its future
                    future.set_exception(exc)
        finally:
            self._connection.close()


def _transaction(connection: sqlite3.Connection, job: Job) -> Any:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = job(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result
