"""TLS server contexts built from ``Settings``, and their hot reload.

memcached's ``-Z`` options map onto one ``ssl.SSLContext``. A reload
(``refresh_certs``, SIGHUP) builds a complete new context and swaps it in:
connections accepted afterwards use the new certificate, open connections
keep the context they were accepted with. A failed reload keeps the old
context and reports why, as memcached does.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field

from memcached_py.settings import Settings

#: memcached's ``ssl_verify_mode`` numbers -> ``ssl.VerifyMode`` names. memcached
#: distinguishes 2 (require) and 3 (require, verify once per session); the
#: standard library verifies once per handshake either way, so both require.
#: Names, not members: reading ``ssl`` at import would load OpenSSL in a daemon
#: started without ``-Z`` (see ``lazymod``).
VERIFY_MODES = {
    0: "CERT_NONE",
    1: "CERT_OPTIONAL",
    2: "CERT_REQUIRED",
    3: "CERT_REQUIRED",
}

#: memcached's ``ssl_min_version`` numbers -> ``ssl.TLSVersion`` names.
MIN_VERSIONS = {
    0: "TLSv1",
    1: "TLSv1_1",
    2: "TLSv1_2",
    3: "TLSv1_3",
}


class TLSConfigError(Exception):
    """The certificates or TLS options cannot be loaded."""


def build_context(settings: Settings) -> ssl.SSLContext:
    """A server context for ``settings`` (which must have ``enable_ssl``)."""
    if not settings.ssl_chain_cert or not settings.ssl_key:
        raise TLSConfigError("ssl_chain_cert and ssl_key are required with -Z")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion[MIN_VERSIONS[settings.ssl_min_version]]
    context.verify_mode = ssl.VerifyMode[VERIFY_MODES[settings.ssl_verify_mode]]
    try:
        context.load_cert_chain(settings.ssl_chain_cert, settings.ssl_key)
        if settings.ssl_ca_cert:
            context.load_verify_locations(cafile=settings.ssl_ca_cert)
        if settings.ssl_ciphers:
            context.set_ciphers(settings.ssl_ciphers)
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"failed to load TLS certificates: {exc}") from exc
    if not settings.ssl_session_cache:
        context.options |= ssl.OP_NO_TICKET
    return context


@dataclass(slots=True)
class TLSState:
    """The current server context and the TLS counters of ``stats``."""

    settings: Settings
    context: ssl.SSLContext
    refreshed_at: float = field(default_factory=time.monotonic)
    new_sessions: int = 0
    handshake_errors: int = 0
    proto_errors: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> TLSState:
        return cls(settings, build_context(settings))

    def reload(self) -> str | None:
        """Swap in freshly loaded certificates; None on success, else the error."""
        try:
            self.context = build_context(self.settings)
        except TLSConfigError as exc:
            return str(exc)
        self.refreshed_at = time.monotonic()
        return None

    def stats(self) -> list[tuple[str, str]]:
        since = int(time.monotonic() - self.refreshed_at)
        return [
            ("ssl_handshake_errors", str(self.handshake_errors)),
            ("ssl_proto_errors", str(self.proto_errors)),
            ("ssl_new_sessions", str(self.new_sessions)),
            ("time_since_server_cert_refresh", str(since)),
        ]
