"""The Runs tab: every run in the store, this session's and earlier ones, a page at a time."""

from .table import PAGE_SIZE, StoredRunTable

__all__ = ["PAGE_SIZE", "StoredRunTable"]
