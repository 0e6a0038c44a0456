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
def load(name):
    return [json.loads(p.read_text()) for p in sorted(out.glob(f"{name}-[0-9]*.json"), key=round_of)]


def round_of(path):
    return int(path.stem.rsplit("-", 1)[1])


for name in names:
    runs = load(name)
    med = lambda key: statistics.median(r[key] for r in runs)
    rss = [r["controller_peak_rss_mb"] for r in runs if r.get("controller_peak_rss_mb")]
    print(f"| {name} | {runs[0]['parameters']} | {len(runs)} | {med('per_second'):,.0f} | {med('per_second') / limit:.2f} | "
          f"{med('p50_ms'):.2f} | {med('p95_ms'):.2f} | {med('p99_ms'):.2f} | {med('max_ms'):.2f} | "
          f"{sum(r['errors'] for r in runs)} | {max(rss) if rss else '—'} |")
    for r in runs:
        for note in r.get("notes", []):
            print(f"  - {name}: {note}")

# scripts/bench-cluster.sh: <scenario>-single-<round> and <scenario>-cluster-<round>
# ran in the same rounds; each round's cluster/single ratio, and their median.
pairs = [n.removesuffix("-cluster") for n in names if n.endswith("-cluster") and n.replace("-cluster", "-single") in names]
if pairs:
    print()
    print("| scenario | figure | single (median) | cluster (median) | cluster/single per round | median ratio |")
    print("|---|---|---|---|---|---|")
for scenario in pairs:
    single, cluster = load(f"{scenario}-single"), load(f"{scenario}-cluster")
    for key, label in (("per_second", "per second"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms")):
        ratios = [c[key] / s[key] for s, c in zip(single, cluster) if s[key]]
        print(f"| {scenario} | {label} | {statistics.median(r[key] for r in single):,.2f} | "
              f"{statistics.median(r[key] for r in cluster):,.2f} | {' / '.join(f'{r:.2f}' for r in ratios)} | "
              f"**{statistics.median(ratios):.2f}** |")
