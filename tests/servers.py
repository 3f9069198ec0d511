"""Start and stop cache servers for the tests: the reference ``memcached`` and ours.

Two kinds of server, started with the same flags:

- ``"memcached"``: the reference binary found on ``PATH`` (Debian's 1.6.18 here).
  When it is missing: ``pytest.fail`` under ``CI=true`` (CI must never silently
  lose the oracle), ``pytest.skip`` on a developer machine.
- ``"ours"``: ``sys.executable -m memcached_py`` from this work tree.

Every server gets ``-U 0 -l 127.0.0.1 -p <free port>`` (plus ``-u root`` when we
run as root, which memcached demands) followed by the per-test extra args.

Lifetimes (see ``ServerPool``):

- *shared*: one server per (kind, extra args) for the whole session. Tests that
  share one must not depend on what earlier tests left behind; the differential
  harness resets the data with ``flush_all`` before each send.
- *dedicated*: a new server for one test, stopped at its end. Used for anything
  that depends on or changes global state (stats counters, flush_all, shutdown,
  ``-F``/``-C``/``-M`` servers where a ``flush_all`` reset is not possible or not
  exact).

Environment knobs:

- ``MEMCACHED_BIN``: path of the reference binary (default: ``memcached`` on PATH).
- ``MEMCACHED_PY_TARGET=memcached``: run "ours" as the reference binary too. This
  validates the harness itself (every differential test must pass that way).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

Kind = Literal["memcached", "ours"]
KINDS: tuple[Kind, ...] = ("memcached", "ours")

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 15.0  # seconds until the port must accept (ours imports trio: slow-ish)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reference_binary() -> str:
    """Path of the reference memcached; fail (CI) or skip (dev) when missing."""
    name = os.environ.get("MEMCACHED_BIN", "memcached")
    path = shutil.which(name)
    if path is None:
        msg = f"reference memcached binary {name!r} not found on PATH"
        if in_ci():
            pytest.fail(msg + " (CI=true: the oracle is required, install memcached)")
        pytest.skip(msg)
    return path


def target_is_reference() -> bool:
    """True when MEMCACHED_PY_TARGET=memcached: "ours" is the reference binary."""
    return os.environ.get("MEMCACHED_PY_TARGET", "") == "memcached"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def base_args(port: int) -> list[str]:
    args = ["-U", "0", "-l", "127.0.0.1", "-p", str(port)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args += ["-u", "root"]
    return args


def command_for(kind: Kind) -> list[str]:
    if kind == "memcached" or target_is_reference():
        return [reference_binary()]
    if not (REPO_ROOT / "memcached_py" / "cli.py").exists():
        msg = "memcached_py/cli.py does not exist yet: our daemon cannot start"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return [sys.executable, "-m", "memcached_py"]


@dataclass
class Server:
    """One running server process listening on 127.0.0.1:port."""

    kind: Kind
    args: tuple[str, ...]
    port: int
    proc: subprocess.Popen[bytes]
    stderr_path: str
    started: float = field(default_factory=time.monotonic)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def stderr_text(self) -> str:
        try:
            return Path(self.stderr_path).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def connect(self, timeout: float = 2.0) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.unlink(self.stderr_path)

    def __repr__(self) -> str:
        return f"<{self.kind} :{self.port} {' '.join(self.args)}>"


def spawn(kind: Kind, args: Sequence[str] = ()) -> Server:
    """Start a server without waiting for it (see ``wait_ready``)."""
    port = free_port()
    cmd = [*command_for(kind), *base_args(port), *args]
    fd, stderr_path = tempfile.mkstemp(prefix=f"{kind}-{port}-", suffix=".log")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with os.fdopen(fd, "wb") as errfile:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=errfile,
            stderr=errfile,
            cwd=str(REPO_ROOT),
            env=env,
        )
    return Server(kind=kind, args=tuple(args), port=port, proc=proc, stderr_path=stderr_path)


def wait_ready(server: Server, timeout: float = START_TIMEOUT) -> Server:
    """Wait until the server's port accepts; fail the test with its stderr if it dies."""
    deadline = time.monotonic() + timeout
    while True:
        if not server.alive():
            msg = (
                f"{server!r} exited with code {server.proc.returncode} before accepting "
                f"connections; output:\n{server.stderr_text()}"
            )
            server.stop()
            pytest.fail(msg)
        try:
            with socket.create_connection(server.address, timeout=0.5):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"{server!r} did not accept connections within {timeout}s")
        time.sleep(0.02)


def start(kind: Kind, args: Sequence[str] = ()) -> Server:
    """Start a server and wait until it accepts connections."""
    return wait_ready(spawn(kind, args))


def start_many(specs: Sequence[tuple[Kind, Sequence[str]]]) -> list[Server]:
    """Start several servers concurrently (spawn all, then wait for each)."""
    spawned = [spawn(kind, args) for kind, args in specs]
    try:
        return [wait_ready(s) for s in spawned]
    except BaseException:
        for s in spawned:
            s.stop()
        raise


class ServerPool:
    """Session-wide cache of shared servers keyed by (kind, extra args)."""

    def __init__(self) -> None:
        self._shared: dict[tuple[Kind, tuple[str, ...]], Server] = {}

    def shared(self, kind: Kind, args: Sequence[str] = ()) -> Server:
        key = (kind, tuple(args))
        server = self._shared.get(key)
        if server is not None and not server.alive():
            server.stop()
            server = None
        if server is None:
            server = start(kind, args)
            self._shared[key] = server
        return server

    @contextlib.contextmanager
    def dedicated(self, kind: Kind, args: Sequence[str] = ()) -> Iterator[Server]:
        """A fresh server for one test, stopped afterwards."""
        server = start(kind, args)
        try:
            yield server
        finally:
            server.stop()

    def close(self) -> None:
        for server in self._shared.values():
            server.stop()
        self._shared.clear()
