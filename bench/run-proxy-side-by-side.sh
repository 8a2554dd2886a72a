#!/usr/bin/env bash
# run-proxy-side-by-side.sh - cairn's pull-through cache against Distribution's proxy mode
# (Debian's docker-registry 2.8 with `proxy: remoteurl:`), back to back in one sitting, over
# 127.0.0.1 only.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bench/run-proxy-side-by-side.sh                       # 200 MiB blob, 16 clients (a minute or two)
#   BLOB_MIB=64 bench/run-proxy-side-by-side.sh           # a trial
#   TARGETS=distribution bench/run-proxy-side-by-side.sh  # the reference half only
#
# What it does:
#   0. installs what is missing (docker-registry, curl, jq, openssl) with apt-get and builds a
#      Release cairn (unless SKIP_BUILD=1):
#        cmake -S . -B build-bench-proxy -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF
#        ninja -C build-bench-proxy cairn
#   1. starts the upstream: docker-registry (plain HTTP on a free loopback port, access log on)
#      and pushes one BLOB_MIB random blob and a small image (config, layer, manifest tagged v1)
#      into it with curl.
#   2. for each target (distribution, then cairn), with a fresh storage directory and a free port:
#      starts it as a pull-through cache of the upstream (docker-registry: `proxy: remoteurl:`;
#      cairn: `--upstream up.test=<upstream> --access-log off`, requests with ?ns=up.test or the
#      prefix /v2/up.test/...), GETs the small image's manifest through it (digest checked), then
#        cold: CLIENTS concurrent curl GETs of the blob, none of them cached yet;
#        warm: CLIENTS concurrent GETs again, now cached.
#      Each client pipes the body into sha256sum (as a real client verifies a digest) and
#      records `%{time_starttransfer} %{time_total}`. Recorded per phase: the upstream's blob GETs
#      (counted in its access log), wall time from the first start to the last finish, the first
#      and the last client's time to first byte, aggregate MB/s (CLIENTS x size / wall), and
#      whether every client got the exact bytes; the mirror's CPU seconds and peak RSS.
#   3. prints a markdown table with both columns and the ratio cairn / distribution, writes it
#      (proxy-side-by-side.md) and every raw output to OUT_DIR.
#
# Environment knobs [defaults]:
#   BLOB_MIB [200]        size of the blob
#   CLIENTS [16]          concurrent clients per phase
#   TARGETS ["distribution cairn"]
#   CAIRN_URLS [ns]       ns: /v2/<repo>/blobs/<d>?ns=up.test | prefix: /v2/up.test/<repo>/blobs/<d>
#   BUILD_DIR [build-bench-proxy]  SKIP_BUILD [0]: use BUILD_DIR/cairn as it is
#   NINJA_JOBS [2]        passed to ninja as -j
#   OUT_DIR [${TMPDIR:-/tmp}/cairn-proxy-sbs.<time>]  results (kept)
#   KEEP [0]              1: keep the scratch directory (storage roots, downloads)
#
# Every process this script starts is stopped by its PID (trap on EXIT). Progress on stderr.
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT_DIR" || exit 2

BLOB_MIB=${BLOB_MIB:-200}
CLIENTS=${CLIENTS:-16}
TARGETS=${TARGETS:-distribution cairn}
CAIRN_URLS=${CAIRN_URLS:-ns}
BUILD_DIR=${BUILD_DIR:-build-bench-proxy}
SKIP_BUILD=${SKIP_BUILD:-0}
NINJA_JOBS=${NINJA_JOBS:-2}
KEEP=${KEEP:-0}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/cairn-proxy-sbs.$(date +%Y%m%d-%H%M%S)}
UP_HOST=up.test
REPO=bench/proxy
MT=application/vnd.oci.image.manifest.v1+json

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

mkdir -p "$OUT_DIR" || exit 2
OUT_DIR=$(cd "$OUT_DIR" && pwd)
NOTES=$OUT_DIR/notes.txt
: > "$NOTES"
note() { log "note: $*"; echo "- $*" >> "$NOTES"; }
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-proxy-sbs.XXXXXX") || exit 2

# ------------------------------------------------------------------ processes we own
PIDS=()
stop_pid() {  # SIGTERM, up to 10 s to exit, then SIGKILL; reaps it
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}
forget_pid() {
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  if [[ $KEEP == 1 ]]; then log "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {  # URL PID SECONDS: until URL answers 200 while PID lives
  local url=$1 pid=$2 deadline=$((SECONDS + $3)) code
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url") || code=000
    [[ $code == 200 ]] && return 0
    sleep 0.2
  done
  return 1
}
now() { date +%s.%N; }
calc() { python3 -c "print($*)"; }

# ------------------------------------------------------------------ 0. tools and build
need_pkgs=()
for pair in docker-registry:docker-registry curl:curl jq:jq openssl:openssl; do
  command -v "${pair%%:*}" > /dev/null || need_pkgs+=("${pair#*:}")
done
command -v python3 > /dev/null || die "python3 is required"
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  SUDO=; ((EUID == 0)) || SUDO=sudo
  $SUDO apt-get update >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    "${need_pkgs[@]}" >&2 || die "apt-get install ${need_pkgs[*]} failed"
fi
CAIRN=$ROOT_DIR/$BUILD_DIR/cairn
if [[ " $TARGETS " == *" cairn "* ]]; then
  if [[ $SKIP_BUILD != 1 ]]; then
    command -v cmake > /dev/null && command -v ninja > /dev/null || die "cmake and ninja are required"
    log "building Release cairn in $BUILD_DIR"
    { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF &&
      ninja -C "$BUILD_DIR" -j"$NINJA_JOBS" cairn; } > "$OUT_DIR/build.log" 2>&1 ||
      die "build failed; see $OUT_DIR/build.log"
  fi
  [[ -x $CAIRN ]] || die "no $CAIRN"
fi

# ------------------------------------------------------------------ 1. the upstream and its content
CURL=(curl -sS --connect-timeout 5 -H 'Expect:')
sha_file() { local o; o=$(openssl dgst -sha256 -r "$1") || return 1; printf 'sha256:%s' "${o%% *}"; }
hdr() {  # FILE NAME: the last value of header NAME (lower case) in a curl -D dump
  tr -d '\r' < "$1" | awk -v k="$2" '{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == k) {
    v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } } END { print v }'
}
push_blob() {  # BASE FILE DIGEST: POST + PUT; 0 on 201
  local base=$1 f=$2 d=$3 h=$SCRATCH/push.h code loc sep
  code=$("${CURL[@]}" -D "$h" -o /dev/null -w '%{http_code}' -X POST "$base/v2/$REPO/blobs/uploads/") || return 1
  [[ $code == 202 ]] || { log "POST upload: $code"; return 1; }
  loc=$(hdr "$h" location)
  case $loc in
    http://*) ;;
    /*) loc=$base$loc ;;
  esac
  sep='?'; [[ $loc == *\?* ]] && sep='&'
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -T "$f" -H 'Content-Type: application/octet-stream' \
    "$loc${sep}digest=${d/:/%3A}") || return 1
  [[ $code == 201 ]] || { log "PUT blob: $code"; return 1; }
}

FX=$SCRATCH/fixtures
mkdir -p "$FX"
log "making a $BLOB_MIB MiB random blob and a small image"
openssl rand -out "$FX/big.bin" $((BLOB_MIB * 1048576)) || die "openssl rand"
head -c 4096 /dev/urandom > "$FX/layer.bin"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
  "$(sha_file "$FX/layer.bin")" > "$FX/config.json"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":4096}]}' \
  "$MT" "$(sha_file "$FX/config.json")" "$(stat -c %s "$FX/config.json")" "$(sha_file "$FX/layer.bin")" > "$FX/manifest.json"
BIG=$(sha_file "$FX/big.bin")
MANIFEST=$(sha_file "$FX/manifest.json")
BLOB_BYTES=$((BLOB_MIB * 1048576))

UP_PORT=$(free_port)
UP_URL=http://127.0.0.1:$UP_PORT
UP_LOG=$OUT_DIR/upstream.log  # stdout: the access log (combined format); stderr: the app log
mkdir -p "$SCRATCH/upstream-root"
cat > "$OUT_DIR/upstream.yml" << EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $SCRATCH/upstream-root}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$UP_PORT}
EOF
docker-registry serve "$OUT_DIR/upstream.yml" > "$UP_LOG" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
wait_http "$UP_URL/v2/" "$UP_PID" 30 || die "the upstream did not start; see $UP_LOG"
log "upstream: pid $UP_PID at $UP_URL"
push_blob "$UP_URL" "$FX/big.bin" "$BIG" || die "pushing the big blob to the upstream"
push_blob "$UP_URL" "$FX/layer.bin" "$(sha_file "$FX/layer.bin")" || die "pushing the layer"
push_blob "$UP_URL" "$FX/config.json" "$(sha_file "$FX/config.json")" || die "pushing the config"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $MT" \
  --data-binary @"$FX/manifest.json" "$UP_URL/v2/$REPO/manifests/v1") || code=000
[[ $code == 201 ]] || die "manifest PUT to the upstream answered $code"

# upstream_gets: GETs of the big blob the upstream has logged so far
upstream_gets() { grep -c "\"GET /v2/$REPO/blobs/$BIG" "$UP_LOG"; }

# ------------------------------------------------------------------ 2. the mirrors
start_distribution() {  # sets SRV_PID SRV_BASE BLOB_URL MANIFEST_URL
  local port root=$SCRATCH/distribution-root cfg=$OUT_DIR/distribution.yml
  port=$(free_port)
  rm -rf "$root"; mkdir -p "$root"  # proxy mode needs a fresh storage directory each run
  cat > "$cfg" << EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $root}
  cache: {blobdescriptor: inmemory}
proxy: {remoteurl: $UP_URL}
http: {addr: 127.0.0.1:$port}
EOF
  docker-registry serve "$cfg" > "$OUT_DIR/distribution.server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
  BLOB_URL=$SRV_BASE/v2/$REPO/blobs/$BIG
  MANIFEST_URL=$SRV_BASE/v2/$REPO/manifests/v1
}
start_cairn() {
  local port root=$SCRATCH/cairn-root
  port=$(free_port)
  rm -rf "$root"; mkdir -p "$root"
  (
    trap '' PIPE  # as Go's runtime does for the reference (see run-side-by-side.sh)
    exec "$CAIRN" serve --root "$root" --listen "127.0.0.1:$port" --access-log off \
      --upstream "$UP_HOST=$UP_URL"
  ) > "$OUT_DIR/cairn.server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
  case $CAIRN_URLS in
    prefix)
      BLOB_URL=$SRV_BASE/v2/$UP_HOST/$REPO/blobs/$BIG
      MANIFEST_URL=$SRV_BASE/v2/$UP_HOST/$REPO/manifests/v1 ;;
    *)
      BLOB_URL=$SRV_BASE/v2/$REPO/blobs/$BIG?ns=$UP_HOST
      MANIFEST_URL=$SRV_BASE/v2/$REPO/manifests/v1?ns=$UP_HOST ;;
  esac
}

# proc_figures PID: "<cpu seconds> <peak RSS MiB>" of a live process
proc_figures() {
  local pid=$1 ticks hz
  hz=$(getconf CLK_TCK)
  ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || ticks=0
  printf '%s %s\n' "$(calc "round($ticks / $hz, 2)")" \
    "$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)"
}

# pull_phase NAME PHASE URL: CLIENTS concurrent GETs piped into sha256sum; writes
# $OUT_DIR/NAME.PHASE.{clients,summary}; the summary is "wall ok ttfb_first ttfb_last total_max"
pull_phase() {
  local name=$1 phase=$2 url=$3 dir=$SCRATCH/$1.$2 i t0 t1 ok=0 pids=()
  mkdir -p "$dir"
  t0=$(now)
  for ((i = 0; i < CLIENTS; i++)); do
    (curl -sS --max-time 600 -w '%{stderr}RESULT %{http_code} %{time_starttransfer} %{time_total}\n' \
      "$url" 2> "$dir/$i.w" | sha256sum > "$dir/$i.sha") &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  t1=$(now)
  : > "$OUT_DIR/$name.$phase.clients"
  for ((i = 0; i < CLIENTS; i++)); do
    local line sum
    line=$(grep '^RESULT ' "$dir/$i.w" | tail -1)
    sum=sha256:$(cut -d' ' -f1 "$dir/$i.sha")
    echo "client $i: ${line#RESULT } $sum" >> "$OUT_DIR/$name.$phase.clients"
    [[ $sum == "$BIG" && $line == "RESULT 200 "* ]] && ok=$((ok + 1))
    [[ $line == "RESULT 200 "* ]] || note "$name $phase client $i: $(tr '\n' ' ' < "$dir/$i.w" | tail -c 300)"
  done
  awk -v wall="$(calc "$t1 - $t0")" -v ok="$ok" '
    { t = $4; tt = $5; if (NR == 1 || t < lo) lo = t; if (t > hi) hi = t; if (tt > tmax) tmax = tt }
    END { printf "%.3f %d %.3f %.3f %.3f\n", wall, ok, lo, hi, tmax }' \
    "$OUT_DIR/$name.$phase.clients" > "$OUT_DIR/$name.$phase.summary"
  rm -rf "$dir"
}

for name in $TARGETS; do
  case $name in
    distribution) start_distribution ;;
    cairn) start_cairn ;;
    *) die "unknown target $name (distribution | cairn)" ;;
  esac
  PIDS+=("$SRV_PID")
  log "$name: pid $SRV_PID at $SRV_BASE"
  if ! wait_http "$SRV_BASE/v2/" "$SRV_PID" 30; then
    note "$name did not answer GET /v2/ with 200 within 30 s; see $OUT_DIR/$name.server.log"
    stop_pid "$SRV_PID"; forget_pid "$SRV_PID"
    continue
  fi
  got=$("${CURL[@]}" -H "Accept: $MT" "$MANIFEST_URL" | openssl dgst -sha256 -r | cut -d' ' -f1)
  [[ sha256:$got == "$MANIFEST" ]] || note "$name: the small image's manifest came back as sha256:$got, not $MANIFEST"
  for phase in cold warm; do
    before=$(upstream_gets)
    log "$name: $phase, $CLIENTS clients x $BLOB_MIB MiB"
    pull_phase "$name" "$phase" "$BLOB_URL"
    echo $(($(upstream_gets) - before)) > "$OUT_DIR/$name.$phase.upstream_gets"
    log "$name $phase: wall/ok/ttfb first/ttfb last/slowest = $(< "$OUT_DIR/$name.$phase.summary"), upstream GETs $(< "$OUT_DIR/$name.$phase.upstream_gets")"
  done
  proc_figures "$SRV_PID" > "$OUT_DIR/$name.proc"
  kill -0 "$SRV_PID" 2>/dev/null || note "$name: the server died during the run"
  stop_pid "$SRV_PID"
  forget_pid "$SRV_PID"
  log "$name: stopped"
done

# ------------------------------------------------------------------ 3. the table
python3 - "$OUT_DIR" "$BLOB_BYTES" "$CLIENTS" "$BLOB_MIB" > "$OUT_DIR/proxy-side-by-side.md" << 'EOF'
import os, sys
out, size, clients, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def read(name):
    p = os.path.join(out, name)
    return open(p).read().split() if os.path.exists(p) else None
cols = ["distribution", "cairn"]
fig = {c: {} for c in cols}
for c in cols:
    for ph in ("cold", "warm"):
        s, g = read(f"{c}.{ph}.summary"), read(f"{c}.{ph}.upstream_gets")
        if s:
            wall, ok, lo, hi, tmax = float(s[0]), int(s[1]), float(s[2]), float(s[3]), float(s[4])
            fig[c][f"{ph}_wall"] = wall
            fig[c][f"{ph}_ok"] = ok
            fig[c][f"{ph}_ttfb_first"] = lo
            fig[c][f"{ph}_ttfb_last"] = hi
            fig[c][f"{ph}_mbps"] = clients * size / wall / 1e6
        if g:
            fig[c][f"{ph}_gets"] = int(g[0])
    p = read(f"{c}.proc")
    if p and len(p) == 2:
        fig[c]["cpu"] = float(p[0])
        fig[c]["rss"] = float(p[1])
rows = [
    ("cold: upstream GETs of the blob", "cold_gets", "{:.0f}", "fewer"),
    ("cold: wall time, all clients (s)", "cold_wall", "{:.2f}", "lower"),
    ("cold: aggregate MB/s", "cold_mbps", "{:,.0f}", "higher"),
    ("cold: first client's time to first byte (s)", "cold_ttfb_first", "{:.3f}", "lower"),
    ("cold: last client's time to first byte (s)", "cold_ttfb_last", "{:.3f}", "lower"),
    (f"cold: clients byte-exact (of {clients})", "cold_ok", "{:.0f}", ""),
    ("warm: upstream GETs of the blob", "warm_gets", "{:.0f}", "fewer"),
    ("warm: wall time, all clients (s)", "warm_wall", "{:.2f}", "lower"),
    ("warm: aggregate MB/s", "warm_mbps", "{:,.0f}", "higher"),
    ("warm: last client's time to first byte (s)", "warm_ttfb_last", "{:.3f}", "lower"),
    (f"warm: clients byte-exact (of {clients})", "warm_ok", "{:.0f}", ""),
    ("mirror CPU over both phases (s)", "cpu", "{:.2f}", "lower"),
    ("mirror peak RSS (MiB)", "rss", "{:.0f}", "lower"),
]
print(f"{clients} concurrent clients, one {mib} MiB blob, loopback; each client pipes the body into sha256sum.\n")
print("| figure | Distribution 2.8 proxy | cairn | cairn ÷ distribution | better |")
print("|---|---:|---:|---:|---|")
for label, key, f, better in rows:
    a, b = fig["distribution"].get(key), fig["cairn"].get(key)
    ratio = ""
    if a is not None and b is not None and a != 0:
        ratio = "{:.2f}".format(b / a)
    print(f"| {label} | {'' if a is None else f.format(a)} | {'' if b is None else f.format(b)} | {ratio} | {better} |")
notes = open(os.path.join(out, "notes.txt")).read().strip()
if notes:
    print("\n" + notes)
EOF
cat "$OUT_DIR/proxy-side-by-side.md"
log "results in $OUT_DIR"
