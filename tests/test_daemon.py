"""End-to-end tests of the daemon process: listeners, limits, signals, shutdown.

Each test starts a real ``python -m memcached_py`` process and talks to it over
sockets, as a user's client would.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymemcache.client.base import Client

from tests.servers import REPO_ROOT, Server, free_port, start

DAEMON = [sys.executable, "-m", "memcached_py"]


def root_args() -> list[str]:
    return ["-u", "root"] if os.geteuid() == 0 else []


def env_with_repo() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def daemon(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [*DAEMON, *root_args(), *args],
        env=env or env_with_repo(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def connects(address: object, family: int = socket.AF_INET) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.connect(address)  # type: ignore[arg-type]
        except OSError:
            return False
        return True


def stats(server_address: tuple[str, int]) -> dict[str, str]:
    with socket.create_connection(server_address, timeout=5) as s:
        s.sendall(b"stats\r\n")
        data = recv_until(s, b"END\r\n")
    result = {}
    for line in data.decode().splitlines():
        parts = line.split(" ", 2)
        if parts[0] == "STAT":
            result[parts[1]] = parts[2]
    return result


def recv_until(sock: socket.socket, terminator: bytes, limit: int = 1 << 30) -> bytes:
    data = bytearray()
    while not data.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)


@pytest.fixture
def server() -> Iterator[Server]:
    s = start("ours")
    yield s
    s.stop()


def test_pymemcache_set_get(server: Server) -> None:
    client = Client(server.address)
    assert client.set("greeting", b"hello")
    assert client.get("greeting") == b"hello"
    client.close()


def test_unix_socket_serves_and_has_mode() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mc.sock")
        with daemon(["-s", path, "-a", "600"]) as proc:
            wait_for(lambda: os.path.exists(path) and connects(path, socket.AF_UNIX))
            assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
            client = Client(path)
            assert client.set("k", b"v")
            assert client.get("k") == b"v"
            client.close()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
        assert not os.path.exists(path)


def test_connection_limit_refuses_with_error_and_counts() -> None:
    server = start("ours", ["-c", "2"])
    try:
        first = server.connect()

        def only_first_is_open() -> bool:
            first.sendall(b"stats\r\n")
            return b"STAT curr_connections 1\r\n" in recv_until(first, b"END\r\n")

        wait_for(only_first_is_open)  # the readiness probe's close has been seen
        second = server.connect()
        second.sendall(b"version\r\n")
        assert recv_until(second, b"\r\n").startswith(b"VERSION ")
        third = server.connect()
        assert recv_until(third, b"\r\n") == b"ERROR Too many open connections\r\n"
        assert third.recv(10) == b""  # closed by the server
        third.close()
        second.close()
        first.sendall(b"stats\r\n")
        assert b"STAT rejected_connections 1\r\n" in recv_until(first, b"END\r\n")
        first.close()
    finally:
        server.stop()


def test_idle_timeout_closes_and_counts() -> None:
    server = start("ours", ["-o", "idle_timeout=1"])
    try:
        idle = server.connect(timeout=5)
        idle.sendall(b"version\r\n")
        recv_until(idle, b"\r\n")
        assert idle.recv(10) == b""  # the server closed it after ~1-2 s
        assert stats(server.address)["idle_kicks"] == "1"
    finally:
        server.stop()


def test_timers_and_signals_run_under_steady_traffic() -> None:
    """The event loop waits for busy sockets in its own epoll (server.py,
    DIRECT_WAIT) and hands control to trio only now and then: trio's timers
    (idle timeout) and signal handling (SIGTERM) must still run while a
    client keeps one request in flight all the time."""
    server = start("ours", ["-o", "idle_timeout=1"])
    stop = threading.Event()
    served = [0]

    def keep_busy() -> None:
        with socket.create_connection(server.address, timeout=5) as busy:
            while not stop.is_set():
                try:
                    busy.sendall(b"get k\r\n")
                    if recv_until(busy, b"END\r\n") != b"END\r\n":
                        return
                except OSError:
                    return  # the SIGTERM below closed it
                served[0] += 1

    threads = [threading.Thread(target=keep_busy, daemon=True) for _ in range(2)]
    try:
        idle = server.connect(timeout=5)
        idle.sendall(b"version\r\n")
        recv_until(idle, b"\r\n")
        for thread in threads:
            thread.start()
        # The busy clients' own idle clocks keep resetting; the idle one's runs out.
        assert idle.recv(10) == b""
        assert served[0] > 100, served
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        server.stop()


def test_sigterm_refuses_new_connections_and_exits_zero_quickly(server: Server) -> None:
    busy = server.connect()
    busy.sendall(b"set a 0 0 1\r\na\r\n")
    assert recv_until(busy, b"\r\n") == b"STORED\r\n"
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=2) == 0
    assert time.monotonic() - started < 2
    assert not connects(server.address)
    busy.close()


def test_sigusr1_finishes_a_multi_megabyte_multiget(server: Server) -> None:
    client = Client(server.address)
    values = {f"big{i}": bytes([65 + i]) * 500_000 for i in range(12)}
    for key, value in values.items():
        assert client.set(key, value, noreply=False)
    client.close()
    reader = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # before connect
    reader.settimeout(10)
    reader.connect(server.address)
    reader.sendall(b"get " + b" ".join(k.encode() for k in values) + b"\r\n")
    first = reader.recv(1000)  # the reply is being written now
    assert first.startswith(b"VALUE big0 0 500000")
    server.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: not connects(server.address), timeout=5)
    time.sleep(0.2)  # the server is now draining while we read slowly
    rest = recv_until(reader, b"END\r\n")
    reply = first + rest
    expected = b"".join(
        b"VALUE %s 0 %d\r\n%s\r\n" % (k.encode(), len(v), v) for k, v in values.items()
    )
    assert reply == expected + b"END\r\n"
    assert server.proc.wait(timeout=5) == 0, server.stderr_text()


def test_shutdown_command_needs_A_and_stops(server: Server) -> None:
    with server.connect() as s:
        s.sendall(b"shutdown\r\n")
        assert recv_until(s, b"\r\n") == b"SERVER_ERROR: shutdown not enabled\r\n"
    enabled = start("ours", ["-A"])
    with enabled.connect() as s:
        s.sendall(b"shutdown graceful\r\n")
        assert s.recv(100) == b""
    assert enabled.proc.wait(timeout=5) == 0


def test_ephemeral_port_written_to_port_file() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "ports")
        env = env_with_repo()
        env["MEMCACHED_PORT_FILENAME"] = port_file
        with daemon(["-p", "-1", "-l", "127.0.0.1"], env=env) as proc:
            wait_for(lambda: os.path.exists(port_file))
            line = Path(port_file).read_text()
            assert line.startswith("TCP INET: ")
            port = int(line.split(":")[1])
            assert port > 0 and connects(("127.0.0.1", port))
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=5) == 0


def test_daemonize_writes_pidfile_matching_stats_pid() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        args = [*DAEMON, *root_args(), "-d", "-P", pidfile, "-p", str(port), "-U", "0"]
        assert subprocess.run(args, env=env_with_repo(), timeout=10).returncode == 0
        wait_for(lambda: os.path.exists(pidfile) and connects(("127.0.0.1", port)))
        pid = int(Path(pidfile).read_text())
        try:
            assert stats(("127.0.0.1", port))["pid"] == str(pid)
        finally:
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists(pidfile))


def test_bad_input_never_kills_the_server(server: Server) -> None:
    rng = random.Random(1234)
    healthy = Client(server.address)
    healthy.set("keep", b"me")
    garbage = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 5000))) for _ in range(40)]
    garbage += [
        b"\x80\x01\x00\x03\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00foo",
        b"\x80" + b"\x00" * 23,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"set k 0 0 100000000\r\n",
        b"get " + b"k" * 5000,
        b"x" * 100_000,
    ]
    for blob in garbage:
        with server.connect() as s:
            s.sendall(blob)
            if rng.random() < 0.5:
                s.shutdown(socket.SHUT_WR)  # half-closed
            s.settimeout(0.2)
            with contextlib.suppress(OSError):
                s.recv(65536)
        assert healthy.get("keep") == b"me"
    assert server.alive()
    healthy.close()


def test_watch_streams_other_clients_events_without_input(server: Server) -> None:
    watcher = server.connect(timeout=5)
    watcher.sendall(b"watch mutations\r\n")
    assert recv_until(watcher, b"OK\r\n") == b"OK\r\n"
    with server.connect() as writer:
        writer.sendall(b"set watched 0 0 2\r\nhi\r\n")
        assert recv_until(writer, b"\r\n") == b"STORED\r\n"
    line = recv_until(watcher, b"\n")
    assert b"type=item_store key=watched status=stored cmd=set" in line
    watcher.close()


def test_watch_connevents_logs_new_and_closed_connections(server: Server) -> None:
    watcher = server.connect(timeout=5)
    watcher.sendall(b"watch connevents\r\n")
    assert recv_until(watcher, b"OK\r\n") == b"OK\r\n"
    other = server.connect()
    port = other.getsockname()[1]
    other.close()
    lines = recv_until(watcher, b"\n")
    if lines.count(b"\n") < 2:
        lines += recv_until(watcher, b"\n")
    assert b"type=conn_new rip=127.0.0.1 rport=%d transport=tcp" % port in lines
    assert b"type=conn_close rip=127.0.0.1 rport=%d transport=tcp reason=normal" % port in lines
    watcher.close()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_client_that_never_reads_cannot_grow_server_memory(server: Server) -> None:
    client = Client(server.address)
    assert client.set("big", b"x" * 500_000, noreply=False)
    client.close()
    before = rss_kb(server.proc.pid)
    hog = server.connect()
    hog.setblocking(False)
    request = b"get big\r\n" * 1000  # asks for 500 MB of replies per send
    sent = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and sent < 2_000_000:
        try:
            sent += hog.send(request)
        except BlockingIOError:
            time.sleep(0.05)  # the server stopped reading us: back-pressure works
    time.sleep(0.5)
    grown_mb = (rss_kb(server.proc.pid) - before) / 1024
    assert grown_mb < 64, f"server grew by {grown_mb:.0f} MB for a client that never reads"
    with server.connect() as other:  # and everyone else is still served
        other.sendall(b"version\r\n")
        assert recv_until(other, b"\r\n").startswith(b"VERSION ")
    hog.close()


def test_sigterm_right_after_the_port_is_up_still_exits_zero() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "ports")
        env = env_with_repo()
        env["MEMCACHED_PORT_FILENAME"] = port_file
        with daemon(["-p", "-1", "-l", "127.0.0.1"], env=env) as proc:
            wait_for(lambda: os.path.exists(port_file), timeout=20)
            proc.send_signal(signal.SIGTERM)  # possibly before trio started
            assert proc.wait(timeout=5) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")
def test_root_drops_privileges_to_the_u_user_after_binding() -> None:
    import pwd

    nobody = pwd.getpwnam("nobody")
    port = free_port()
    proc = subprocess.Popen(
        [*DAEMON, "-u", "nobody", "-p", str(port), "-U", "0"],
        env=env_with_repo(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: connects(("127.0.0.1", port)))
        status = Path(f"/proc/{proc.pid}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == [str(nobody.pw_uid)] * 4
        client = Client(("127.0.0.1", port))
        assert client.set("k", b"v", noreply=False)
        assert client.get("k") == b"v"
        client.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0


def authenticate(sock: socket.socket, user: bytes, password: bytes) -> bytes:
    token = user + b" " + password
    sock.sendall(b"set auth 0 0 %d\r\n%s\r\n" % (len(token), token))
    return recv_until(sock, b"\r\n")


def test_sighup_reloads_the_auth_file(tmp_path: Path) -> None:
    auth_file = tmp_path / "auth"
    auth_file.write_text("alice:first\n")
    server = start("ours", ["-Y", str(auth_file)])
    try:
        with server.connect() as s:
            s.sendall(b"get k\r\n")
            assert recv_until(s, b"\r\n") == b"CLIENT_ERROR unauthenticated\r\n"
            assert authenticate(s, b"alice", b"first") == b"STORED\r\n"
        auth_file.write_text("alice:second\n")
        server.proc.send_signal(signal.SIGHUP)

        def new_password_works() -> bool:
            with server.connect() as s:
                return authenticate(s, b"alice", b"second") == b"STORED\r\n"

        wait_for(new_password_works, timeout=5)
        with server.connect() as s:
            assert authenticate(s, b"alice", b"first") == b"CLIENT_ERROR authentication failure\r\n"
    finally:
        server.stop()
