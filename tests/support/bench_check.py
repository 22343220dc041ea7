"""Measures `trailwatch check` against a running emulator (see scripts/bench).

For each run: the API calls the emulator received, their server-side time (the middleware's `ms`),
and the process wall time. Prints medians and the ratio wall / service time, plus peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import time
import urllib.request


def log(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_trailwatch/requests") as r:
        return json.load(r)


def reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/_trailwatch/requests/reset", method="POST", data=b"")
    urllib.request.urlopen(req).read()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--binary", required=True)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--all-controls", action="store_true", help="check all fifteen controls")
    a = p.parse_args()
    cmd = [a.binary] + (["--all-controls"] if a.all_controls else []) + ["check"]
    walls, services, calls = [], [], []
    ops: list[str] = []
    for i in range(a.runs + 1):
        reset(a.endpoint)
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall = (time.perf_counter() - t) * 1000
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            raise SystemExit(f"check exited {r.returncode}: the account should be compliant")
        entries = log(a.endpoint)
        if i == 0:
            continue  # warm-up (first CBOR call loads botocore's model in the emulator)
        walls.append(wall)
        services.append(sum(e.get("ms") or 0 for e in entries))
        calls.append(len(entries))
        ops = [f"{e['service']}:{e['operation']}" for e in entries]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    med_wall, med_svc = statistics.median(walls), statistics.median(services)
    print(f"command: trailwatch {' '.join(cmd[1:])}; runs: {a.runs} (after 1 warm-up)")
    print(f"API calls per check: {statistics.median(calls):.0f} ({', '.join(ops)})")
    print(f"wall time per check: median {med_wall:.1f} ms, min {min(walls):.1f} ms, max {max(walls):.1f} ms")
    print(f"emulator service time of those calls: median {med_svc:.1f} ms")
    print(f"ratio wall / service time: {med_wall / med_svc:.2f}x")
    print(f"peak RSS of trailwatch: {peak_kib / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
