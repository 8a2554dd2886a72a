#!/usr/bin/env bash
# run-tls.sh - what HTTPS costs cairn beside plain HTTP: push and pull of one large blob with
# curl, against two Release cairns on 127.0.0.1 (one plain, one with --tls-cert/--tls-key and a
# throw-away EC P-256 certificate), REPS repetitions each, medians in MB/s.
#
# Usage (from anywhere):   bench/run-tls.sh        BLOB_MIB=64 REPS=1 bench/run-tls.sh (trial)
#
# Knobs [defaults]: BLOB_MIB [256] REPS [3] BUILD_DIR [build] SKIP_BUILD [0]
#
# curl runs on the same machine: its own TLS work is in the HTTPS figures (as a real client's
# would be on a shared host). Pushes are one POST ?digest= with the whole blob (curl
# --data-binary: Content-Length);
# pulls are a GET of that blob to /dev/null. Each repetition pushes a new random blob to a new
# repository. Every process started here is stopped by its PID on exit.
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BLOB_MIB=${BLOB_MIB:-256}
REPS=${REPS:-3}
BUILD_DIR=${BUILD_DIR:-$ROOT_DIR/build}
SKIP_BUILD=${SKIP_BUILD:-0}

die() { echo "run-tls: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
if [ "$SKIP_BUILD" != 1 ]; then
  cmake -S "$ROOT_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF \
    >/dev/null || die "cmake"
  ninja -C "$BUILD_DIR" cairn >/dev/null || die "build"
fi
CAIRN=$BUILD_DIR/cairn

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-tls-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$SCRATCH/key.pem" \
  -out "$SCRATCH/cert.pem" 2>/dev/null || die "openssl req"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME [serve options...]: a cairn on a free port; sets PORT.
start() {
  local name=$1; shift
  PORT=$(free_port)
  "$CAIRN" serve --root "$SCRATCH/$name" --listen "127.0.0.1:$PORT" --access-log off "$@" \
    2>"$SCRATCH/$name.log" &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -sk -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null && return 0
    curl -sk -o /dev/null "https://127.0.0.1:$PORT/v2/" 2>/dev/null && return 0
    sleep 0.1
  done
  die "cairn $name did not start: $(cat "$SCRATCH/$name.log")"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mbps() { awk -v s="$1" -v b=$((BLOB_MIB * 1048576)) 'BEGIN {printf "%.0f", b / s / 1e6}'; }

start plain
PLAIN=http://127.0.0.1:$PORT
start tls --tls-cert "$SCRATCH/cert.pem" --tls-key "$SCRATCH/key.pem"
TLS=https://localhost:$PORT
CURL=(curl -sS --fail --cacert "$SCRATCH/cert.pem" --resolve "localhost:$PORT:127.0.0.1")

declare -A push pull
for rep in $(seq "$REPS"); do
  blob=$SCRATCH/blob-$rep.bin
  openssl rand -out "$blob" $((BLOB_MIB * 1048576)) || die "openssl rand"
  digest=sha256:$(openssl dgst -sha256 -r "$blob" | cut -d' ' -f1)
  for scheme in plain tls; do
    base=$PLAIN; [ "$scheme" = tls ] && base=$TLS
    t=$("${CURL[@]}" -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/octet-stream' \
      --data-binary "@$blob" "$base/v2/bench/r$rep/blobs/uploads/?digest=$digest") || die "push $scheme"
    push[$scheme]+="$t "
    t=$("${CURL[@]}" -o /dev/null -w '%{time_total}' "$base/v2/bench/r$rep/blobs/$digest") \
      || die "pull $scheme"
    pull[$scheme]+="$t "
    if [ "$rep" = 1 ]; then  # byte-exact, checked once per scheme outside the timing
      got=sha256:$("${CURL[@]}" "$base/v2/bench/r$rep/blobs/$digest" | openssl dgst -sha256 -r | cut -d' ' -f1)
      [ "$got" = "$digest" ] || die "pull $scheme: bytes differ"
    fi
  done
  rm -f "$blob"
done

echo "| ${BLOB_MIB} MiB blob, curl, median of $REPS | HTTP MB/s | HTTPS MB/s | HTTPS / HTTP |"
echo "|---|---|---|---|"
for op in push pull; do
  declare -n times=$op
  p=$(tr ' ' '\n' <<<"${times[plain]}" | grep . | median)
  s=$(tr ' ' '\n' <<<"${times[tls]}" | grep . | median)
  echo "| $op | $(mbps "$p") | $(mbps "$s") | $(awk -v p="$p" -v s="$s" 'BEGIN {printf "%.2f", p / s}') |"
done
