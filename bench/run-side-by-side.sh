#!/usr/bin/env bash
# run-side-by-side.sh - cairn against the reference registry (Debian's docker-registry, CNCF
# Distribution 2.8), back to back in one sitting, over 127.0.0.1 only.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bench/run-side-by-side.sh                           # full run: minutes, loads both cores
#   REPS=1 DURATION=3 BIG_MIB=64 bench/run-side-by-side.sh   # trial run
#
# What it does:
#   0. installs what is missing (docker-registry, wrk, iperf3, curl, jq, openssl) with apt-get,
#      and builds a Release cairn + cairn-load:
#        cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF
#        ninja -C build cairn cairn-load
#   1. iperf3 over loopback (server -1, client IPERF_SECONDS): the pull ceiling of this machine.
#   2. for each target (reference, then cairn): a temp root and a free port; start the server;
#      run /work/shared/bench/registry-bench.sh against it; push a 4 KiB blob, a config blob, an
#      OCI image manifest (tag v1) and a RANGE_MIB blob with curl; run cairn-load for
#      HEAD small blob (c=64), GET manifest (c=64), random 64 KiB range GETs (c=32); stop it.
#   3. prints one table, both columns and the ratio cairn / reference, and writes
#      side-by-side.{md,json} plus every raw output to OUT_DIR.
#
# Environment knobs [defaults]:
#   REPS [3] DURATION [10] BIG_MIB [1024]  passed to registry-bench.sh (and its other knobs too)
#   LOAD_REPS [REPS] LOAD_DURATION [DURATION]  cairn-load repetitions (median) and seconds
#   RANGE_MIB [64]          size of the blob the range GETs read from
#   IPERF_SECONDS [5]
#   TARGETS ["reference cairn"]  run only some of them
#   SUITES ["iperf3 registry-bench load"]  run only some of the measurements
#   BUILD_DIR [build]       SKIP_BUILD [0]: use the binaries already in BUILD_DIR
#   NINJA_JOBS [unset]      passed to ninja as -j
#   OUT_DIR [${TMPDIR:-/tmp}/cairn-side-by-side.<time>]  results (kept)
#   FORMAT [md]             what goes to stdout: md | json | both
#   KEEP [0]                1: keep the scratch directory (server roots, bench data)
#   REGISTRY_BENCH [/work/shared/bench/registry-bench.sh]
#
# Every process this script starts is stopped by its PID (trap on EXIT). Progress on stderr.
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT_DIR" || exit 2

export REPS=${REPS:-3} DURATION=${DURATION:-10} BIG_MIB=${BIG_MIB:-1024}
export LOAD_REPS=${LOAD_REPS:-$REPS}
export LOAD_DURATION=${LOAD_DURATION:-$DURATION}
export RANGE_MIB=${RANGE_MIB:-64}
IPERF_SECONDS=${IPERF_SECONDS:-5}
TARGETS=${TARGETS:-reference cairn}
SUITES=${SUITES:-iperf3 registry-bench load}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
FORMAT=${FORMAT:-md}
KEEP=${KEEP:-0}
REGISTRY_BENCH=${REGISTRY_BENCH:-/work/shared/bench/registry-bench.sh}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/cairn-side-by-side.$(date +%Y%m%d-%H%M%S)}
MT=application/vnd.oci.image.manifest.v1+json
RUN_DATE=$(date -u +%FT%TZ)
BENCH_REPO=bench/sbs  # registry-bench.sh's repository
LOAD_REPO=bench/load  # the fixtures cairn-load reads

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

mkdir -p "$OUT_DIR" || exit 2
OUT_DIR=$(cd "$OUT_DIR" && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-sbs.XXXXXX") || exit 2
NOTES=$OUT_DIR/notes.txt
: > "$NOTES"
note() { log "note: $*"; echo "$*" >> "$NOTES"; }

# ------------------------------------------------------------------ processes we own
PIDS=()
# stop_pid PID: SIGTERM, up to 10 s to exit, then SIGKILL; reaps it.
stop_pid() {
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
# wait_http URL PID SECONDS: until URL answers 200 (the process must stay alive)
wait_http() {
  local url=$1 pid=$2 deadline=$((SECONDS + $3)) code
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url") || code=000
    [[ $code == 200 ]] && return 0
    sleep 0.2
  done
  return 1
}

# ------------------------------------------------------------------ 0. tools and build
need_pkgs=()
for pair in docker-registry:docker-registry wrk:wrk iperf3:iperf3 curl:curl jq:jq openssl:openssl \
  cmake:cmake ninja:ninja-build; do
  command -v "${pair%%:*}" > /dev/null || need_pkgs+=("${pair#*:}")
done
command -v python3 > /dev/null || die "python3 is required"
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  SUDO=; ((EUID == 0)) || SUDO=sudo
  # The packages ship services; do not let them start (Debian's policy-rc.d convention).
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2; then
    $SUDO apt-get update >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
      "${need_pkgs[@]}" >&2 || die "apt-get install ${need_pkgs[*]} failed"
  fi
fi
[[ -x $REGISTRY_BENCH || -f $REGISTRY_BENCH ]] || die "no $REGISTRY_BENCH"

if [[ $SKIP_BUILD != 1 ]]; then
  log "building Release cairn and cairn-load in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF > "$OUT_DIR/build.log" 2>&1 &&
    ninja -C "$BUILD_DIR" ${NINJA_JOBS:+-j"$NINJA_JOBS"} cairn cairn-load >> "$OUT_DIR/build.log" 2>&1 ||
    die "build failed; see $OUT_DIR/build.log"
fi
LOAD=$ROOT_DIR/$BUILD_DIR/cairn-load
CAIRN=$ROOT_DIR/$BUILD_DIR/cairn
[[ -x $LOAD ]] || die "no $LOAD"
[[ $TARGETS != *cairn* || -x $CAIRN ]] || die "no $CAIRN"

export WORKDIR=${WORKDIR:-$SCRATCH/regbench}  # registry-bench.sh's client-side data
mkdir -p "$WORKDIR"

# ------------------------------------------------------------------ 1. iperf3
IPERF_MBPS=null
if [[ " $SUITES " == *" iperf3 "* ]] && command -v iperf3 > /dev/null; then
  port=$(free_port)
  iperf3 -s -1 -B 127.0.0.1 -p "$port" > "$OUT_DIR/iperf3.server.log" 2>&1 &
  ipid=$!
  PIDS+=("$ipid")
  sleep 0.5
  if iperf3 -c 127.0.0.1 -p "$port" -t "$IPERF_SECONDS" -J > "$OUT_DIR/iperf3.json" 2> "$OUT_DIR/iperf3.err"; then
    IPERF_MBPS=$(jq '.end.sum_received.bits_per_second / 8 / 1e6 | . * 10 | round / 10' "$OUT_DIR/iperf3.json")
    log "iperf3 loopback, one stream: $IPERF_MBPS MB/s"
  else
    note "iperf3 failed: $(tail -c 300 "$OUT_DIR/iperf3.err")"
  fi
  stop_pid "$ipid"
  forget_pid "$ipid"
fi

# ------------------------------------------------------------------ fixtures and load
CURL=(curl -sS --connect-timeout 5 -H 'Expect:')
sha_file() { local o; o=$(openssl dgst -sha256 -r "$1") || return 1; printf 'sha256:%s' "${o%% *}"; }
# hdr FILE NAME: the last value of header NAME (lower case) in a curl -D dump
hdr() {
  tr -d '\r' < "$1" | awk -v k="$2" '{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == k) {
    v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } } END { print v }'
}

# push_blob BASE FILE DIGEST: monolithic POST + PUT; 0 on 201
push_blob() {
  local base=$1 f=$2 d=$3 h=$SCRATCH/push.h code loc sep
  code=$("${CURL[@]}" -D "$h" -o /dev/null -w '%{http_code}' -X POST "$base/v2/$LOAD_REPO/blobs/uploads/") || return 1
  [[ $code == 202 ]] || { log "POST upload: $code"; return 1; }
  loc=$(hdr "$h" location)
  case $loc in
    http://*) ;;
    /*) loc=$base$loc ;;
    *) loc=$base/v2/$LOAD_REPO/blobs/uploads/$loc ;;
  esac
  sep='?'; [[ $loc == *\?* ]] && sep='&'
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -T "$f" -H 'Content-Type: application/octet-stream' \
    "$loc${sep}digest=${d/:/%3A}") || return 1
  [[ $code == 201 ]] || { log "PUT blob: $code"; return 1; }
}

make_fixtures() {
  local fx=$SCRATCH/fixtures
  [[ -f $fx/.ok ]] && return 0
  mkdir -p "$fx"
  head -c 4096 /dev/urandom > "$fx/small.bin"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"comment":"cairn-load %s"}' \
    "$(sha_file "$fx/small.bin")" "$(date +%s%N)" > "$fx/config.json"
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":4096}]}' \
    "$MT" "$(sha_file "$fx/config.json")" "$(stat -c %s "$fx/config.json")" "$(sha_file "$fx/small.bin")" > "$fx/manifest.json"
  openssl rand -out "$fx/range.bin" $((RANGE_MIB * 1048576)) || return 1
  touch "$fx/.ok"
}

# load_test NAME TEST CONNECTIONS URL [cairn-load args...]: LOAD_REPS runs, one JSON per line
load_test() {
  local name=$1 test=$2 c=$3 url=$4; shift 4
  local out=$OUT_DIR/$name.load.$test.jsonl i j
  : > "$out"
  for ((i = 1; i <= LOAD_REPS; i++)); do
    j=$("$LOAD" --url "$url" --connections "$c" --duration "$LOAD_DURATION" "$@" 2>> "$OUT_DIR/$name.load.err")
    if [[ -n $j ]]; then
      echo "$j" >> "$out"
      log "$name $test #$i: $(jq -r '"\(.rps|floor) req/s p99=\(.p99_ms)ms errors=\(.errors) non2xx=\(.non2xx)"' <<< "$j")"
    else
      note "$name $test #$i: cairn-load printed nothing"
    fi
  done
}

run_load_suite() {
  local name=$1 base=$2 fx=$SCRATCH/fixtures small cfg rng code
  make_fixtures || { note "$name: cannot create fixtures"; return 1; }
  small=$(sha_file "$fx/small.bin"); cfg=$(sha_file "$fx/config.json"); rng=$(sha_file "$fx/range.bin")
  push_blob "$base" "$fx/small.bin" "$small" || note "$name: push of the small blob failed"
  push_blob "$base" "$fx/config.json" "$cfg" || note "$name: push of the config blob failed"
  push_blob "$base" "$fx/range.bin" "$rng" || note "$name: push of the ${RANGE_MIB} MiB range blob failed"
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $MT" \
    --data-binary @"$fx/manifest.json" "$base/v2/$LOAD_REPO/manifests/v1") || code=000
  [[ $code == 201 ]] || note "$name: manifest PUT answered $code (GET manifest figures will be non-2xx)"

  code=$("${CURL[@]}" -I -o /dev/null -w '%{http_code}' "$base/v2/$LOAD_REPO/blobs/$small") || code=000
  if [[ $code == 200 ]]; then
    load_test "$name" head_small 64 "$base/v2/$LOAD_REPO/blobs/$small" --method HEAD
  else
    note "$name: HEAD small blob answered $code; skipped"
  fi
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Accept: $MT" "$base/v2/$LOAD_REPO/manifests/v1") || code=000
  if [[ $code == 200 ]]; then
    load_test "$name" get_manifest 64 "$base/v2/$LOAD_REPO/manifests/v1" --header "Accept: $MT"
  else
    note "$name: GET manifest answered $code; skipped"
  fi
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Range: bytes=65536-131071' "$base/v2/$LOAD_REPO/blobs/$rng") || code=000
  if [[ $code == 206 ]]; then
    load_test "$name" range_64k 32 "$base/v2/$LOAD_REPO/blobs/$rng" \
      --random-range $((RANGE_MIB * 1048576)):65536
  else
    note "$name: range GET answered $code; skipped"
  fi
}

# ------------------------------------------------------------------ 2. targets
start_reference() {  # sets SRV_PID SRV_BASE
  local port root=$SCRATCH/reference-root cfg=$SCRATCH/reference.yml
  port=$(free_port)
  mkdir -p "$root"
  cat > "$cfg" << EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $root}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$port}
EOF
  cp "$cfg" "$OUT_DIR/reference.config.yml"
  docker-registry serve "$cfg" > "$OUT_DIR/reference.server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
}
start_cairn() {
  local port root=$SCRATCH/cairn-root
  port=$(free_port)
  mkdir -p "$root"
  "$CAIRN" serve --root "$root" --listen "127.0.0.1:$port" --access-log off > "$OUT_DIR/cairn.server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
}

for name in $TARGETS; do
  case $name in
    reference) start_reference ;;
    cairn) start_cairn ;;
    *) die "unknown target $name (reference | cairn)" ;;
  esac
  PIDS+=("$SRV_PID")
  log "$name: pid $SRV_PID at $SRV_BASE"
  if ! wait_http "$SRV_BASE/v2/" "$SRV_PID" 30; then
    note "$name: did not answer GET /v2/ with 200 within 30 s; see $OUT_DIR/$name.server.log"
    stop_pid "$SRV_PID"; forget_pid "$SRV_PID"
    continue
  fi
  if [[ " $SUITES " == *" registry-bench "* ]]; then
    log "$name: registry-bench.sh (REPS=$REPS DURATION=$DURATION BIG_MIB=$BIG_MIB)"
    SERVER_PID=$SRV_PID bash "$REGISTRY_BENCH" "$SRV_BASE" "$BENCH_REPO" \
      > "$OUT_DIR/$name.registry-bench.json" 2> "$OUT_DIR/$name.registry-bench.log" ||
      note "$name: registry-bench.sh exited $? (see $OUT_DIR/$name.registry-bench.log)"
  fi
  if [[ " $SUITES " == *" load "* ]]; then
    log "$name: cairn-load suite (LOAD_REPS=$LOAD_REPS LOAD_DURATION=$LOAD_DURATION)"
    run_load_suite "$name" "$SRV_BASE"
  fi
  kill -0 "$SRV_PID" 2>/dev/null || note "$name: the server died during the run"
  stop_pid "$SRV_PID"
  forget_pid "$SRV_PID"
  log "$name: stopped"
done

# ------------------------------------------------------------------ 3. the table
RUN_DATE=$RUN_DATE TARGETS=$TARGETS SUITES=$SUITES python3 - "$OUT_DIR" "$IPERF_MBPS" "$FORMAT" << 'EOF'
import json, os, statistics, sys
out_dir, iperf, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
names = ['reference', 'cairn']
bench, load = {}, {}
for n in names:
    try:
        with open(os.path.join(out_dir, f'{n}.registry-bench.json')) as f:
            bench[n] = json.load(f)
    except (OSError, ValueError):
        bench[n] = None
    load[n] = {}
    for test in ('head_small', 'get_manifest', 'range_64k'):
        runs = []
        try:
            with open(os.path.join(out_dir, f'{n}.load.{test}.jsonl')) as f:
                runs = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError):
            pass
        if runs:
            med = {k: statistics.median(r[k] for r in runs)
                   for k in ('rps', 'p50_ms', 'p99_ms', 'p999_ms', 'errors', 'non2xx', 'requests')}
            med['runs'] = len(runs)
            load[n][test] = med

# rows: (key, label, direction) ; direction: +1 higher is better, -1 lower, 0 neither
def direction(key):
    k = key.lower()
    if 'bytes_per_req' in k: return 0
    if k.endswith('_errors') or k.endswith('_non2xx') or '_ms' in k or 'cpu' in k or 'vmhwm' in k or 'vmrss' in k: return -1
    if 'mbps' in k or k.endswith('_rps'): return +1
    return 0
metrics = {n: {} for n in names}
keys = []
for n in names:
    b = bench[n] or {}
    for k, v in b.items():
        if k in ('samples', 'meta', 'errors') or not isinstance(v, (int, float)):
            continue
        metrics[n][k] = v
        if k not in keys: keys.append(k)
for test, c in (('head_small', 64), ('get_manifest', 64), ('range_64k', 32)):
    for field in ('rps', 'p50_ms', 'p99_ms', 'p999_ms', 'errors', 'non2xx'):
        k = f'load_{test}_c{c}_{field}'
        for n in names:
            r = load[n].get(test)
            if r is not None: metrics[n][k] = r[field]
        if any(k in metrics[n] for n in names): keys.append(k)

def ratio(k):
    a, b = metrics['reference'].get(k), metrics['cairn'].get(k)
    if a is None or b is None or a == 0: return None
    return round(b / a, 3)
def fmtv(v):
    if v is None: return '—'
    if isinstance(v, float) and v != int(v): return f'{v:,.3f}'.rstrip('0').rstrip('.')
    return f'{int(v):,}'

rows = []
for k in keys:
    d = direction(k)
    rows.append({'metric': k, 'reference': metrics['reference'].get(k), 'cairn': metrics['cairn'].get(k),
                 'ratio': ratio(k), 'better': {1: 'higher', -1: 'lower', 0: ''}[d]})
notes = [l.rstrip('\n') for l in open(os.path.join(out_dir, 'notes.txt')) if l.strip()]
for n in names:
    if bench[n] is None:
        if n in os.environ.get('TARGETS', '') and 'registry-bench' in os.environ.get('SUITES', ''):
            notes.append(f'{n}: no registry-bench result')
    else:
        for e in bench[n].get('errors', []): notes.append(f'{n} registry-bench error: {e}')
    for test, r in load[n].items():
        if r['errors'] or r['non2xx']:
            notes.append(f'{n} {test}: median errors={r["errors"]} non2xx={r["non2xx"]} (figure not comparable)')
iperf_v = None if iperf in ('', 'null') else float(iperf)
meta = {n: (bench[n] or {}).get('meta', {}) for n in names}
combined = {'iperf3_loopback_MBps': iperf_v, 'rows': rows,
            'reference': metrics['reference'], 'cairn': metrics['cairn'],
            'ratio_cairn_over_reference': {r['metric']: r['ratio'] for r in rows if r['ratio'] is not None},
            'load_medians': load, 'meta': meta, 'notes': notes,
            'date_utc': os.environ['RUN_DATE'],
            'env': {k: os.environ.get(k) for k in ('REPS', 'DURATION', 'BIG_MIB', 'LOAD_REPS', 'LOAD_DURATION', 'RANGE_MIB')}}
md = []
env = combined['env']
md.append(f"## cairn vs reference registry (docker-registry 2.8), {os.environ['RUN_DATE']}")
md.append('')
md.append(f"REPS={env['REPS']} DURATION={env['DURATION']}s BIG_MIB={env['BIG_MIB']}; cairn-load: "
          f"{os.environ.get('LOAD_REPS')} × {os.environ.get('LOAD_DURATION')}s, range blob {os.environ.get('RANGE_MIB')} MiB. "
          (f"Loopback TCP ceiling (iperf3, one stream): {fmtv(iperf_v)} MB/s." if iperf_v else ''))
md.append('')
md.append('| metric | reference | cairn | cairn ÷ ref | better |')
md.append('|---|---:|---:|---:|---|')
for r in rows:
    md.append(f"| {r['metric']} | {fmtv(r['reference'])} | {fmtv(r['cairn'])} | {fmtv(r['ratio'])} | {r['better']} |")
if notes:
    md.append('')
    md.append('Notes:')
    md.extend(f'- {n}' for n in notes)
md_text = '\n'.join(md) + '\n'
with open(os.path.join(out_dir, 'side-by-side.md'), 'w') as f: f.write(md_text)
with open(os.path.join(out_dir, 'side-by-side.json'), 'w') as f: json.dump(combined, f, indent=1)
if fmt in ('md', 'both'): sys.stdout.write(md_text)
if fmt == 'both': sys.stdout.write('\n```json\n')
if fmt in ('json', 'both'): sys.stdout.write(json.dumps(combined, indent=1) + '\n')
if fmt == 'both': sys.stdout.write('```\n')
EOF
log "results in $OUT_DIR (side-by-side.md, side-by-side.json, raw outputs)"
