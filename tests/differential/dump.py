"""Print the replies of the reference and ours for corpus cases (a debugging aid).

    python -m tests.differential.dump [SUBSTRING ...] [--ours] [--ref]

Shows each matching case's request and normalized replies; ``--ref`` / ``--ours``
restrict to one server. Dedicated servers are used for every case.
"""

from __future__ import annotations

import sys

from tests.servers import Kind, start_many

from .harness import exchange, normalize_reply
from .test_differential import CASES


def main(argv: list[str]) -> int:
    kinds: list[Kind] = []
    if "--ref" in argv:
        kinds.append("memcached")
    if "--ours" in argv:
        kinds.append("ours")
    kinds = kinds or ["memcached", "ours"]
    patterns = [a for a in argv if not a.startswith("--")]
    for case in CASES:
        if patterns and not any(p in case.name for p in patterns):
            continue
        print(f"== {case.name} {' '.join(case.args)}")
        print(f"   request  {case.request[:300]!r}")
        servers = start_many([(kind, case.args) for kind in kinds])
        try:
            for server in servers:
                reply = exchange(server, case.request, sentinel=case.sentinel)
                print(f"   {server.kind:<9}[{reply.end}] {normalize_reply(reply.data)[:600]!r}")
        finally:
            for server in servers:
                server.stop()
        if case.upstream is not None:
            print(f"   upstream {case.upstream!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
