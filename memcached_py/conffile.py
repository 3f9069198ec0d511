"""The ``--config FILE`` format: ``key = value`` lines.

Keys are ``Settings`` field names (memcached's long option or ``-o``
sub-option names with ``-`` -> ``_``). Values are written exactly as on the
command line, in the flag's units (``memory_limit = 64`` is 64 megabytes,
``max_item_size = 1m``, ``slab_chunk_max = 512`` kilobytes); booleans are
``true`` / ``false``. Blank lines and lines starting with ``#`` are ignored.
A key given twice: the last one wins.

This module only reads the file into strings; ``memcached_py.cli`` converts
and validates them with the same code as the flags.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

#: sysexits.h: the configuration file is wrong / cannot be read.
EX_CONFIG = 78
EX_NOINPUT = 66


class ConfFileError(Exception):
    """The file cannot be read or a line is malformed."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class ConfValue:
    value: str
    #: ``path:line``, for error messages.
    origin: str


def parse_conf(text: str, path: str, keys: Collection[str]) -> dict[str, ConfValue]:
    """Parse conf file text; ``keys`` are the accepted key names."""
    values: dict[str, ConfValue] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        origin = f"{path}:{number}"
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfFileError(f"{origin}: expected 'key = value', got {raw!r}", EX_CONFIG)
        if key not in keys:
            raise ConfFileError(f"{origin}: unknown setting {key!r}", EX_CONFIG)
        values.pop(key, None)  # keep the order of the last occurrence
        values[key] = ConfValue(value.strip(), origin)
    return values


def read_conf(path: str, keys: Collection[str]) -> dict[str, ConfValue]:
    """Read and parse ``path``; raises ``ConfFileError``."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfFileError(f"Could not read config file {path}: {reason}", EX_NOINPUT) from exc
    return parse_conf(text, path, keys)
