"""Medians of repeated `pureboot bench` runs, beside pgbench's limit."""
import json
import re
import statistics
import sys
from pathlib import Path

out = Path(sys.argv[1])
tps = [float(re.search(r"tps = ([\d.]+)", p.read_text()).group(1)) for p in sorted(out.glob("pgbench-*.txt"))]
limit = statistics.median(tps)
print(f"PostgreSQL single-row inserts (pgbench, 32 clients): median {limit:,.0f}/s over {len(tps)} runs {[round(t) for t in tps]}")
print()
print("| scenario | parameters | runs | median/s | ratio to pgbench | p50 ms | p95 ms | p99 ms | max ms | errors | peak RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
names = sorted({p.name.rsplit("-", 1)[0] for p in out.glob("*-[0-9]*.json")})
for name in names:
    runs = [json.loads(p.read_text()) for p in sorted(out.glob(f"{name}-[0-9]*.json"))]
    med = lambda key: statistics.median(r[key] for r in runs)
    rss = [r["controller_peak_rss_mb"] for r in runs if r.get("controller_peak_rss_mb")]
    print(f"| {name} | {runs[0]['parameters']} | {len(runs)} | {med('per_second'):,.0f} | {med('per_second') / limit:.2f} | "
          f"{med('p50_ms'):.2f} | {med('p95_ms'):.2f} | {med('p99_ms'):.2f} | {med('max_ms'):.2f} | "
          f"{sum(r['errors'] for r in runs)} | {max(rss) if rss else '—'} |")
    for r in runs:
        for note in r.get("notes", []):
            print(f"  - {name}: {note}")
