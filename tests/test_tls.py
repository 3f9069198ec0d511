"""TLS end to end: pymemcache over TLS, client certificates, certificate reload."""

from __future__ import annotations

import contextlib
import signal
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheUnexpectedCloseError

from tests.servers import Server, start


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def write_server_cert(ca: trustme.CA, directory: Path) -> tuple[str, str]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    chain = directory / "chain.pem"
    key = directory / "key.pem"
    cert.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return str(chain), str(key)


def tls_server(ca: trustme.CA, directory: Path, *extra: str) -> Server:
    chain, key = write_server_cert(ca, directory)
    options = f"ssl_chain_cert={chain},ssl_key={key}"
    if extra:
        options += "," + ",".join(extra)
    return start("ours", ["-Z", "-o", options])


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def server(ca: trustme.CA, tmp_path: Path) -> Iterator[Server]:
    s = tls_server(ca, tmp_path)
    yield s
    s.stop()


def test_pymemcache_over_tls(server: Server, ca: trustme.CA) -> None:
    client = Client(server.address, tls_context=client_context(ca))
    assert client.set("secret", b"value")
    assert client.get("secret") == b"value"
    stats = client.stats()
    assert stats[b"ssl_new_sessions"] >= 1
    client.close()


def test_plain_text_client_is_refused_on_a_tls_port(server: Server, ca: trustme.CA) -> None:
    with server.connect(timeout=5) as s:
        s.sendall(b"version\r\n")
        assert s.recv(100) in (b"", b"\x15\x03\x01\x00\x02\x02\x32")  # close or TLS alert
    client = Client(server.address, tls_context=client_context(ca))
    assert int(client.stats()[b"ssl_handshake_errors"]) >= 1
    client.close()


def test_verify_mode_3_requires_a_client_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = tls_server(ca, tmp_path, "ssl_verify_mode=3", f"ssl_ca_cert={ca_file}")
    try:
        anonymous = Client(server.address, tls_context=client_context(ca), timeout=5)
        # TLS 1.3 completes the client's side of the handshake before the server
        # checks the certificate, so the refusal may surface as a closed socket.
        with pytest.raises((ssl.SSLError, OSError, MemcacheUnexpectedCloseError)):
            anonymous.set("k", b"v", noreply=False)
        anonymous.close()

        context = client_context(ca)
        ca.issue_cert("client@example.com").configure_cert(context)
        trusted = Client(server.address, tls_context=context)
        assert trusted.set("k", b"v")
        assert trusted.get("k") == b"v"
        assert int(trusted.stats()[b"ssl_handshake_errors"]) >= 1  # the anonymous client
        trusted.close()
    finally:
        server.stop()


def peer_certificate(server: Server, context: ssl.SSLContext) -> bytes:
    with (
        socket.create_connection(server.address, timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


@pytest.mark.parametrize("how", ["refresh_certs", "SIGHUP"])
def test_certificate_reload_applies_to_new_connections(
    ca: trustme.CA, tmp_path: Path, how: str
) -> None:
    server = tls_server(ca, tmp_path)
    try:
        old_client = Client(server.address, tls_context=client_context(ca))
        assert old_client.set("k", b"1")
        before = peer_certificate(server, client_context(ca))

        new_ca = trustme.CA()
        write_server_cert(new_ca, tmp_path)  # overwrite the files in place
        if how == "refresh_certs":
            assert old_client.raw_command(b"refresh_certs", b"\r\n") == b"OK"
        else:
            server.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)

        after = peer_certificate(server, client_context(new_ca))
        assert after != before
        with pytest.raises(ssl.SSLCertVerificationError):
            peer_certificate(server, client_context(ca))
        assert old_client.get("k") == b"1"  # the open connection is untouched
        old_client.close()
    finally:
        server.stop()


def test_silent_client_is_dropped_after_the_handshake_timeout(
    ca: trustme.CA, tmp_path: Path
) -> None:
    server = tls_server(ca, tmp_path, "ssl_handshake_timeout=1")
    try:
        with server.connect(timeout=5) as silent:
            assert silent.recv(10) == b""  # closed by the server after ~1-2 s
        client = Client(server.address, tls_context=client_context(ca))
        assert int(client.stats()[b"ssl_handshake_errors"]) >= 1
        client.close()
    finally:
        server.stop()


def test_tls_garbage_and_half_handshakes_do_not_hurt_other_clients(
    server: Server, ca: trustme.CA
) -> None:
    healthy = Client(server.address, tls_context=client_context(ca))
    assert healthy.set("keep", b"me", noreply=False)
    for blob in (b"\x16\x03\x01\x00\x05hello", b"\x16\x03\x01" + b"\xff" * 3000, b"\x00" * 10):
        with server.connect(timeout=2) as s:
            s.sendall(blob)
            with contextlib.suppress(OSError):
                s.recv(100)
    assert healthy.get("keep") == b"me"
    healthy.close()


def test_sigusr1_finishes_a_large_tls_reply(server: Server, ca: trustme.CA) -> None:
    client = Client(server.address, tls_context=client_context(ca))
    values = {f"big{i}": bytes([65 + i]) * 400_000 for i in range(8)}
    for key, value in values.items():
        assert client.set(key, value, noreply=False)
    client.close()
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    raw.settimeout(10)
    raw.connect(server.address)
    reader = client_context(ca).wrap_socket(raw, server_hostname="127.0.0.1")
    reader.sendall(b"get " + b" ".join(k.encode() for k in values) + b"\r\n")
    reply = reader.recv(1000)
    assert reply.startswith(b"VALUE big0 0 400000")
    server.proc.send_signal(signal.SIGUSR1)
    time.sleep(0.3)
    while not reply.endswith(b"END\r\n"):
        chunk = reader.recv(65536)
        if not chunk:
            break
        reply += chunk
    expected = b"".join(
        b"VALUE %s 0 %d\r\n%s\r\n" % (k.encode(), len(v), v) for k, v in values.items()
    )
    assert reply == expected + b"END\r\n"
    assert server.proc.wait(timeout=5) == 0
    reader.close()
