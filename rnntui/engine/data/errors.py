"""The one error the data loaders raise; the CLI prints its message, no traceback."""


class DataUnavailable(Exception):
    """Data cannot be found, fetched or read; the message says what to do."""
