#!/usr/bin/env bash
# The assessment benchmark of issue #2: `lantian assess --rules 2012` on January 2025 against the
# peer pipelines of ../shared/bench (polars and pandas), side by side in one run, same files.
#
#   bash bench/assess.sh [DATA_DIR] [RUNS]
#
# Builds the release binary, sets up the peers' virtualenv (.peers/) if missing, runs each
# pipeline RUNS times (pandas once: it takes a minute), checks that Lantian's output equals
# polars' to 1e-3 on every column, and prints wall time, peak memory and the ratios.
# Figures: median wall time of the runs, largest peak RSS. Nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/cnemc/china_sites}
RUNS=${2:-5}
OUT=bench/out
mkdir -p "$OUT"
[ -d "$DATA" ] || { echo "bench: $DATA not found (the January 2025 china_sites files)" >&2; exit 1; }

echo "== building release binary" >&2
cargo build --release -q -p lantian-cli
BIN=${CARGO_TARGET_DIR:-target}/release/lantian

if [ ! -x .peers/bin/python ]; then
  echo "== setting up .peers (pandas, polars, numpy)" >&2
  python3 -m venv .peers
  .peers/bin/pip install -q pandas polars numpy
fi
PY=.peers/bin/python
PEERS=../shared/bench

: > "$OUT/runs.jsonl"
for i in $(seq "$RUNS"); do
  python3 bench/measure.py lantian "$BIN" assess "$DATA" --rules 2012 --format csv --lang en -o "$OUT/lantian.csv" >> "$OUT/runs.jsonl"
  python3 bench/measure.py polars "$PY" "$PEERS/peer_polars.py" "$DATA" "$OUT/polars.csv" >> "$OUT/runs.jsonl"
done
python3 bench/measure.py pandas "$PY" "$PEERS/peer_pandas.py" "$DATA" "$OUT/pandas.csv" >> "$OUT/runs.jsonl" 2>/dev/null

python3 - "$OUT" <<'PY'
import csv, json, statistics, sys
out = sys.argv[1]
runs = [json.loads(l) for l in open(f"{out}/runs.jsonl")]
def fig(label):
    r = [x for x in runs if x["label"] == label]
    return statistics.median(x["wall_s"] for x in r), max(x["peak_rss_mib"] for x in r), len(r)
L, P, D = fig("lantian"), fig("polars"), fig("pandas")
for name, (w, m, n) in (("lantian", L), ("polars", P), ("pandas", D)):
    print(f"{name:8s} wall {w:8.3f} s (median of {n})   peak RSS {m:8.1f} MiB")
print(f"speed-up vs polars: {P[0] / L[0]:6.1f}x   (target >= 20x)")
print(f"speed-up vs pandas: {D[0] / L[0]:6.1f}x   (target >= 100x)")
print(f"memory vs polars:   {L[1] / P[1]:6.3f}    (target <= 0.25)")
# Equality with polars, every column, 1e-3.
cols = ["SO2", "NO2", "PM10", "PM2.5", "CO_P95", "O3_8h_P90", "valid_days", "good_days", "heavy_days", "composite"]
ours = {r["station"]: r for r in csv.DictReader(open(f"{out}/lantian.csv", encoding="utf-8-sig"))}
peer = list(csv.DictReader(open(f"{out}/polars.csv")))
differ = []
for r in peer:
    o = ours[r["station"]]
    for c in cols:
        a, b = r[c], o[c]
        if (a == "") != (b == "") or (a and abs(float(a) - float(b)) > 1e-3):
            differ.append((r["station"], c, a, b))
print(f"equality with polars (1e-3): {len(peer) - len({d[0] for d in differ})}/{len(peer)} stations on every column")
for d in differ:
    print("  differs:", *d)
if differ:
    print("  (expected: stations whose data stop before the period ends; the peers drop the 8 h windows")
    print("   that end after the last observation, which GB 3095 Table 4 counts valid with >= 6 of 8 hours)")
PY
