"""The run store: every run any front end trains, kept in one SQLite file.

- ``location``: where the store lives (``RNNTUI_STORE``, else the user data dir)
- ``schema``: the tables, the schema version and its migrations
- ``liveness``: which process owns a running run, and whether it still lives
- ``writer``: the background thread that commits, so training never waits on disk
- ``codec``: events to rows and back
- ``database``: :class:`RunStore` (open, list, load, delete) and its :class:`Recorder`

The store imports no torch: ``rnntui runs list`` answers at once.
"""

from .database import Recorder, RunFilter, RunStore, RunSummary
from .location import default_store_path
from .schema import SCHEMA_VERSION, StoreError

__all__ = ["Recorder", "RunFilter", "RunStore", "RunSummary", "SCHEMA_VERSION", "StoreError",
           "default_store_path"]
