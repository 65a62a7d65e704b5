"""Regular expressions written by businesses, run on what customers type.

They run with the `regex` module and a time limit, so a pattern that backtracks
without end costs a tenth of a second, not a stalled worker.
"""

import logging

import regex

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 0.1


def _run(method: str, pattern: str, text: str) -> bool:
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE)
        return getattr(compiled, method)(text, timeout=TIMEOUT_SECONDS) is not None
    except TimeoutError:
        logger.warning("pattern %.60r gave up after %ss", pattern, TIMEOUT_SECONDS)
        return False
    except (regex.error, TypeError, ValueError, OverflowError, RecursionError):
        return False


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches anywhere in `text` (case-insensitive)."""
    return _run("search", pattern, text)


def fullmatch(pattern: str, text: str) -> bool:
    """Whether `pattern` matches the whole of `text` (case-insensitive)."""
    return _run("fullmatch", pattern, text)


def compiles(pattern: str) -> bool:
    try:
        regex.compile(pattern)
    except (regex.error, TypeError, ValueError, OverflowError, RecursionError):
        return False
    return True
