"""Keeps bench/run.py from rotting: a tiny memcached-vs-memcached run.

Needs the Debian packages memcached and libmemcached-tools (memcaslap). Without
them the test skips locally but fails under CI=true, where .ci/run installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _require_tools() -> None:
    missing = [t for t in ("memcached", "memcaslap") if shutil.which(t) is None]
    if missing:
        msg = (
            f"bench smoke test needs {', '.join(missing)}"
            " (apt-get install memcached libmemcached-tools)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def _row(table: str, workload: str, metric: str) -> list[str]:
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] == workload and cells[2] == metric:
            return cells
    raise AssertionError(f"no {workload}/{metric} row in:\n{table}")


def test_bench_machinery_memcached_vs_memcached(tmp_path: Path) -> None:
    _require_tools()
    out = tmp_path / "latest.md"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--sanity",
            "--quick",
            "--strict",
            "--workloads",
            "fill,get,hit_ratio",
            "--fill-items",
            "1000",
            "--hit-requests",
            "20000",
            "--duration",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = out.read_text()
    assert table.strip() in proc.stdout
    assert "cores:" in table and "memcached 1." in table

    # Deterministic figures: both sides are memcached, so they must agree exactly.
    fill = _row(table, "fill", "curr_items")
    assert fill[3] == fill[4] == "1,000" and fill[5] == "1.00"
    hit = _row(table, "hit_ratio", "hit ratio")
    assert hit[3] == hit[4] and hit[5] == "1.00" and 0.0 < float(hit[3]) <= 1.0

    # Throughput: figures present and a finite ratio; no assertion on absolute speed.
    get = _row(table, "get", "TPS")
    assert int(get[3].replace(",", "")) > 0 and int(get[4].replace(",", "")) > 0
    assert float(get[5]) > 0
    assert (tmp_path / "latest.json").exists()
