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
#      With SUITES containing after-push: AFTER_PUSH_REPS times, push a fresh BIG_MIB blob with
#      curl and pull it at once (a CI job that pushes, then deploys), timing both and the
#      server's CPU for the push.
#      With SUITES containing machine: this machine's ceilings, measured once: SHA-256 on one core
#      (openssl speed -evp sha256 -bytes 1048576) and the scratch disk's write speed with
#      O_DIRECT (dd oflag=direct, BIG_MIB), which bounds a push that is durable when answered.
#   3. prints one table, both columns and the ratio cairn / reference, and writes
#      side-by-side.{md,json} plus every raw output to OUT_DIR.
#
# Environment knobs [defaults]:
#   REPS [3] DURATION [10] BIG_MIB [1024]  passed to registry-bench.sh (and its other knobs too)
#   LOAD_REPS [REPS] LOAD_DURATION [DURATION]  cairn-load repetitions (median) and seconds
#   RANGE_MIB [64]          size of the blob the range GETs read from
#   IPERF_SECONDS [5]
#   TARGETS ["reference cairn"]  run only some of them; with BACKEND=s3 also cairn3: three cairn
#                           replicas over one bucket and one database (ports of their own): the
#                           cairn-load figures spread their connections over the three
#                           (--also-port), after-push pulls through the second replica what it
#                           pushed through the first; registry-bench.sh (one base URL) is skipped
#   SUITES ["iperf3 machine registry-bench after-push load"]  run only some of the measurements
#   AFTER_PUSH_REPS [REPS]
#   CAIRN_ARGS [unset]      extra `cairn serve` options, e.g. "--durability relaxed"
#   BUILD_DIR [build]       SKIP_BUILD [0]: use the binaries already in BUILD_DIR
#   NINJA_JOBS [unset]      passed to ninja as -j
#   OUT_DIR [${TMPDIR:-/tmp}/cairn-side-by-side.<time>]  results (kept)
#   FORMAT [md]             what goes to stdout: md | json | both
#   KEEP [0]                1: keep the scratch directory (server roots, bench data)
#   REGISTRY_BENCH [/work/shared/bench/registry-bench.sh]
#   TABLE_ONLY [0]          1: measure nothing; re-render the table from the raw files in OUT_DIR
#   BACKEND [local]         s3: both servers keep their blobs in one Ceph RGW (tools/rgw.sh,
#                           a bucket each) and cairn its metadata in a throwaway PostgreSQL 15
#                           (initdb + pg_ctl, free port): the reference with Distribution's s3
#                           driver (redirect disabled), cairn with --blobs and --metadata. The
#                           engines start once, before the targets, and stop at exit; their CPU
#                           (radosgw, ceph-osd, ceph-mon, postgres) during each target is noted.
#   S3_REDIRECT [0]         with BACKEND=s3, 1: the reference redirects blob GETs (its default)
#                           and cairn runs with --s3-redirect; the after-push pull follows the 307
#                           (registry-bench's pulls do not: leave registry-bench out of SUITES)
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
SUITES=${SUITES:-iperf3 machine registry-bench after-push load}
export AFTER_PUSH_REPS=${AFTER_PUSH_REPS:-$REPS}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
FORMAT=${FORMAT:-md}
KEEP=${KEEP:-0}
REGISTRY_BENCH=${REGISTRY_BENCH:-/work/shared/bench/registry-bench.sh}
TABLE_ONLY=${TABLE_ONLY:-0}
BACKEND=${BACKEND:-local}
S3_REDIRECT=${S3_REDIRECT:-0}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/cairn-side-by-side.$(date +%Y%m%d-%H%M%S)}
MT=application/vnd.oci.image.manifest.v1+json
RUN_DATE=${RUN_DATE:-$(date -u +%FT%TZ)}
BENCH_REPO=bench/sbs  # registry-bench.sh's repository
LOAD_REPO=bench/load  # the fixtures cairn-load reads

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

mkdir -p "$OUT_DIR" || exit 2
OUT_DIR=$(cd "$OUT_DIR" && pwd)
NOTES=$OUT_DIR/notes.txt
note() { log "note: $*"; echo "$*" >> "$NOTES"; }
render_table() {
  RUN_DATE=$RUN_DATE TARGETS=$TARGETS SUITES=$SUITES BACKEND=$BACKEND S3_REDIRECT=$S3_REDIRECT \
    python3 "$ROOT_DIR/bench/load/side_by_side_table.py" "$OUT_DIR" "$FORMAT"
}
if [[ $TABLE_ONLY == 1 ]]; then
  render_table
  exit
fi
: > "$NOTES"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-sbs.XXXXXX") || exit 2

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
# run_child CMD...: runs CMD in the background and waits for it, so that a signal reaches our traps
# at once (bash defers traps while a foreground child runs); stopped on exit like the servers.
run_child() {
  "$@" &
  local pid=$! rc
  PIDS+=("$pid")
  wait "$pid"
  rc=$?
  forget_pid "$pid"
  return "$rc"
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  declare -F stop_engines > /dev/null && stop_engines
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
if [[ " $SUITES " == *" iperf3 "* ]] && command -v iperf3 > /dev/null; then
  port=$(free_port)
  iperf3 -s -1 -B 127.0.0.1 -p "$port" > "$OUT_DIR/iperf3.server.log" 2>&1 &
  ipid=$!
  PIDS+=("$ipid")
  sleep 0.5
  if run_child iperf3 -c 127.0.0.1 -p "$port" -t "$IPERF_SECONDS" -J > "$OUT_DIR/iperf3.json" 2> "$OUT_DIR/iperf3.err"; then
    log "iperf3 loopback, one stream: $(jq '.end.sum_received.bits_per_second / 8e6 | round' "$OUT_DIR/iperf3.json") MB/s"
  else
    note "iperf3 failed: $(tail -c 300 "$OUT_DIR/iperf3.err")"
  fi
  stop_pid "$ipid"
  forget_pid "$ipid"
fi

# ------------------------------------------------------------------ 1b. machine ceilings
if [[ " $SUITES " == *" machine "* ]]; then
  sha=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ { sub(/k$/, "", $2); print $2 * 1000 / 1e6 }')
  disk=
  if dd_out=$(LC_ALL=C dd if=/dev/zero of="$SCRATCH/dd.bin" bs=1M count="$BIG_MIB" oflag=direct 2>&1); then
    disk=$(awk '/copied/ { u = $NF; v = $(NF-1); print v * (u == "GB/s" ? 1000 : u == "kB/s" ? 0.001 : 1) }' <<< "$dd_out")
  else
    note "dd oflag=direct failed: $(tail -c 200 <<< "$dd_out")"
  fi
  rm -f "$SCRATCH/dd.bin"
  printf '{"sha256_1MiB_one_core_MBps": %s, "disk_write_direct_MBps": %s}\n' "${sha:-null}" "${disk:-null}" \
    > "$OUT_DIR/machine.json"
  log "machine: SHA-256 one core ${sha:-?} MB/s; disk write (O_DIRECT) ${disk:-?} MB/s"
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

# load_test NAME TEST CONNECTIONS URL [cairn-load args...]: LOAD_REPS runs, one JSON per line,
# each with the CPU the server(s) (SRV_PIDS) and, with BACKEND=s3, the engines spent during it
load_test() {
  local name=$1 test=$2 c=$3 url=$4; shift 4
  local out=$OUT_DIR/$name.load.$test.jsonl i j s0 s1 e0 e1 tck
  tck=$(getconf CLK_TCK)
  : > "$out"
  for ((i = 1; i <= LOAD_REPS; i++)); do
    s0=$(srv_ticks_all); e0=0
    [[ $BACKEND == s3 ]] && e0=$(engine_ticks)
    run_child "$LOAD" --url "$url" --connections "$c" --duration "$LOAD_DURATION" "$@" \
      > "$SCRATCH/load.out" 2>> "$OUT_DIR/$name.load.err"
    s1=$(srv_ticks_all); e1=0
    [[ $BACKEND == s3 ]] && e1=$(engine_ticks)
    j=$(< "$SCRATCH/load.out")
    if [[ -n $j ]]; then
      j=$(jq -c --argjson s "$(((s1 - s0) * 1000 / tck))" '. + {server_cpu_ms: $s}' <<< "$j")
      [[ $BACKEND == s3 ]] &&
        j=$(jq -c --argjson e "$(((e1 - e0) * 1000 / tck))" '. + {engine_cpu_ms: $e}' <<< "$j")
      echo "$j" >> "$out"
      log "$name $test #$i: $(jq -r '"\(.rps|floor) req/s p99=\(.p99_ms)ms errors=\(.errors) non2xx=\(.non2xx)"' <<< "$j")"
    else
      note "$name $test #$i: cairn-load printed nothing"
    fi
  done
}

# run_load_suite NAME BASE [cairn-load args for every figure, e.g. --also-port P]...
run_load_suite() {
  local name=$1 base=$2 fx=$SCRATCH/fixtures small cfg rng code
  shift 2
  local spread=("$@")
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
    load_test "$name" head_small 64 "$base/v2/$LOAD_REPO/blobs/$small" --method HEAD "${spread[@]}"
  else
    note "$name: HEAD small blob answered $code; skipped"
  fi
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Accept: $MT" "$base/v2/$LOAD_REPO/manifests/v1") || code=000
  if [[ $code == 200 ]]; then
    load_test "$name" get_manifest 64 "$base/v2/$LOAD_REPO/manifests/v1" --header "Accept: $MT" \
      "${spread[@]}"
  else
    note "$name: GET manifest answered $code; skipped"
  fi
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Range: bytes=65536-131071' "$base/v2/$LOAD_REPO/blobs/$rng") || code=000
  if [[ $code == 206 ]]; then
    load_test "$name" range_64k 32 "$base/v2/$LOAD_REPO/blobs/$rng" \
      --random-range $((RANGE_MIB * 1048576)):65536 "${spread[@]}"
  else
    note "$name: range GET answered $code; skipped"
  fi
}

# srv_ticks PID: utime + stime of a process, in clock ticks
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null; }
# srv_ticks_all: the same, summed over the target's servers (SRV_PIDS)
srv_ticks_all() {
  local p t=0 v
  for p in "${SRV_PIDS[@]}"; do v=$(srv_ticks "$p") && t=$((t + ${v:-0})); done
  echo "$t"
}
# run_after_push NAME BASE PID [PULL_BASE]: pushes of fresh blobs (through BASE), each pulled at
# once (through PULL_BASE, default BASE); one JSON per line
run_after_push() {
  local name=$1 base=$2 pid=$3 pull_base=${4:-$2} f=$SCRATCH/after-push.bin
  local out=$OUT_DIR/$name.after-push.jsonl
  local i d t0 t1 a b c tck bytes=$((BIG_MIB * 1048576)) push pull cpu code
  tck=$(getconf CLK_TCK)
  # Random bytes: one random MiB, repeated (openssl rand takes at most 2 GiB - 1 at once); each
  # repetition stamps its first 64 bytes, so every push is new content.
  if [[ ! -f $f ]]; then
    openssl rand -out "$f.mib" 1048576 &&
      for ((i = 0; i < BIG_MIB; i++)); do cat "$f.mib"; done > "$f" ||
      { note "$name: cannot create $f"; return 1; }
  fi
  : > "$out"
  for ((i = 1; i <= AFTER_PUSH_REPS; i++)); do
    printf '%-64s' "after-push $name $i $(date +%s%N)" | dd of="$f" bs=64 count=1 conv=notrunc status=none
    d=$(sha_file "$f")
    t0=$(srv_ticks "$pid"); a=$(date +%s%N)
    push_blob "$base" "$f" "$d" || { note "$name: after-push #$i: push failed"; continue; }
    b=$(date +%s%N); t1=$(srv_ticks "$pid")
    # With S3_REDIRECT the 307 is followed to the object store (and the pull timed to the end).
    code=$("${CURL[@]}" ${PULL_FOLLOW:+-L} -o /dev/null -w '%{http_code} %{size_download}' "$pull_base/v2/$LOAD_REPO/blobs/$d") || code=000
    c=$(date +%s%N)
    [[ $code == "200 $bytes" ]] || { note "$name: after-push #$i: pull answered $code"; continue; }
    [[ -n $t0 && -n $t1 ]] || { note "$name: after-push #$i: no CPU figure (server gone?)"; continue; }
    push=$(( bytes * 1000 / (b - a) )); pull=$(( bytes * 1000 / (c - b) ))
    cpu=$(python3 -c "print(round(($t1 - $t0) / $tck * 1073741824 / $bytes, 3))")
    echo "{\"big_mib\": $BIG_MIB, \"push_MBps\": $push, \"pull_MBps\": $pull, \"push_server_cpu_s_per_GiB\": $cpu}" >> "$out"
    log "$name after-push #$i: push $push MB/s ($cpu CPU-s/GiB), pull at once $pull MB/s"
    "${CURL[@]}" -o /dev/null -X DELETE "$base/v2/$LOAD_REPO/blobs/$d" || true
  done
}

# ------------------------------------------------------------------ 1c. engines (BACKEND=s3)
S3_KEY=CAIRNTESTACCESSKEY00 S3_SECRET=cairn-test-secret-key-0000000000000000000 S3_REGION=us-east-1
PULL_FOLLOW=
# Defined before the engines start, so that a failure while starting them stops what did start.
stop_engines() {
  [[ $BACKEND == s3 ]] || return 0
  declare -F stop_pg > /dev/null && stop_pg
  declare -F stop_rgw > /dev/null && stop_rgw
}
if [[ $BACKEND == s3 ]]; then
  for tool in radosgw ceph-osd ceph-mon initdb pg_ctl psql; do
    command -v "$tool" > /dev/null || [[ -x /usr/lib/postgresql/15/bin/$tool ]] ||
      die "BACKEND=s3 needs $tool (tools/dev.sh test installs Ceph and PostgreSQL)"
  done
  log "starting Ceph RGW (tools/rgw.sh)"
  RGW_DIR=$SCRATCH/rgw
  rgw_out=$(bash "$ROOT_DIR/tools/rgw.sh" start "$RGW_DIR" 2>&1) || die "tools/rgw.sh start: $(tail -c 600 <<< "$rgw_out")"
  S3_ENDPOINT=$(tail -n 1 <<< "$rgw_out")
  stop_rgw() { bash "$ROOT_DIR/tools/rgw.sh" stop "$RGW_DIR" > /dev/null 2>&1; }
  log "RGW at $S3_ENDPOINT"
  for b in reference cairn cairn3; do
    # RGW checks x-amz-content-sha256, which curl's --aws-sigv4 does not send: the empty body's.
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --user "$S3_KEY:$S3_SECRET" \
      -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
      --aws-sigv4 "aws:amz:$S3_REGION:s3" "$S3_ENDPOINT/bench-$b") || code=000
    [[ $code == 200 ]] || die "create bucket bench-$b: HTTP $code"
  done
  PG_BIN=/usr/lib/postgresql/15/bin
  PG_DIR=$SCRATCH/pg
  PG_PORT=$(free_port)
  as_pg=()
  mkdir -p "$PG_DIR"
  # PostgreSQL refuses to run as root: as root, its directory goes to the postgres user, who
  # may pass through the scratch directory (mode 711: not list it).
  if ((EUID == 0)); then chmod 711 "$SCRATCH"; chown postgres "$PG_DIR"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U cairn -A trust -E UTF8 --no-locale > "$OUT_DIR/pg.initdb.log" 2>&1 ||
    die "initdb failed: $(tail -c 400 "$OUT_DIR/pg.initdb.log")"
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -p $PG_PORT -c max_connections=200" start \
    > "$OUT_DIR/pg.start.log" 2>&1 || die "pg_ctl start failed: $(tail -c 400 "$PG_DIR/server.log")"
  stop_pg() { "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop > /dev/null 2>&1; }
  for db in cairn cairn3; do
    psql -h 127.0.0.1 -p "$PG_PORT" -U cairn -d postgres -qc "CREATE DATABASE $db" > /dev/null ||
      die "CREATE DATABASE $db failed"
  done
  log "PostgreSQL at 127.0.0.1:$PG_PORT"
  [[ $S3_REDIRECT == 1 ]] && PULL_FOLLOW=1
  # The engines' processes, for their CPU: the Ceph daemons, the postmaster (its reaped
  # backends' CPU in its cutime/cstime) and its live backends (the cairn connections, which last
  # the whole run: counted before they exit or after, never both).
  engine_pids() {
    local f pm
    for f in "$RGW_DIR"/run/*.pid; do [[ -f $f ]] && cat "$f"; done
    pm=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2> /dev/null) || return 0
    echo "$pm"
    pgrep -P "$pm"
  }
  engine_ticks() {
    local p t=0 v
    for p in $(engine_pids); do
      v=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2> /dev/null) && t=$((t + ${v:-0}))
    done
    echo "$t"
  }
fi

# ------------------------------------------------------------------ 2. targets
start_reference() {  # sets SRV_PID SRV_BASE
  local port root=$SCRATCH/reference-root cfg=$SCRATCH/reference.yml storage
  port=$(free_port)
  mkdir -p "$root"
  if [[ $BACKEND == s3 ]]; then
    storage="  s3: {region: $S3_REGION, regionendpoint: '$S3_ENDPOINT', bucket: bench-reference, accesskey: $S3_KEY, secretkey: $S3_SECRET, secure: false, v4auth: true, rootdirectory: /reference}
  redirect: {disable: $([[ $S3_REDIRECT == 1 ]] && echo false || echo true)}"
  else
    storage="  filesystem: {rootdirectory: $root}"
  fi
  cat > "$cfg" << EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
$storage
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$port}
EOF
  cp "$cfg" "$OUT_DIR/reference.config.yml"
  # Without AWS_CA_BUNDLE: set in the environment, it makes the s3 driver's AWS SDK panic at start
  # ("LoadCustomCABundleError ... unsupported transport"); its endpoint is plain HTTP anyway.
  env -u AWS_CA_BUNDLE docker-registry serve "$cfg" > "$OUT_DIR/reference.server.log" 2>&1 &
  SRV_PID=$!
  SRV_BASE=http://127.0.0.1:$port
}
# start_cairn_process ROOT PORT BUCKET DATABASE LOG: one `cairn serve` in the background (its PID
# in LAST_PID); BUCKET and DATABASE are used with BACKEND=s3.
start_cairn_process() {
  local root=$1 port=$2 bucket=$3 db=$4 log=$5
  mkdir -p "$root"
  # Started with SIGPIPE ignored, as Go's runtime does for the reference: a load generator closes
  # connections with responses in flight at its deadline, and a sendfile(2) to such a socket
  # raises SIGPIPE, which killed cairn (exit 141) up to at least commit 9e7860c. exec keeps the PID.
  local backend=()
  if [[ $BACKEND == s3 ]]; then
    backend=(--blobs "s3://$bucket/cairn?endpoint=$S3_ENDPOINT&region=$S3_REGION"
      --metadata "postgresql://cairn@127.0.0.1:$PG_PORT/$db")
    [[ $S3_REDIRECT == 1 ]] && backend+=(--s3-redirect)
  fi
  (
    trap '' PIPE
    export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET
    # shellcheck disable=SC2086 # CAIRN_ARGS is a list of options
    exec "$CAIRN" serve --root "$root" --listen "127.0.0.1:$port" --access-log off "${backend[@]}" ${CAIRN_ARGS:-}
  ) > "$log" 2>&1 &
  LAST_PID=$!
}
start_cairn() {  # sets SRV_PIDS SRV_BASES
  local port
  port=$(free_port)
  start_cairn_process "$SCRATCH/cairn-root" "$port" bench-cairn cairn "$OUT_DIR/cairn.server.log"
  SRV_PIDS=("$LAST_PID")
  SRV_BASES=("http://127.0.0.1:$port")
}
start_cairn3() {  # three replicas over one bucket and one database; sets SRV_PIDS SRV_BASES
  local i port
  SRV_PIDS=() SRV_BASES=()
  for i in 1 2 3; do
    port=$(free_port)
    start_cairn_process "$SCRATCH/cairn3-root-$i" "$port" bench-cairn3 cairn3 \
      "$OUT_DIR/cairn3.server-$i.log"
    SRV_PIDS+=("$LAST_PID")
    SRV_BASES+=("http://127.0.0.1:$port")
  done
}

for name in $TARGETS; do
  case $name in
    reference) start_reference; SRV_PIDS=("$SRV_PID") SRV_BASES=("$SRV_BASE") ;;
    cairn) start_cairn ;;
    cairn3)
      [[ $BACKEND == s3 ]] || die "cairn3 (replicas) needs BACKEND=s3: shared blobs and metadata"
      start_cairn3 ;;
    *) die "unknown target $name (reference | cairn | cairn3)" ;;
  esac
  PIDS+=("${SRV_PIDS[@]}")
  SRV_PID=${SRV_PIDS[0]} SRV_BASE=${SRV_BASES[0]}
  # The load figures spread their connections over every replica; after-push pulls through the
  # second one (the first when there is one).
  spread=() pull_base=${SRV_BASES[${#SRV_BASES[@]} > 1 ? 1 : 0]}
  for b in "${SRV_BASES[@]:1}"; do spread+=(--also-port "${b##*:}"); done
  log "$name: pids ${SRV_PIDS[*]} at ${SRV_BASES[*]}"
  up=1
  for i in "${!SRV_PIDS[@]}"; do
    if ! wait_http "${SRV_BASES[$i]}/v2/" "${SRV_PIDS[$i]}" 30; then
      note "$name: ${SRV_BASES[$i]} did not answer GET /v2/ with 200 within 30 s; see $OUT_DIR/$name.server*.log"
      up=0
    fi
  done
  if ((!up)); then
    for p in "${SRV_PIDS[@]}"; do stop_pid "$p"; forget_pid "$p"; done
    continue
  fi
  if [[ $BACKEND == s3 ]]; then
    eng0=$(engine_ticks) srv0=$(srv_ticks_all)
  fi
  if [[ " $SUITES " == *" registry-bench "* && ${#SRV_PIDS[@]} == 1 ]]; then
    log "$name: registry-bench.sh (REPS=$REPS DURATION=$DURATION BIG_MIB=$BIG_MIB)"
    SERVER_PID=$SRV_PID run_child bash "$REGISTRY_BENCH" "$SRV_BASE" "$BENCH_REPO" \
      > "$OUT_DIR/$name.registry-bench.json" 2> "$OUT_DIR/$name.registry-bench.log" ||
      note "$name: registry-bench.sh exited $? (see $OUT_DIR/$name.registry-bench.log)"
  elif [[ " $SUITES " == *" registry-bench "* ]]; then
    note "$name: registry-bench.sh skipped (it drives one base URL, so one replica)"
  fi
  if [[ " $SUITES " == *" after-push "* ]]; then
    log "$name: after-push (AFTER_PUSH_REPS=$AFTER_PUSH_REPS BIG_MIB=$BIG_MIB)"
    run_after_push "$name" "$SRV_BASE" "$SRV_PID" "$pull_base"
  fi
  if [[ " $SUITES " == *" load "* ]]; then
    log "$name: cairn-load suite (LOAD_REPS=$LOAD_REPS LOAD_DURATION=$LOAD_DURATION)"
    run_load_suite "$name" "$SRV_BASE" "${spread[@]}"
  fi
  if [[ $BACKEND == s3 ]]; then
    eng1=$(engine_ticks) srv1=$(srv_ticks_all)
    note "$name: CPU over all its suites: server(s) $(python3 -c "print(round((${srv1:-0} - ${srv0:-0}) / $(getconf CLK_TCK), 1))") s, engines (radosgw, ceph-osd, ceph-mon, PostgreSQL) $(python3 -c "print(round(($eng1 - $eng0) / $(getconf CLK_TCK), 1))") s"
  fi
  for p in "${SRV_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || note "$name: a server (pid $p) died during the run"
    stop_pid "$p"
    forget_pid "$p"
  done
  log "$name: stopped"
done

# ------------------------------------------------------------------ 3. the table
render_table
log "results in $OUT_DIR (side-by-side.md, side-by-side.json, raw outputs)"
