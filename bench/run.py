"""memcached-py vs memcached: one command reproduces the whole benchmark table.

    python bench/run.py                      # every workload, 3 rounds
    python bench/run.py --quick              # short smoke run (1 round, 1 s runs, small stores)
    python bench/run.py -w get,multiget -r 5 # some workloads, 5 rounds
    python bench/run.py --sanity             # memcached vs memcached: ratios should be ~1.0

Starts the reference ``memcached -t 1 -U 0`` and ``python -m memcached_py``
on free loopback ports (a fresh server for every measurement), drives both
with the same load generator, alternating which goes first each round, and
prints per-workload medians, the spread (min-max over rounds) and the ratio
ours/memcached as a Markdown table (also written to bench/results/latest.md,
raw samples to bench/results/latest.json).  Never asserts on absolute times.
See bench/README.md for what each workload measures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import latency
import memaslap
import storeload
import tlsload
from benchlib import (
    REPO_ROOT,
    Server,
    ServerSpec,
    ServerStartError,
    machine_info,
    make_tls_files,
    memcached_spec,
    ours_spec,
    running,
)

THROUGHPUT = ("get", "multiget", "conns", "tls", "latency")
STORE = ("fill", "size_shift", "hit_ratio")
ALL = THROUGHPUT + STORE

#: (workload, metric, number format) in table order
ROWS: list[tuple[str, str, str]] = [
    ("get", "TPS", "int"),
    ("multiget", "TPS", "int"),
    ("conns", "TPS", "int"),
    ("tls", "ops/s", "int"),
    ("latency", "p50 µs", "f1"),
    ("latency", "p99 µs", "f1"),
    ("fill", "curr_items", "int"),
    ("fill", "VmRSS kB", "int"),
    ("size_shift", "large keys readable", "int"),
    ("hit_ratio", "hit ratio", "f3"),
    ("hit_ratio", "hit ratio after scan", "f3"),
]

DESCRIPTIONS = {
    "get": "memcaslap -T 1 -c 16, 90% get/10% set, 100 B values",
    "multiget": "as get, -d 10 (10-key multigets)",
    "conns": "as get, -c 200",
    "tls": "-Z both; bench/tlsload.py, {procs} procs x {conns} conns, 90/10, 100 B",
    "latency": "get mix paced at {rate:,} req/s over 16 conns (bench/latency.py)",
    "fill": "-m 64, {fill_items:,} sets, 16 B keys, 100 B values",
    "size_shift": "-m 64, {ss_small:,} x 100 B then {ss_large:,} x 2000 B over {ss_spread:g} s; "
    "last {ss_tail:,} read",
    "hit_ratio": "-m 32, Zipf(0.99) over {hit_keys:,} keys, {hit_requests:,} req, "
    "400 B, {hit_scan:,}-key scan mid-way",
}


@dataclass
class Config:
    workloads: list[str]
    rounds: int = 3
    store_rounds: int = 1
    duration: float = 5.0
    fill_items: int = 1_000_000
    ss_small: int = 600_000
    ss_large: int = 60_000
    ss_tail: int = 20_000
    ss_spread: float = 12.0
    hit_keys: int = 1_000_000
    hit_requests: int = 2_000_000
    hit_scan: int = 300_000
    tls_procs: int = 2
    tls_conns: int = 8
    rate: int = 5000


@dataclass
class Results:
    labels: tuple[str, str]
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: the round of each sample, to pair the two servers' runs of one round
    rounds: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, workload: str, metric: str, label: str, value: float, rnd: int) -> None:
        key = f"{workload}|{metric}"
        self.samples.setdefault(key, {}).setdefault(label, []).append(value)
        self.rounds.setdefault(key, {}).setdefault(label, []).append(rnd)

    def paired_ratios(self, workload: str, metric: str) -> list[float]:
        """b/a for every round in which both servers produced the metric."""
        a, b = self.labels
        key = f"{workload}|{metric}"
        by_round = [
            dict(
                zip(
                    self.rounds.get(key, {}).get(lbl, []),
                    self.get(workload, metric, lbl),
                    strict=True,
                )
            )
            for lbl in (a, b)
        ]
        return [
            by_round[1][r] / by_round[0][r]
            for r in sorted(by_round[0].keys() & by_round[1].keys())
            if by_round[0][r]
        ]

    def get(self, workload: str, metric: str, label: str) -> list[float]:
        return self.samples.get(f"{workload}|{metric}", {}).get(label, [])

    def error(self, workload: str, label: str, text: str) -> None:
        self.errors.setdefault(workload, {})[label] = text


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


Measure = Callable[[Server], dict[str, float]]

#: start failures already printed in full (a broken server fails every workload the same way)
_START_FAILURES: set[str] = set()


def measure(
    results: Results,
    spec: ServerSpec,
    workload: str,
    server_args: list[str],
    fn: Measure,
    rnd: int,
    *,
    tls_files: tuple[str, str] | None = None,
) -> None:
    """Start a fresh server, run ``fn`` against it, record its figures (plus the
    server's CPU use); on any failure print why and record the error."""
    label = spec.label
    try:
        with running(spec, server_args, tls_files=tls_files) as srv:
            cpu0 = srv.cpu_seconds()
            t0 = time.perf_counter()
            figures = fn(srv)
            wall = time.perf_counter() - t0
            cpu = srv.cpu_seconds() - cpu0
            if not srv.alive():
                raise RuntimeError(f"{label} exited during {workload}:\n{srv.stderr_text()}")
    except ServerStartError as e:
        seen = f"{label}\0{e.stderr}"
        if seen in _START_FAILURES:
            log(f"!! {workload}: {label} did not start (same stderr as before)")
        else:
            _START_FAILURES.add(seen)
            log(f"!! {workload}: {e}")
        results.error(workload, label, "did not start")
        return
    except Exception as e:
        log(f"!! {workload} against {label} failed: {e!r}")
        log(traceback.format_exc(limit=3))
        results.error(workload, label, f"failed: {type(e).__name__}")
        return
    figures["server CPU %"] = 100.0 * cpu / wall if wall > 0 else 0.0
    shown = ", ".join(f"{k}={v:,.3f}" if v < 10 else f"{k}={v:,.0f}" for k, v in figures.items())
    log(f"   {workload:<10} {label:<14} {shown}")
    for metric, value in figures.items():
        results.add(workload, metric, label, value, rnd)


def throughput_fn(workload: str, cfg: Config) -> Measure:
    def run_memaslap(srv: Server) -> dict[str, float]:
        conc = 200 if workload == "conns" else 16
        div = 10 if workload == "multiget" else 1
        r = memaslap.run(srv.port, seconds=cfg.duration, concurrency=conc, division=div)
        return {"TPS": r.tps}

    def run_tls(srv: Server) -> dict[str, float]:
        r = tlsload.run(srv.port, cfg.duration, cfg.tls_procs, cfg.tls_conns)
        if r.errors:
            log(f"   tls: {r.errors} unexpected replies")
        return {"ops/s": r.ops_per_sec, "client CPU %": 100.0 * r.client_cpu / r.seconds}

    def run_latency(srv: Server) -> dict[str, float]:
        r = latency.run(srv.port, rate=cfg.rate, conns=16, seconds=cfg.duration)
        return {
            "p50 µs": r.p50_us,
            "p99 µs": r.p99_us,
            "p99.9 µs": r.p999_us,
            "achieved req/s": r.achieved_rate,
        }

    if workload == "tls":
        return run_tls
    if workload == "latency":
        return run_latency
    return run_memaslap


_TRACE: dict[tuple[int, int, int], list[int]] = {}


def store_fn(workload: str, cfg: Config) -> Measure:
    def run_fill(srv: Server) -> dict[str, float]:
        r = storeload.fill(srv.port, cfg.fill_items)
        st = srv.stats()
        out = {"curr_items": float(st.get("curr_items", "nan")), "VmRSS kB": float(srv.rss_kb())}
        out["fill seconds"] = r["seconds"]
        if r["errors"]:
            log(f"   fill: {r['errors']:.0f} error replies")
        return out

    def run_size_shift(srv: Server) -> dict[str, float]:
        r = storeload.size_shift(srv.port, cfg.ss_small, cfg.ss_large, cfg.ss_tail, cfg.ss_spread)
        return {
            "large keys readable": r["readable"],
            "large phase seconds": r["large_phase_seconds"],
        }

    key = (cfg.hit_requests, cfg.hit_keys, cfg.hit_scan)
    if workload == "hit_ratio" and key not in _TRACE:
        # generated before any server starts: the same seeded trace for both
        _TRACE[key] = storeload.zipf_trace(
            cfg.hit_requests, cfg.hit_keys, scan=cfg.hit_scan, seed=42
        )

    def run_hit_ratio(srv: Server) -> dict[str, float]:
        r = storeload.hit_ratio(srv.port, _TRACE[key])
        return {
            "hit ratio": r["hit_ratio"],
            "hit ratio after scan": r["hit_ratio_after_scan"],
            "replay seconds": r["seconds"],
        }

    return {"fill": run_fill, "size_shift": run_size_shift, "hit_ratio": run_hit_ratio}[workload]


STORE_MEMORY = {"fill": "64", "size_shift": "64", "hit_ratio": "32"}


def run_all(cfg: Config, specs: tuple[ServerSpec, ServerSpec], results: Results) -> None:
    tls_dir: tempfile.TemporaryDirectory[str] | None = None
    tls_files: tuple[str, str] | None = None
    try:
        if "tls" in cfg.workloads:
            tls_dir = tempfile.TemporaryDirectory(prefix="bench-tls-")
            tls_files = make_tls_files(Path(tls_dir.name))
        tput = [w for w in THROUGHPUT if w in cfg.workloads]
        for rnd in range(cfg.rounds if tput else 0):
            log(f"== round {rnd + 1}/{cfg.rounds}")
            for i, workload in enumerate(tput):
                order = specs if (rnd + i) % 2 == 0 else specs[::-1]
                for spec in order:
                    measure(
                        results,
                        spec,
                        workload,
                        ["-m", "256"],
                        throughput_fn(workload, cfg),
                        rnd,
                        tls_files=tls_files if workload == "tls" else None,
                    )
        store = [w for w in STORE if w in cfg.workloads]
        for rnd in range(cfg.store_rounds if store else 0):
            log(f"== store round {rnd + 1}/{cfg.store_rounds}")
            for i, workload in enumerate(store):
                order = specs if (rnd + i) % 2 == 0 else specs[::-1]
                for spec in order:
                    measure(
                        results,
                        spec,
                        workload,
                        ["-m", STORE_MEMORY[workload]],
                        store_fn(workload, cfg),
                        rnd,
                    )
    finally:
        if tls_dir is not None:
            tls_dir.cleanup()


def fmt(value: float, kind: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "f1":
        return f"{value:,.1f}"
    return f"{value:.3f}"


def cell(values: list[float], kind: str) -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med, kind)
    return f"{fmt(med, kind)} ({fmt(min(values), kind)}-{fmt(max(values), kind)})"


def render(cfg: Config, results: Results, info: dict[str, str], title: str) -> str:
    a, b = results.labels
    lines = [
        f"## {title}",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        + "; ".join(f"{k}: {v}" for k, v in info.items())
        + ".",
        "",
        f"Rounds: {cfg.rounds} x {cfg.duration:g} s per throughput workload "
        f"(alternating order), store workloads {cfg.store_rounds} round(s). "
        "Cells: median (min-max over rounds); ratio: median (min-max) of the "
        "per-round ratios (both servers' runs of a round are back to back).",
        "",
        f"| workload | setup | metric | {a} | {b} | {b} / {a} | server CPU % ({a} / {b}) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    desc_args = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
    desc_args.update(procs=cfg.tls_procs, conns=cfg.tls_conns)
    previous = ""
    for workload, metric, kind in ROWS:
        if workload not in cfg.workloads:
            continue
        errs = results.errors.get(workload, {})
        va, vb = results.get(workload, metric, a), results.get(workload, metric, b)
        ca = cell(va, kind) if va else errs.get(a, "-")
        cb = cell(vb, kind) if vb else errs.get(b, "-")
        if va and errs.get(a):
            ca += f" [also {errs[a]}]"
        if vb and errs.get(b):
            cb += f" [also {errs[b]}]"
        # Ratio: median over rounds of the paired (same round, back to back)
        # ratios, which cancels load drift that hits both runs of a round.
        pairs = [r for r in results.paired_ratios(workload, metric) if r == r]
        ratio = "-"
        if len(pairs) > 1:
            ratio = f"{statistics.median(pairs):.2f} ({min(pairs):.2f}-{max(pairs):.2f})"
        elif pairs:
            ratio = f"{pairs[0]:.2f}"
        cpu = "-"
        if workload in THROUGHPUT and metric in ("TPS", "ops/s"):
            ua = results.get(workload, "server CPU %", a)
            ub = results.get(workload, "server CPU %", b)
            if ua or ub:
                cpu = " / ".join(f"{statistics.median(u):.0f}" if u else "-" for u in (ua, ub))
        setup = DESCRIPTIONS[workload].format(**desc_args) if workload != previous else '"'
        previous = workload
        lines.append(f"| {workload} | {setup} | {metric} | {ca} | {cb} | {ratio} | {cpu} |")
    lines.append("")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> tuple[Config, argparse.Namespace]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "-w",
        "--workloads",
        default=",".join(ALL),
        help=f"comma-separated subset of {','.join(ALL)} (default: all)",
    )
    ap.add_argument("-r", "--rounds", type=int, help="rounds per throughput workload (3)")
    ap.add_argument("--store-rounds", type=int, help="rounds per store workload (1)")
    ap.add_argument("-d", "--duration", type=float, help="seconds per throughput run (5)")
    ap.add_argument("--quick", action="store_true", help="short smoke run: small everything")
    ap.add_argument(
        "--sanity",
        action="store_true",
        help="memcached vs memcached (checks the ratio machinery: expect ~1.0)",
    )
    ap.add_argument(
        "--ours-cmd",
        help="command for our server instead of `python -m memcached_py` (flags are appended)",
    )
    ap.add_argument("--fill-items", type=int, help="sets in the fill workload (1,000,000)")
    ap.add_argument("--hit-requests", type=int, help="Zipf requests in hit_ratio (2,000,000)")
    ap.add_argument("--tls-procs", type=int, help="tlsload processes (2)")
    ap.add_argument("--tls-conns", type=int, help="TLS connections per process (8)")
    ap.add_argument("--rate", type=int, help="latency workload request rate (5000)")
    ap.add_argument(
        "--out",
        default=str(REPO_ROOT / "bench" / "results" / "latest.md"),
        help="where to write the Markdown table (default bench/results/latest.md)",
    )
    ap.add_argument(
        "--strict", action="store_true", help="exit 1 if any measurement failed (for tests)"
    )
    ns = ap.parse_args(argv)
    workloads = [w.strip() for w in ns.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ALL]
    if bad:
        ap.error(f"unknown workload(s): {', '.join(bad)}; choose from {', '.join(ALL)}")
    cfg = Config(workloads=workloads)
    if ns.quick:
        cfg.rounds = 1
        cfg.duration = 1.0
        cfg.fill_items = 100_000
        cfg.ss_small, cfg.ss_large, cfg.ss_tail, cfg.ss_spread = 60_000, 6_000, 2_000, 1.2
        cfg.hit_keys, cfg.hit_requests, cfg.hit_scan = 100_000, 100_000, 15_000
    for name in ("rounds", "store_rounds", "duration", "fill_items", "hit_requests", "rate"):
        value = getattr(ns, name)
        if value is not None:
            setattr(cfg, name, value)
    if ns.tls_procs is not None:
        cfg.tls_procs = ns.tls_procs
    if ns.tls_conns is not None:
        cfg.tls_conns = ns.tls_conns
    return cfg, ns


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    cfg, ns = parse_args(argv)
    reference = memcached_spec()
    if ns.sanity:
        other = ServerSpec("memcached (B)", reference.argv)
        reference = ServerSpec("memcached (A)", reference.argv)
        title = "Sanity: memcached vs memcached"
    elif ns.ours_cmd:
        other = ServerSpec("memcached-py", tuple(shlex.split(ns.ours_cmd)))
        title = "memcached-py vs memcached"
    else:
        other = ours_spec()
        title = "memcached-py vs memcached"
    if memaslap.executable() is None and any(
        w in cfg.workloads for w in ("get", "multiget", "conns")
    ):
        log("!! memcaslap not found (apt-get install libmemcached-tools); those rows will be empty")
    info = machine_info()
    log("== machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    log(f"== servers: {' '.join(reference.argv)} | {' '.join(other.argv)}")
    results = Results(labels=(reference.label, other.label))
    # SIGTERM unwinds like Ctrl-C, so the try/finally blocks stop the servers.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    t0 = time.monotonic()
    try:
        run_all(cfg, (reference, other), results)
    except KeyboardInterrupt:
        log("!! interrupted: printing what was measured")
    table = render(cfg, results, info, title)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    table += f"\nTotal run time {time.monotonic() - t0:.0f} s; load average at end: {load}."
    table += " Command: `python bench/run.py"
    table += (" " + shlex.join(argv if argv is not None else sys.argv[1:])).rstrip() + "`\n"
    print(table)
    out = Path(ns.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table)
        out.with_suffix(".json").write_text(
            json.dumps(
                {
                    "machine": info,
                    "samples": results.samples,
                    "rounds": results.rounds,
                    "errors": results.errors,
                },
                indent=1,
            )
        )
        log(f"== wrote {out} and {out.with_suffix('.json')}")
    except OSError as e:
        log(f"!! could not write {out}: {e}")
    if ns.strict and results.errors:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
