"""TLS end to end: pymemcache over TLS, client certificates, certificate reload."""

from __future__ import annotations

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
