#!/usr/bin/env bash
# run-metrics-overhead.sh - what the per-request metrics cost: HEAD of a 4 KiB blob (c=64,
# DUR s per run), cairn with --metrics open and --metrics off interleaved, REPS times each.
# Needs a Release build: cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
#   -DCAIRN_TESTS=OFF && ninja -C build-rel cairn cairn-load. Loopback only; every server it
# starts is stopped by its PID.
set -uo pipefail
B=${B:-$(cd "$(dirname "$0")/.." && pwd)/build-rel}; L=${L:-$B/cairn-load}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DUR=${DUR:-5}; REPS=${REPS:-3}
head -c 4096 /dev/urandom > $TMP/blob
D=sha256:$(sha256sum $TMP/blob | cut -d' ' -f1)
for rep in $(seq "$REPS"); do
  for mode in open off; do
    root=$(mktemp -d $TMP/root.XXXX)
    "$B/cairn" serve --root "$root" --listen 127.0.0.1:0 --access-log off --metrics "$mode" \
      > "$root.log" 2>&1 &
    pid=$!
    for i in $(seq 50); do grep -qs serving "$root.log" && break; sleep 0.1; done
    port=$(grep -o '[0-9]*$' "$root.log" | head -1)
    curl -sf -X POST --data-binary @$TMP/blob -H 'Content-Type: application/octet-stream' \
      "http://127.0.0.1:$port/v2/bench/blobs/uploads/?digest=$D" -o /dev/null || echo push failed
    out=$("$L" --url "http://127.0.0.1:$port/v2/bench/blobs/$D" --method HEAD --connections 64 --duration "$DUR")
    echo "rep=$rep metrics=$mode $(echo "$out" | grep -o '"rps":[0-9.]*,"p50_ms":[0-9.]*,"p99_ms":[0-9.]*')"
    kill "$pid"; wait "$pid" 2>/dev/null
    rm -rf "$root" "$root.log"
  done
done
