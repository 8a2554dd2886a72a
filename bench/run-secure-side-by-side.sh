#!/usr/bin/env bash
# run-secure-side-by-side.sh - what HTTPS and authentication cost: cairn over TLS with htpasswd and
# tokens, beside plain cairn and beside the reference registry (Debian's docker-registry, CNCF
# Distribution 2.8) with TLS and htpasswd, target after target in one run, over 127.0.0.1 only.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bench/run-secure-side-by-side.sh                                 # full run: minutes
#   REPS=1 DURATION=3 BIG_MIB=64 bench/run-secure-side-by-side.sh    # trial run
#
# What it does:
#   0. installs what is missing (docker-registry, apache2-utils, curl, jq, openssl) with apt-get,
#      and builds a Release cairn + cairn-load (as run-side-by-side.sh does); makes a throw-away
#      CA and a server certificate for 127.0.0.1 (openssl), and an htpasswd file with one bcrypt
#      user (htpasswd -nbB -C BCRYPT_COST; 5 is htpasswd's default, and what Distribution's docs use).
#   1. for each target, in this order:
#        reference    docker-registry with http.tls (the certificate) and auth.htpasswd. It has no
#                     token server of its own, so its clients send Basic credentials on every
#                     request and it runs bcrypt on each (that is its cost, measured as it is).
#        cairn-https  cairn --tls-cert --tls-key --htpasswd; requests carry a Bearer token got
#                     once (per figure) from /_token; the HEAD and GET-manifest rates are also
#                     measured with Basic credentials on every request (cairn's credential cache).
#        cairn-http   cairn without TLS or auth: the baseline.
#      a temp root and a free port; start the server; push a 4 KiB blob, a config blob and an OCI
#      manifest (tag v1); REPS times: push a BIG_MIB MiB blob in one request (POST, then PUT
#      ?digest= with the body; curl), pull it back to /dev/null (curl); then REPS runs each of
#      cairn-load HEAD small blob (c=64) and GET manifest (c=64); read the server's CPU-seconds
#      (/proc/PID/stat utime+stime) around every figure and its peak RSS (VmHWM); stop it.
#   2. prints one table (medians of REPS; ratios cairn-https/reference and cairn-https/cairn-http)
#      and writes secure-side-by-side.{md,json} plus every raw output to OUT_DIR.
#
# Environment knobs [defaults]:
#   REPS [3] DURATION [10] BIG_MIB [1024]   repetitions (medians), cairn-load seconds, push size
#   TARGETS ["reference cairn-https cairn-http"]  run only some of them
#   CONNECTIONS [64]        cairn-load connections for HEAD and GET manifest
#   BCRYPT_COST [5]         bcrypt cost of the htpasswd user (each +1 doubles a verification)
#   BUILD_DIR [build]       SKIP_BUILD [0]: use the binaries already in BUILD_DIR
#   CAIRN_BIN [BUILD_DIR/cairn] LOAD_BIN [BUILD_DIR/cairn-load]  other binaries (e.g. a trial build)
#   NINJA_JOBS [unset]      passed to ninja as -j
#   OUT_DIR [${TMPDIR:-/tmp}/cairn-secure-side-by-side.<time>]  results (kept)
#   FORMAT [md]             what goes to stdout: md | json | both
#   KEEP [0]                1: keep the scratch directory (server roots, certificates, blobs)
#   TABLE_ONLY [0]          1: measure nothing; re-render the table from the raw files in OUT_DIR
#
# Every process this script starts is stopped by its PID (trap on EXIT). Progress on stderr.
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT_DIR" || exit 2

export REPS=${REPS:-3} DURATION=${DURATION:-10} BIG_MIB=${BIG_MIB:-1024}
export TARGETS=${TARGETS:-reference cairn-https cairn-http}
export CONNECTIONS=${CONNECTIONS:-64} BCRYPT_COST=${BCRYPT_COST:-5}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
FORMAT=${FORMAT:-md}
KEEP=${KEEP:-0}
TABLE_ONLY=${TABLE_ONLY:-0}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/cairn-secure-side-by-side.$(date +%Y%m%d-%H%M%S)}
export RUN_DATE=${RUN_DATE:-$(date -u +%FT%TZ)}
MT=application/vnd.oci.image.manifest.v1+json
REPO=bench/secure
BENCH_USER=bench
BENCH_PASS=bench-$(date +%s%N | sha256sum | head -c 16)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

mkdir -p "$OUT_DIR" || exit 2
OUT_DIR=$(cd "$OUT_DIR" && pwd)
NOTES=$OUT_DIR/notes.txt
note() { log "note: $*"; echo "$*" >> "$NOTES"; }
render_table() {
  python3 "$ROOT_DIR/bench/load/secure_table.py" "$OUT_DIR" "$FORMAT"
}
if [[ $TABLE_ONLY == 1 ]]; then
  # the knobs of the run that wrote OUT_DIR, not of this shell
  [[ -f $OUT_DIR/run.env ]] && source "$OUT_DIR/run.env"
  render_table
  exit
fi
: > "$NOTES"
export -p | grep -E ' (REPS|DURATION|BIG_MIB|CONNECTIONS|BCRYPT_COST|TARGETS|RUN_DATE)=' > "$OUT_DIR/run.env"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-secure.XXXXXX") || exit 2

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
  if [[ $KEEP == 1 ]]; then log "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------------ 0. tools, build, credentials
need_pkgs=()
for pair in docker-registry:docker-registry htpasswd:apache2-utils curl:curl jq:jq openssl:openssl \
  cmake:cmake ninja:ninja-build; do
  command -v "${pair%%:*}" > /dev/null || need_pkgs+=("${pair#*:}")
done
command -v python3 > /dev/null || die "python3 is required"
if ((${#need_pkgs[@]})); then
  log "installing: ${need_pkgs[*]}"
  SUDO=; ((EUID == 0)) || SUDO=sudo
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2; then
    $SUDO apt-get update >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
      "${need_pkgs[@]}" >&2 || die "apt-get install ${need_pkgs[*]} failed"
  fi
fi

if [[ $SKIP_BUILD != 1 ]]; then
  log "building Release cairn and cairn-load in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF > "$OUT_DIR/build.log" 2>&1 &&
    ninja -C "$BUILD_DIR" ${NINJA_JOBS:+-j"$NINJA_JOBS"} cairn cairn-load >> "$OUT_DIR/build.log" 2>&1 ||
    die "build failed; see $OUT_DIR/build.log"
fi
LOAD=${LOAD_BIN:-$ROOT_DIR/$BUILD_DIR/cairn-load}
CAIRN=${CAIRN_BIN:-$ROOT_DIR/$BUILD_DIR/cairn}
[[ -x $LOAD ]] || die "no $LOAD"
[[ $TARGETS != *cairn* || -x $CAIRN ]] || die "no $CAIRN"
if [[ $TARGETS == *cairn-https* ]] && ! "$CAIRN" --help 2>&1 | grep -q -- --htpasswd; then
  die "$CAIRN has no --htpasswd (build a tree with TLS and auth, or set CAIRN_BIN)"
fi

# A throw-away CA and a server certificate for 127.0.0.1 (EC P-256, as a deployment would use).
TLS=$SCRATCH/tls
mkdir -p "$TLS"
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj '/CN=cairn bench CA' -keyout "$TLS/ca.key" -out "$TLS/ca.pem" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' \
      -keyout "$TLS/server.key" -out "$TLS/server.csr" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$TLS/ext.cnf" &&
    openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
      -CAcreateserial -days 2 -extfile "$TLS/ext.cnf" -out "$TLS/server.pem"
} > "$OUT_DIR/certs.log" 2>&1 || die "openssl could not make the certificates; see $OUT_DIR/certs.log"
htpasswd -nbB -C "$BCRYPT_COST" "$BENCH_USER" "$BENCH_PASS" > "$SCRATCH/htpasswd" 2> "$OUT_DIR/htpasswd.log" ||
  die "htpasswd -nbB failed"
BASIC=$(printf '%s:%s' "$BENCH_USER" "$BENCH_PASS" | base64 -w0)
echo "bcrypt cost of the htpasswd user: $(cut -d'$' -f3 "$SCRATCH/htpasswd" | head -1)" > "$OUT_DIR/htpasswd.log"

# ------------------------------------------------------------------ fixtures
CURL=(curl -sS --connect-timeout 5 -H 'Expect:')
sha_file() { local o; o=$(openssl dgst -sha256 -r "$1") || return 1; printf 'sha256:%s' "${o%% *}"; }
# hdr FILE NAME: the last value of header NAME (lower case) in a curl -D dump
hdr() {
  tr -d '\r' < "$1" | awk -v k="$2" '{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == k) {
    v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } } END { print v }'
}

FX=$SCRATCH/fixtures
make_fixtures() {
  local i
  mkdir -p "$FX"
  head -c 4096 /dev/urandom > "$FX/small.bin"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"comment":"secure bench %s"}' \
    "$(sha_file "$FX/small.bin")" "$(date +%s%N)" > "$FX/config.json"
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":4096}]}' \
    "$MT" "$(sha_file "$FX/config.json")" "$(stat -c %s "$FX/config.json")" "$(sha_file "$FX/small.bin")" > "$FX/manifest.json"
  # One big blob; each repetition changes its first 16 bytes so every push is new content to the
  # server (digests computed here, once, outside any measurement).
  log "making a ${BIG_MIB} MiB blob and its ${REPS} variants' digests"
  openssl rand -out "$FX/big.bin" $((BIG_MIB * 1048576)) || return 1
  for ((i = 1; i <= REPS; i++)); do
    printf 'rep%013d' "$i" | dd of="$FX/big.bin" bs=16 count=1 conv=notrunc status=none || return 1
    sha_file "$FX/big.bin" > "$FX/big.$i.digest" || return 1
  done
}
# set_variant I: the big blob's bytes as repetition I pushes them
set_variant() { printf 'rep%013d' "$1" | dd of="$FX/big.bin" bs=16 count=1 conv=notrunc status=none; }

# ------------------------------------------------------------------ the server's figures
TICKS=$(getconf CLK_TCK)
# cpu_s PID: user + system CPU-seconds of PID so far
cpu_s() {
  awk -v t="$TICKS" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# minus A B: A - B, for CPU-seconds and times
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
vmhwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# ------------------------------------------------------------------ one target
# Per target: NAME BASE (http[s]://127.0.0.1:PORT), TLS_ARGS (curl), AUTH_MODE (none|basic|bearer)
AUTH_HDR=()   # curl args carrying the credentials of the current figure
LOAD_AUTH=()  # cairn-load args carrying them
LOAD_TLS=()

# token: a Bearer token for pull and push on REPO from cairn's /_token (Basic credentials)
token() {
  local scheme_host=$1 t
  t=$("${CURL[@]}" "${TLS_ARGS[@]}" -u "$BENCH_USER:$BENCH_PASS" \
    "$scheme_host/_token?service=cairn&scope=repository:$REPO:pull,push" | jq -r '.token // empty') || return 1
  [[ -n $t ]] || return 1
  printf '%s' "$t"
}
# use_auth MODE: sets AUTH_HDR and LOAD_AUTH for none | basic | bearer (a fresh token)
use_auth() {
  local t
  case $1 in
    none) AUTH_HDR=(); LOAD_AUTH=() ;;
    basic) AUTH_HDR=(-H "Authorization: Basic $BASIC"); LOAD_AUTH=(--header "Authorization: Basic $BASIC") ;;
    bearer)
      t=$(token "$BASE") || { note "$NAME: no token from $BASE/_token"; return 1; }
      AUTH_HDR=(-H "Authorization: Bearer $t"); LOAD_AUTH=(--header "Authorization: Bearer $t") ;;
  esac
}

# push_blob FILE DIGEST [TIMING_FILE]: POST, then PUT ?digest= with the body; 0 on 201. With
# TIMING_FILE, appends {"seconds", "MBps", "bytes"} of the two requests together.
push_blob() {
  local f=$1 d=$2 timing=${3:-} h=$SCRATCH/push.h code loc sep t0 t1 bytes
  t0=$(date +%s.%N)
  code=$("${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -D "$h" -o /dev/null -w '%{http_code}' \
    -X POST "$BASE/v2/$REPO/blobs/uploads/") || return 1
  [[ $code == 202 ]] || { log "$NAME POST upload: $code"; return 1; }
  loc=$(hdr "$h" location)
  case $loc in
    http://* | https://*) ;;
    /*) loc=$BASE$loc ;;
    *) loc=$BASE/v2/$REPO/blobs/uploads/$loc ;;
  esac
  sep='?'; [[ $loc == *\?* ]] && sep='&'
  run_child "${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -o /dev/null -w '%{http_code}' -T "$f" \
    -H 'Content-Type: application/octet-stream' "$loc${sep}digest=${d/:/%3A}" > "$SCRATCH/put.code" || return 1
  code=$(< "$SCRATCH/put.code")
  t1=$(date +%s.%N)
  [[ $code == 201 ]] || { log "$NAME PUT blob: $code"; return 1; }
  if [[ -n $timing ]]; then
    bytes=$(stat -c %s "$f")
    jq -cn --argjson s "$(minus "$t1" "$t0")" --argjson b "$bytes" \
      '{seconds: $s, bytes: $b, MBps: ($b / $s / 1e6)}' >> "$timing"
  fi
}

# pull_blob DIGEST TIMING_FILE: GET to /dev/null; appends {"seconds", "MBps", "bytes", "code"}
pull_blob() {
  local d=$1 timing=$2 code secs bytes
  run_child "${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -o /dev/null \
    -w '%{http_code} %{time_total} %{size_download}' "$BASE/v2/$REPO/blobs/$d" > "$SCRATCH/pull.w" || return 1
  read -r code secs bytes < "$SCRATCH/pull.w"
  jq -cn --argjson s "$secs" --argjson b "$bytes" --arg c "$code" \
    '{seconds: $s, bytes: $b, code: ($c | tonumber), MBps: (if $s > 0 then $b / $s / 1e6 else 0 end)}' >> "$timing"
  [[ $code == 200 ]]
}

# load_test TEST URL [cairn-load args...]: REPS runs; one JSON per line with the server's CPU-seconds
load_test() {
  local test=$1 url=$2; shift 2
  local out=$OUT_DIR/$NAME.load.$test.jsonl i j c0 c1
  : > "$out"
  for ((i = 1; i <= REPS; i++)); do
    c0=$(cpu_s "$SRV_PID")
    run_child "$LOAD" --url "$url" --connections "$CONNECTIONS" --duration "$DURATION" \
      "${LOAD_TLS[@]}" "${LOAD_AUTH[@]}" "$@" > "$SCRATCH/load.out" 2>> "$OUT_DIR/$NAME.load.err"
    c1=$(cpu_s "$SRV_PID")
    j=$(< "$SCRATCH/load.out")
    if [[ -n $j ]]; then
      j=$(jq -c --argjson c "$(minus "$c1" "$c0")" '. + {server_cpu_s: $c}' <<< "$j")
      echo "$j" >> "$out"
      log "$NAME $test #$i: $(jq -r '"\(.rps|floor) req/s p99=\(.p99_ms)ms errors=\(.errors) non2xx=\(.non2xx) server_cpu=\(.server_cpu_s)s"' <<< "$j")"
    else
      note "$NAME $test #$i: cairn-load printed nothing ($(tail -c 200 "$OUT_DIR/$NAME.load.err"))"
    fi
  done
}

run_suite() {
  local small cfg code i d auth=$1 c0
  small=$(sha_file "$FX/small.bin"); cfg=$(sha_file "$FX/config.json")
  use_auth "$auth" || return 1
  push_blob "$FX/small.bin" "$small" || note "$NAME: push of the small blob failed"
  push_blob "$FX/config.json" "$cfg" || note "$NAME: push of the config blob failed"
  code=$("${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -o /dev/null -w '%{http_code}' -X PUT \
    -H "Content-Type: $MT" --data-binary @"$FX/manifest.json" "$BASE/v2/$REPO/manifests/v1") || code=000
  [[ $code == 201 ]] || note "$NAME: manifest PUT answered $code (GET manifest figures will be non-2xx)"

  : > "$OUT_DIR/$NAME.push.jsonl"
  : > "$OUT_DIR/$NAME.pull.jsonl"
  for ((i = 1; i <= REPS; i++)); do
    set_variant "$i"
    d=$(< "$FX/big.$i.digest")
    use_auth "$auth" || return 1
    c0=$(cpu_s "$SRV_PID")
    if push_blob "$FX/big.bin" "$d" "$SCRATCH/push.one"; then
      jq -c --argjson c "$(minus "$(cpu_s "$SRV_PID")" "$c0")" '. + {server_cpu_s: $c}' \
        "$SCRATCH/push.one" >> "$OUT_DIR/$NAME.push.jsonl"
      log "$NAME push ${BIG_MIB} MiB #$i: $(jq -r '.MBps | floor' "$SCRATCH/push.one") MB/s"
    else
      note "$NAME: push ${BIG_MIB} MiB #$i failed"
    fi
    rm -f "$SCRATCH/push.one"
    c0=$(cpu_s "$SRV_PID")
    if pull_blob "$d" "$SCRATCH/pull.one"; then
      jq -c --argjson c "$(minus "$(cpu_s "$SRV_PID")" "$c0")" '. + {server_cpu_s: $c}' \
        "$SCRATCH/pull.one" >> "$OUT_DIR/$NAME.pull.jsonl"
      log "$NAME pull ${BIG_MIB} MiB #$i: $(jq -r '.MBps | floor' "$SCRATCH/pull.one") MB/s"
    else
      note "$NAME: pull ${BIG_MIB} MiB #$i failed ($(cat "$SCRATCH/pull.one" 2>/dev/null))"
    fi
    rm -f "$SCRATCH/pull.one"
  done

  local head_url=$BASE/v2/$REPO/blobs/$small man_url=$BASE/v2/$REPO/manifests/v1 modes=("$auth") m suffix
  [[ $NAME == cairn-https ]] && modes+=(basic)
  for m in "${modes[@]}"; do
    suffix=; [[ $m != "$auth" ]] && suffix=_$m
    use_auth "$m" || continue
    code=$("${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -I -o /dev/null -w '%{http_code}' "$head_url") || code=000
    if [[ $code == 200 ]]; then
      load_test "head_small$suffix" "$head_url" --method HEAD
    else
      note "$NAME: HEAD small blob ($m) answered $code; skipped"
    fi
    use_auth "$m" || continue
    code=$("${CURL[@]}" "${TLS_ARGS[@]}" "${AUTH_HDR[@]}" -o /dev/null -w '%{http_code}' -H "Accept: $MT" "$man_url") || code=000
    if [[ $code == 200 ]]; then
      load_test "get_manifest$suffix" "$man_url" --header "Accept: $MT"
    else
      note "$NAME: GET manifest ($m) answered $code; skipped"
    fi
  done
}

start_reference() {  # sets SRV_PID
  local root=$SCRATCH/$NAME-root cfg=$SCRATCH/reference.yml
  mkdir -p "$root"
  cat > "$cfg" << EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $root}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: 127.0.0.1:$PORT
  tls: {certificate: $TLS/server.pem, key: $TLS/server.key}
auth:
  htpasswd: {realm: cairn-bench, path: $SCRATCH/htpasswd}
EOF
  sed "s|$SCRATCH|\$SCRATCH|g" "$cfg" > "$OUT_DIR/reference.config.yml"
  docker-registry serve "$cfg" > "$OUT_DIR/reference.server.log" 2>&1 &
  SRV_PID=$!
}
start_cairn() {  # start_cairn ARGS...: sets SRV_PID
  local root=$SCRATCH/$NAME-root
  mkdir -p "$root"
  echo "cairn serve --root ROOT --listen 127.0.0.1:$PORT --access-log off $*" |
    sed "s|$SCRATCH|\$SCRATCH|g" > "$OUT_DIR/$NAME.command.txt"
  # SIGPIPE ignored, as Go's runtime does for the reference (see run-side-by-side.sh); exec keeps
  # the PID.
  (
    trap '' PIPE
    exec "$CAIRN" serve --root "$root" --listen "127.0.0.1:$PORT" --access-log off "$@"
  ) > "$OUT_DIR/$NAME.server.log" 2>&1 &
  SRV_PID=$!
}

# wait_ready PID SECONDS: until BASE/v2/ answers 200 or 401 (auth on); the process must stay alive
wait_ready() {
  local pid=$1 deadline=$((SECONDS + $2)) code
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s "${TLS_ARGS[@]}" -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/v2/") || code=000
    [[ $code == 200 || $code == 401 ]] && return 0
    sleep 0.2
  done
  return 1
}

make_fixtures || die "cannot create the fixtures"
for NAME in $TARGETS; do
  PORT=$(free_port)
  case $NAME in
    reference)
      BASE=https://127.0.0.1:$PORT TLS_ARGS=(--cacert "$TLS/ca.pem") LOAD_TLS=(--cacert "$TLS/ca.pem") AUTH=basic
      start_reference ;;
    cairn-https)
      BASE=https://127.0.0.1:$PORT TLS_ARGS=(--cacert "$TLS/ca.pem") LOAD_TLS=(--cacert "$TLS/ca.pem") AUTH=bearer
      start_cairn --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" --htpasswd "$SCRATCH/htpasswd" ;;
    cairn-http)
      BASE=http://127.0.0.1:$PORT TLS_ARGS=() LOAD_TLS=() AUTH=none
      start_cairn ;;
    *) die "unknown target $NAME (reference | cairn-https | cairn-http)" ;;
  esac
  PIDS+=("$SRV_PID")
  log "$NAME: pid $SRV_PID at $BASE"
  if ! wait_ready "$SRV_PID" 30; then
    note "$NAME: did not answer GET /v2/ within 30 s; see $OUT_DIR/$NAME.server.log"
    stop_pid "$SRV_PID"; forget_pid "$SRV_PID"
    continue
  fi
  cpu0=$(cpu_s "$SRV_PID")
  run_suite "$AUTH"
  if kill -0 "$SRV_PID" 2>/dev/null; then
    jq -cn --argjson c "$(minus "$(cpu_s "$SRV_PID")" "$cpu0")" --argjson h "$(vmhwm_kib "$SRV_PID")" \
      --arg auth "$AUTH" --arg base "$BASE" \
      '{server_cpu_s: $c, vmhwm_kib: $h, auth: $auth, base: $base}' > "$OUT_DIR/$NAME.server.json"
  else
    note "$NAME: the server died during the run"
  fi
  stop_pid "$SRV_PID"
  forget_pid "$SRV_PID"
  [[ $KEEP == 1 ]] || rm -rf "$SCRATCH/$NAME-root"  # REPS x BIG_MIB of blobs
  log "$NAME: stopped"
done

# ------------------------------------------------------------------ 2. the table
render_table
log "results in $OUT_DIR (secure-side-by-side.md, secure-side-by-side.json, raw outputs)"
