"""The store's tables and version: ``PRAGMA user_version`` counts applied migrations.

A store written by a newer rnntui (a higher version than :data:`SCHEMA_VERSION`)
is refused, never guessed at; an older one is migrated in one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """The store cannot be used (newer schema, not a database, unreadable); the text says why."""


# MIGRATIONS[i] takes a store from version i to version i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        preset TEXT NOT NULL,
        source TEXT NOT NULL,              -- run, sweep, tui
        config TEXT NOT NULL,              -- RunConfig as JSON
        seed INTEGER NOT NULL,
        meta TEXT NOT NULL,                -- what RunStarted said: steps, metric, baseline, ...
        env TEXT NOT NULL,                 -- rnntui, torch and Python versions
        device TEXT NOT NULL,
        host TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        pid INTEGER NOT NULL,
        process_start TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        finished_step INTEGER,
        last_step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL DEFAULT 0,
        metric_name TEXT NOT NULL DEFAULT '',
        final_metric REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX runs_by_preset ON runs(preset, id);
    CREATE INDEX runs_by_status ON runs(status, id);
    CREATE INDEX runs_by_time ON runs(created_at);
    CREATE TABLE steps (
        run_id INTEGER NOT NULL, step INTEGER NOT NULL, epoch REAL, loss REAL, grad_norm REAL,
        clipped_norm REAL, rate REAL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
    CREATE TABLE rows (
        run_id INTEGER NOT NULL, step INTEGER NOT NULL, epoch REAL, train_loss REAL, val_loss REAL,
        metrics TEXT NOT NULL, success INTEGER, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
    CREATE TABLE probes (
        run_id INTEGER NOT NULL, step INTEGER NOT NULL, grad_norm REAL, clipped_norm REAL,
        layer_norms TEXT NOT NULL, spectral_radius TEXT NOT NULL, reach INTEGER NOT NULL,
        profile TEXT NOT NULL, cell_profile TEXT NOT NULL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
    CREATE TABLE views (
        run_id INTEGER NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL, x TEXT NOT NULL,
        truth TEXT NOT NULL, prediction TEXT NOT NULL, PRIMARY KEY (run_id, kind)) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, durable commits."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                     check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open the run store {path}: {exc}") from None
    return connection


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the store to :data:`SCHEMA_VERSION`, or refuse one from a newer rnntui."""
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"the run store {path} was written by a newer rnntui (schema {version}; "
                             f"this one reads up to {SCHEMA_VERSION}): upgrade rnntui or choose "
                             "another store with --store")
        if version == SCHEMA_VERSION:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]   # another process may have won
            for script in MIGRATIONS[version:]:
                for statement in filter(str.strip, script.split(";")):
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise StoreError(f"cannot use the run store {path}: {exc}") from None
