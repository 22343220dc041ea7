"""Measures fleet mode against a running emulator (see scripts/bench-fleet): for each fleet size N
it resets moto, seeds N member accounts (tests/support/seed_fleet.py: a good trail each, no
filter or alarm), then runs `trailwatch --accounts-file F check` at each concurrency, then
`fix --apply --yes` once and a second apply (which must write nothing).

Per run: wall time, API calls the emulator received (total, per target, AssumeRole count), the
emulator's own service time for them (the middleware's `ms`, summed) and the time the emulator
was busy (the union of the requests' [arrival, arrival + ms] spans: when wall time is close to it,
trailwatch spent the run waiting on the emulator), and trailwatch's peak RSS
(`/usr/bin/time -f %M`). Prints a Markdown table. Figures only, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_fleet  # noqa: E402


def post(endpoint: str, path: str) -> None:
    req = urllib.request.Request(f"{endpoint}{path}", method="POST", data=b"")
    urllib.request.urlopen(req).read()


def log(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_trailwatch/requests") as r:
        return json.load(r)


def busy(entries: list[dict]) -> float:
    """Seconds during which the emulator had at least one request in hand (union of
    [arrival, arrival + service time])."""
    spans = sorted((e["at"], e["at"] + (e.get("ms") or 0) / 1000) for e in entries if "at" in e)
    total, end = 0.0, float("-inf")
    for start, stop in spans:
        if start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def run(endpoint: str, argv: list[str], want: set[int]) -> dict:
    post(endpoint, "/_trailwatch/requests/reset")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t = time.perf_counter()
        r = subprocess.run(
            ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + argv,
            capture_output=True, text=True,
        )
        wall = time.perf_counter() - t
        peak_kib = int((rss.read().strip().splitlines() or ["0"])[-1])
    if r.returncode not in want:
        print(r.stdout[-3000:], r.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(argv[1:])}: exit {r.returncode}, wanted {sorted(want)}")
    entries = log(endpoint)
    writes = [e for e in entries if not e["operation"].startswith(("Describe", "Get", "List"))
              and e["operation"] != "AssumeRole"]
    return {
        "wall": wall,
        "calls": len(entries),
        "assume": sum(1 for e in entries if e["operation"] == "AssumeRole"),
        "writes": len(writes),
        "service": sum(e.get("ms") or 0 for e in entries) / 1000,
        "busy": busy(entries),
        "rss_mib": peak_kib / 1024,
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--binary", required=True)
    p.add_argument("--sizes", default="10,100,1000")
    p.add_argument("--concurrency", default="1,8,32")
    p.add_argument("--apply-concurrency", type=int, default=8)
    a = p.parse_args()
    seed_fleet.use_dummy_credentials()
    region = os.environ.get("AWS_REGION", "us-east-1")
    rows = []
    for n in [int(x) for x in a.sizes.split(",")]:
        post(a.endpoint, "/moto-api/reset")
        with tempfile.TemporaryDirectory() as d:
            accounts = Path(d) / "accounts"
            t = time.perf_counter()
            seed_fleet.main([
                "--endpoint", a.endpoint, "--region", region, "--count", str(n),
                "--accounts-file", str(accounts),
            ])
            print(f"seeded {n} accounts in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            base = [a.binary, "--accounts-file", str(accounts)]
            for c in [int(x) for x in a.concurrency.split(",")]:
                r = run(a.endpoint, base + ["--concurrency", str(c), "check"], {2})
                rows.append(("check", n, c, r))
            c = a.apply_concurrency
            sub = "--subscribe=email:secops@example.com"
            r = run(a.endpoint, base + ["--concurrency", str(c), "fix", "--apply", "--yes", sub], {0})
            rows.append(("fix --apply --yes", n, c, r))
            r = run(a.endpoint, base + ["--concurrency", str(c), "fix", "--apply", "--yes", sub], {0})
            rows.append(("second apply", n, c, r))
            r = run(a.endpoint, base + ["--concurrency", str(c), "check"], {0})
            rows.append(("check (compliant)", n, c, r))
    print("| command | N | concurrency | wall s | calls / target | AssumeRole | writes | emulator busy s | wall / busy | service time summed s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for cmd, n, c, r in rows:
        print(
            f"| {cmd} | {n} | {c} | {r['wall']:.2f} | {r['calls'] / n:.2f} | {r['assume']} | "
            f"{r['writes']} | {r['busy']:.2f} | {r['wall'] / max(r['busy'], 1e-9):.2f}x | "
            f"{r['service']:.2f} | {r['rss_mib']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
