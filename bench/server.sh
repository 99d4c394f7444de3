#!/usr/bin/env bash
# The server benchmark of issue #5: on the demo scaled to 500 stations × 1 year of hourly data,
# the overview page and the ledger list at p95 ≤ 50 ms with 50 concurrent clients, and batch
# ingest over HTTP ≥ 50 k readings/s. Builds release, makes the scaled demo, starts
# `lantian serve`, runs `lantian bench http` and `lantian bench ingest-http`, prints the figures
# against the targets with the load average. A benchmark, not a test: the machine may be shared.
#
#   bash bench/server.sh [STATIONS] [SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
STATIONS=${1:-500}
SECONDS_RUN=${2:-20}
CLIENTS=${3:-50}
PORT=${PORT:-18080}
URL="http://127.0.0.1:$PORT"
OUT=bench/out
mkdir -p "$OUT"
TARGET=${CARGO_TARGET_DIR:-target}
# SKIP_BUILD=1 uses the binary already in $TARGET/release.
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p lantian-cli
BIN=$TARGET/release/lantian
DB=$OUT/scaled-$STATIONS.sqlite

echo "== scaled demo: $STATIONS stations × 2025 (release) =="
rm -f "$DB" "$DB-wal" "$DB-shm"
t0=$(date +%s.%N)
"$BIN" demo init --db "$DB" --stations "$STATIONS" --year 2025 --accounts | tee "$OUT/demo-init.txt"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "demo init took %.1f s\n", b - a }'

"$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "$URL/login" && break
  sleep 0.2
done

LOGIN=dispatcher:$(awk '$1 == "dispatcher" {print $2}' "$OUT/demo-init.txt")
ADMIN=admin:$(awk '$1 == "admin" {print $2}' "$OUT/demo-init.txt")

echo "== warm-up (first request computes the cached figures) =="
"$BIN" bench http --url "$URL" --clients 1 --seconds 2 --path / --path /ledger --path "/api/v1/targets" --login "$LOGIN"

echo "== pages: $CLIENTS clients, $SECONDS_RUN s; load average before: $(cut -d' ' -f1-3 /proc/loadavg) =="
"$BIN" bench http --url "$URL" --clients "$CLIENTS" --seconds "$SECONDS_RUN" \
  --path / --path /ledger --path /api/v1/targets --login "$LOGIN" | tee "$OUT/http.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== batch ingest over HTTP =="
"$BIN" bench ingest-http --url "$URL" --login "$ADMIN" --batch 20000 --batches 30 --clients 2 \
  | tee "$OUT/ingest.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== against the targets =="
awk '$1 == "/" || $1 == "/ledger" {
       printf "%-8s p95 %6.1f ms  (target ≤ 50 ms)  %s\n", $1, $5, ($5 <= 50 ? "met" : "NOT met")
     }' "$OUT/http.txt"
awk '/readings\/s/ {
       for (i = 1; i <= NF; i++) if ($(i+1) ~ /^readings\/s/) r = $i
       printf "ingest   %6.0f readings/s  (target ≥ 50000)  %s\n", r, (r >= 50000 ? "met" : "NOT met")
     }' "$OUT/ingest.txt"
