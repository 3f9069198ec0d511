"""Process lifecycle: build the store, engine and server; bind; signals; exit.

Order of start-up, like memcached's: daemonize (``-d``), bind every listener,
write ``MEMCACHED_PORT_FILENAME``, drop privileges (``-u``), write the pid
file, then serve. Signals:

- SIGTERM / SIGINT: close listeners first (new clients are refused at once),
  then close every connection and exit 0.
- SIGUSR1 (and ``shutdown graceful``): close listeners, finish every reply
  already being written, then exit 0.
- SIGHUP: reload TLS certificates and the ``-Y`` auth file.

While serving, freed C heap memory goes back to the OS once a second
(``heap.trim_forever``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys

import trio

import slab
from memcached_py import heap
from memcached_py.auth import load_auth_file
from memcached_py.engine import Engine, slab_config, wall_clock
from memcached_py.listen import ListenError
from memcached_py.server import Server
from memcached_py.settings import Settings
from memcached_py.tls import TLSConfigError

log = logging.getLogger("memcached_py")

#: Signals the daemon acts on (see the module docstring).
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGHUP)
#: Exit status for a failure to start that is not a usage error (memcached: EX_OSERR).
EXIT_STARTUP_FAILED = 71


def build_server(settings: Settings) -> Server:
    """Store + engine + server, not yet bound."""
    # One clock for store and engine, refreshed by the server once per
    # event-loop round (see slab/_clock.py): not a system call per access.
    clock = slab.CachedClock(wall_clock)
    store = slab.Store(slab_config(settings), clock)

    def make_engine(server: Server) -> Engine:
        return Engine(settings, store, clock, control=server)

    server = Server(settings, make_engine)
    if settings.auth_file:
        server.engine.auth = load_auth_file(settings.auth_file)
        server.auth_reloader = lambda: _reload_auth(server, settings.auth_file or "")
    return server


def _reload_auth(server: Server, path: str) -> str | None:
    try:
        server.engine.auth = load_auth_file(path)
    except (OSError, ValueError) as exc:
        return str(exc)
    return None


def write_port_file(path: str, server: Server) -> None:
    """memcached's MEMCACHED_PORT_FILENAME: lines written to ``<f>.lck``, renamed to ``<f>``."""
    lines = []
    for family, port in server.bound.tcp:
        kind = "INET6" if family == socket.AF_INET6 else "INET"
        lines.append(f"TCP {kind}: {port}\n")
    tmp = path + ".lck"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.rename(tmp, path)


def drop_privileges(user: str) -> None:
    """Become ``user`` after binding (only meaningful as root)."""
    import pwd

    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def daemonize() -> None:
    """Detach like memcached's ``-d``: double fork, new session, stdio to /dev/null."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def run(settings: Settings) -> int:
    """Run the daemon until it is stopped; the process exit status."""
    logging.basicConfig(
        level=logging.WARNING if settings.verbose == 0 else logging.DEBUG,
        format="%(message)s",
        stream=sys.stderr,
    )
    if settings.daemon:
        daemonize()
    # A signal that arrives before trio listens for it (a supervisor may stop us
    # as soon as the port is up) is remembered and acted on once we serve.
    early_signals: list[int] = []
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, lambda received, _frame: early_signals.append(received))
    try:
        server = build_server(settings)
        server.bind()
    except (OSError, ListenError, TLSConfigError, ValueError) as exc:
        print(f"failed to listen: {exc}", file=sys.stderr)
        return EXIT_STARTUP_FAILED
    port_file = os.environ.get("MEMCACHED_PORT_FILENAME")
    if port_file:
        write_port_file(port_file, server)
    if settings.user and os.geteuid() == 0:
        drop_privileges(settings.user)
    if settings.pidfile:
        with open(settings.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    try:
        trio.run(_serve_with_signals, server, early_signals)
    finally:
        if settings.pidfile:
            with contextlib.suppress(OSError):
                os.unlink(settings.pidfile)
    return 0


async def _serve_with_signals(server: Server, early_signals: list[int]) -> None:
    with trio.open_signal_receiver(*HANDLED_SIGNALS) as received:
        async with trio.open_nursery() as nursery:

            def act_on(signum: int) -> None:
                if signum == signal.SIGHUP:
                    _reload(server)
                else:
                    server.request_shutdown(graceful=signum == signal.SIGUSR1)

            async def watch_signals() -> None:
                for signum in early_signals:
                    act_on(signum)
                async for signum in received:
                    act_on(signum)

            nursery.start_soon(watch_signals)
            nursery.start_soon(heap.trim_forever)
            await server.serve()
            nursery.cancel_scope.cancel()


def _reload(server: Server) -> None:
    for reload in (server.refresh_certs if server.tls else None, server.auth_reloader):
        if reload is None:
            continue
        error = reload()
        if error:
            log.warning("reload failed: %s", error)
