"""Run memcaslap (libmemcached-tools) against one server and parse its TPS."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: 16-byte keys, 100-byte values, 10% set / 90% get (memcaslap's -F format:
#: cmd type 0 = set, 1 = get).
CONFIG = """\
key
16 16 1
value
100 100 1
cmd
0 0.1
1 0.9
"""


class MemaslapError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class MemaslapResult:
    tps: float
    ops: int
    seconds: float
    get_misses: int
    output: str


def executable() -> str | None:
    return shutil.which("memcaslap") or shutil.which("memaslap")


def run(
    port: int,
    *,
    seconds: float,
    concurrency: int = 16,
    threads: int = 1,
    division: int = 1,
    value_size: int = 100,
) -> MemaslapResult:
    """``memcaslap -s 127.0.0.1:PORT -T threads -c concurrency -t Ns -F cfg -X 100 [-d N]``."""
    exe = executable()
    if exe is None:
        raise MemaslapError("memcaslap not found (Debian package libmemcached-tools)")
    with tempfile.TemporaryDirectory(prefix="bench-memaslap-") as tmp:
        cfg = Path(tmp) / "memaslap.cfg"
        cfg.write_text(CONFIG.replace("100 100 1", f"{value_size} {value_size} 1"))
        argv = [
            exe,
            "-s",
            f"127.0.0.1:{port}",
            "-T",
            str(threads),
            "-c",
            str(concurrency),
            "-t",
            f"{max(1, round(seconds))}s",
            "-F",
            str(cfg),
            "-X",
            str(value_size),
        ]
        if division > 1:
            argv += ["-d", str(division)]
        try:
            res = subprocess.run(
                argv, capture_output=True, text=True, timeout=seconds + 60, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as e:
            raise MemaslapError(f"memcaslap did not finish: {' '.join(argv)}") from e
    out = res.stdout + res.stderr
    m = re.search(r"Run time: ([\d.]+)s Ops: (\d+) TPS: (\d+)", out)
    if res.returncode != 0 or m is None:
        raise MemaslapError(
            f"memcaslap failed (exit {res.returncode}): {' '.join(argv)}\n{out[-2000:]}"
        )
    misses = re.search(r"get_misses: (\d+)", out)
    return MemaslapResult(
        tps=float(m.group(3)),
        ops=int(m.group(2)),
        seconds=float(m.group(1)),
        get_misses=int(misses.group(1)) if misses else 0,
        output=out,
    )
