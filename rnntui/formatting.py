"""Text shared by every front end (headless lines, TUI status, sweep views)."""


def format_duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def printable(text: str) -> str:
    """``text`` on one line with control characters (ANSI escapes, newlines) written as ``\\x1b``-style
    escapes, so a hostile name or argument cannot restyle or rewrite the user's terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
