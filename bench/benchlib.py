"""Shared machinery for the benchmark scripts: servers, ports, stats, RSS, CPU.

Nothing here asserts on absolute times; it only starts processes on free
loopback ports, waits for them to answer, reads their figures and kills them.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent


class ServerStartError(RuntimeError):
    """A server did not start serving; the message carries its command line and stderr."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def root_user_args() -> list[str]:
    """memcached refuses to run as root without ``-u``; stay root (cert files stay readable)."""
    return ["-u", "root"] if os.geteuid() == 0 else []


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """How to start one kind of server: a label and an argv prefix (port etc. are appended)."""

    label: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def memcached_spec() -> ServerSpec:
    exe = shutil.which("memcached") or "memcached"
    return ServerSpec("memcached", (exe, "-t", "1", *root_user_args()))


def ours_spec(extra: Sequence[str] = ()) -> ServerSpec:
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return ServerSpec(
        "memcached-py",
        (sys.executable, "-m", "memcached_py", *root_user_args(), *extra),
        (("PYTHONPATH", pythonpath),),
    )


@dataclass(slots=True)
class Server:
    """A running server process on 127.0.0.1:port."""

    spec: ServerSpec
    argv: list[str]
    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path
    tls: bool = False
    _closed: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.stderr_path.unlink()

    def rss_kb(self) -> int:
        return read_rss_kb(self.pid)

    def cpu_seconds(self) -> float:
        return read_cpu_seconds(self.pid)

    def stats(self) -> dict[str, str]:
        return fetch_stats(self.port)


def start_server(
    spec: ServerSpec,
    args: Sequence[str],
    *,
    tls_files: tuple[str, str] | None = None,
    timeout: float = 15.0,
) -> Server:
    """Start ``spec`` with ``args`` on a free port and wait until it answers.

    Raises ServerStartError (with the server's stderr) when it exits or does
    not answer in time.  With ``tls_files`` (cert, key) the server gets ``-Z``
    and readiness is checked with a TLS ``version`` request.
    """
    last_error = last_stderr = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind
        port = free_port()
        argv = [*spec.argv, "-p", str(port), "-l", HOST, "-U", "0", *args]
        if tls_files is not None:
            argv += ["-Z", "-o", f"ssl_chain_cert={tls_files[0]},ssl_key={tls_files[1]}"]
        fd, errname = tempfile.mkstemp(prefix=f"bench-{spec.label}-", suffix=".stderr")
        env = dict(os.environ)
        env.update(spec.env)
        with os.fdopen(fd, "wb") as errf:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=errf,
                stderr=errf,
                env=env,
                start_new_session=True,
            )
        server = Server(spec, argv, proc, port, Path(errname), tls=tls_files is not None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _answers(port, tls_files is not None):
                return server
            time.sleep(0.05)
        text = server.stderr_text()
        code = proc.poll()
        server.stop()
        last_error = (
            f"{spec.label} did not start: {' '.join(argv)}\n"
            f"exit status: {code if code is not None else 'still running, no answer'}\n"
            f"stderr:\n{text.strip() or '(empty)'}"
        )
        last_stderr = text
        if code is None or "in use" not in text.lower():
            break
    raise ServerStartError(last_error, last_stderr)


def _answers(port: int, tls: bool) -> bool:
    try:
        raw = socket.create_connection((HOST, port), timeout=1.0)
    except OSError:
        return False
    try:
        sock: socket.socket = raw
        if tls:
            import ssl

            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw)
        sock.sendall(b"version\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                return False
            data += chunk
        return data.startswith(b"VERSION ")
    except OSError:
        return False
    finally:
        raw.close()


@contextlib.contextmanager
def running(
    spec: ServerSpec, args: Sequence[str], *, tls_files: tuple[str, str] | None = None
) -> Iterator[Server]:
    server = start_server(spec, args, tls_files=tls_files)
    try:
        yield server
    finally:
        server.stop()


def fetch_stats(port: int, sub: str = "") -> dict[str, str]:
    with socket.create_connection((HOST, port), timeout=10.0) as s:
        s.sendall(f"stats {sub}".strip().encode() + b"\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    out: dict[str, str] = {}
    for line in data.decode(errors="replace").split("\r\n"):
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "STAT":
            out[parts[1]] = parts[2]
    return out


def read_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLK_TCK


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mc = "not found"
    exe = shutil.which("memcached")
    if exe:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            mc = subprocess.run(
                [exe, "-V"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
    ms = "not found"
    if shutil.which("memcaslap"):
        ms = "memcaslap (libmemcached-tools)"
    git = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        res = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if res.returncode == 0:
            git = res.stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "memcached-py build": ours_build(),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "memcached": mc,
        "load generator": ms,
        "kernel": platform.release(),
        "memcached-py commit": git,
        "load average at start": load,
    }


def ours_build() -> str:
    """Whether the server the benchmark starts runs compiled (mypyc) or pure Python."""
    code = "import memcached_py.server as m; print(m.__file__)"
    env = dict(os.environ, PYTHONPATH=dict(ours_spec().env)["PYTHONPATH"])
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env
        )
        if res.returncode == 0:
            return "pure Python" if res.stdout.strip().endswith(".py") else "compiled (mypyc)"
    return "unknown"


def make_tls_files(directory: Path) -> tuple[str, str]:
    """A throwaway self-signed cert + key for 127.0.0.1 (the ``cryptography`` package)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "memcached-py bench")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    for p in (directory, cert_path, key_path):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return str(cert_path), str(key_path)
