"""When a fetch moves an item's access time (meta ``l`` / ``me`` ``la``).

memcached's segmented LRU (``do_item_bump``): the first fetch only marks the
item fetched; the second makes it active and, outside COLD, sets its time.
Real seconds have to pass, so this is a separate, slow (about 5 s) case run
against both servers at once. The two clocks tick at different phases, so
the check is the rule, with one second of slack, not byte equality.
"""

from __future__ import annotations

import re
import threading
import time

from tests.servers import Server, start_many

PAUSE = 2.2  # seconds between the steps


def _last_access(sock_reply: bytes) -> int:
    m = re.search(rb" l(\d+)", sock_reply)
    assert m is not None, sock_reply
    return int(m.group(1))


def _steps(server: Server, out: dict[str, list[int]]) -> None:
    with server.connect(timeout=5.0) as sock:

        def ask(request: bytes) -> bytes:
            sock.sendall(request)
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += sock.recv(1000)
            return reply

        assert ask(b"ms k 1\r\nx\r\n") == b"HD\r\n"
        seen = []
        for _ in range(2):
            time.sleep(PAUSE)
            seen.append(_last_access(ask(b"mg k l\r\n")))
        out[server.kind] = seen


def test_first_fetch_keeps_the_access_time_second_moves_it() -> None:
    servers = start_many([("memcached", ()), ("ours", ())])
    try:
        results: dict[str, list[int]] = {}
        threads = [threading.Thread(target=_steps, args=(s, results)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert set(results) == {"memcached", "ours"}, results
        for kind, (first, second) in results.items():
            # first fetch ~2.2 s after the set; the second ~4.4 s after it,
            # because the first fetch did not move the time
            assert 1 <= first <= 3, (kind, first, second)
            assert 3 <= second <= 5, (kind, first, second)
    finally:
        for s in servers:
            s.stop()
