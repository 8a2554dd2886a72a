#!/usr/bin/env bash
# run-containerd-content.sh - a big blob into containerd's content store three ways, back to
# back in one sitting, over 127.0.0.1 and unix sockets only:
#
#   containerd   containerd 1.6 with its own local content store (the reference)
#   cairn        cairn's gRPC content API straight (ctr --address <cairn socket>)
#   proxy        containerd with cairn as its content store (proxy_plugins, README's config)
#
# Two operations, each REPS times on fresh daemons (fresh roots), medians reported:
#   ingest   ctr content ingest --expected-size --expected-digest < a SIZE_MIB file
#   fetch    ctr content fetch --plain-http of a one-layer image (the SIZE_MIB layer) from a
#            docker-registry (Distribution 2.8) on 127.0.0.1, filled once before the runs (straight
#            at cairn, ctr's final image record fails: cairn serves no Images service)
# Figures: wall seconds, MB/s (10^6 bytes/s), and CPU-seconds of the daemons (containerd and/or
# cairn, from /proc/<pid>/stat) and of ctr itself.
#
# Usage: bench/run-containerd-content.sh            # SIZE_MIB=1024 REPS=3
# Knobs: SIZE_MIB [1024] REPS [3] TARGETS ["containerd cairn proxy"] OPS ["ingest fetch"]
#        BUILD_DIR [build] SKIP_BUILD [0] NINJA_JOBS [2] KEEP [0] OUT_DIR [$TMPDIR/cairn-ctd.*]
# A Release cairn is built first (cmake -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF; ninja
# cairn) unless SKIP_BUILD=1. Every process it starts is stopped by its PID. Needs root (as
# containerd does).
set -uo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT_DIR" || exit 2
SIZE_MIB=${SIZE_MIB:-1024}
REPS=${REPS:-3}
TARGETS=${TARGETS:-containerd cairn proxy}
OPS=${OPS:-ingest fetch}
BUILD_DIR=${BUILD_DIR:-build}
SKIP_BUILD=${SKIP_BUILD:-0}
NINJA_JOBS=${NINJA_JOBS:-2}
KEEP=${KEEP:-0}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/cairn-ctd.$(date +%Y%m%d-%H%M%S)}
CAIRN=$ROOT_DIR/$BUILD_DIR/cairn
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }
mkdir -p "$OUT_DIR" || exit 2
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ctd.XXXXXX") || exit 2

PIDS=()
stop_pid() {  # SIGTERM, 10 s, then SIGKILL; reaps it
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  [[ $KEEP == 1 ]] && log "scratch kept: $SCRATCH" || rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cpu_ticks() {  # utime + stime of PID, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
wait_for() {  # SECONDS COMMAND...: until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" > /dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.1; done
}

((EUID == 0)) || die "containerd needs root"
for tool in containerd ctr docker-registry curl python3 sha256sum; do
  command -v "$tool" > /dev/null || die "$tool is missing (tools/dev.sh test installs it)"
done
if [[ $SKIP_BUILD != 1 ]]; then
  log "building Release cairn in $BUILD_DIR"
  { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF &&
    ninja -C "$BUILD_DIR" -j"$NINJA_JOBS" cairn; } > "$OUT_DIR/build.log" 2>&1 ||
    die "build failed; see $OUT_DIR/build.log"
fi
[[ -x $CAIRN ]] || die "no $CAIRN"

# ------------------------------------------------------------------ the data and the source
BLOB=$SCRATCH/blob.bin
log "making a $SIZE_MIB MiB blob"
head -c $((SIZE_MIB << 20)) /dev/urandom > "$BLOB"
SIZE=$(stat -c %s "$BLOB")
DIGEST=sha256:$(sha256sum "$BLOB" | cut -d' ' -f1)

REG_PORT=$(free_port)
mkdir -p "$SCRATCH/registry"
cat > "$SCRATCH/registry.yml" << YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $SCRATCH/registry
http:
  addr: 127.0.0.1:$REG_PORT
YML
docker-registry serve "$SCRATCH/registry.yml" > "$OUT_DIR/registry.log" 2>&1 &
PIDS+=($!)
wait_for 20 curl -sf "http://127.0.0.1:$REG_PORT/v2/" || die "docker-registry did not start"
REG=http://127.0.0.1:$REG_PORT
push_blob() {  # FILE: a monolithic upload to bench/big
  local loc
  loc=$(curl -sf -X POST -D - -o /dev/null "$REG/v2/bench/big/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
  [[ $loc == http* ]] || loc=$REG$loc
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$1" \
    "$loc&digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)" > /dev/null
}
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
  "$DIGEST" > "$SCRATCH/config.json"
push_blob "$BLOB" || die "pushing the layer to docker-registry failed"
push_blob "$SCRATCH/config.json" || die "pushing the config failed"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$(sha256sum "$SCRATCH/config.json" | cut -d' ' -f1)" "$(stat -c %s "$SCRATCH/config.json")" \
  "$DIGEST" "$SIZE" > "$SCRATCH/manifest.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$SCRATCH/manifest.json" "$REG/v2/bench/big/manifests/v1" > /dev/null ||
  die "pushing the manifest failed"

# ------------------------------------------------------------------ the daemons
CAIRN_PID= CTD_PID=
start_cairn() {  # DIR
  "$CAIRN" serve --root "$1/cairn-root" --listen "127.0.0.1:$(free_port)" --access-log off \
    --grpc-listen "unix://$1/cairn.sock" > "$1/cairn.log" 2>&1 &
  CAIRN_PID=$!
  PIDS+=("$CAIRN_PID")
  wait_for 20 test -S "$1/cairn.sock" || die "cairn did not start: $(cat "$1/cairn.log")"
}
start_containerd() {  # DIR PROXY(0|1)
  local dir=$1 proxy=$2 disabled='"io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"'
  ((proxy)) && disabled+=', "io.containerd.content.v1.content"'
  {
    echo "version = 2"
    echo "root = \"$dir/ctd/root\""
    echo "state = \"$dir/ctd/state\""
    echo "disabled_plugins = [$disabled]"
    printf '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s"\n' "$dir/ctd.sock" "$dir/ctd-ttrpc.sock"
    printf '[debug]\n  address = ""\n[metrics]\n  address = ""\n'
    printf '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s"\n' "$dir/ctd/opt"
    ((proxy)) && printf '[proxy_plugins]\n  [proxy_plugins.cairn]\n    type = "content"\n    address = "%s"\n' "$dir/cairn.sock"
  } > "$dir/containerd.toml"
  containerd --config "$dir/containerd.toml" > "$dir/containerd.log" 2>&1 &
  CTD_PID=$!
  PIDS+=("$CTD_PID")
  wait_for 30 ctr --address "$dir/ctd.sock" version || die "containerd did not start: $(tail "$dir/containerd.log")"
}

# One measurement: TARGET OP REP → "wall daemon_cpu ctr_cpu" in $OUT_DIR/raw.txt
measure() {
  local target=$1 op=$2 rep=$3 dir=$SCRATCH/$1-$2-$3 sock pids=() p t0 t1 before=0 after=0 ctr_cpu
  mkdir -p "$dir"
  CAIRN_PID= CTD_PID=
  case $target in
    containerd) start_containerd "$dir" 0; sock=$dir/ctd.sock ;;
    cairn) start_cairn "$dir"; sock=$dir/cairn.sock ;;
    proxy) start_cairn "$dir"; start_containerd "$dir" 1; sock=$dir/ctd.sock ;;
  esac
  for p in $CAIRN_PID $CTD_PID; do pids+=("$p"); before=$((before + $(cpu_ticks "$p"))); done
  local ctr=(ctr --address "$sock" -n bench)
  t0=$(date +%s.%N)
  case $op in
    ingest)
      TIMEFORMAT='%U %S'
      { time "${ctr[@]}" content ingest --expected-size "$SIZE" --expected-digest "$DIGEST" \
        "bench-$rep" < "$BLOB" > "$dir/ctr.out" 2>&1; } 2> "$dir/ctr.time" ||
        die "$target $op: $(cat "$dir/ctr.out")" ;;
    fetch)
      TIMEFORMAT='%U %S'
      # Straight at cairn, ctr's last step (recording an image: containerd's Images service,
      # which cairn does not serve) ends with "not implemented" once every blob is stored; the
      # read-back below checks that the layer is whole.
      { time "${ctr[@]}" content fetch --plain-http "127.0.0.1:$REG_PORT/bench/big:v1" \
        > "$dir/ctr.out" 2>&1; } 2> "$dir/ctr.time" ||
        { [[ $target == cairn ]] && grep -q 'not implemented' "$dir/ctr.out"; } ||
        die "$target $op: $(tail "$dir/ctr.out")" ;;
  esac
  t1=$(date +%s.%N)
  for p in "${pids[@]}"; do after=$((after + $(cpu_ticks "$p"))); done
  ctr_cpu=$(awk '{ print $1 + $2 }' "$dir/ctr.time")
  # The blob is there, whole: read back through the same store.
  "${ctr[@]}" content get "$DIGEST" | cmp -s - "$BLOB" || die "$target $op: the blob read back differs"
  for p in "${pids[@]}"; do stop_pid "$p"; done
  rm -rf "$dir"
  echo "$target $op $rep $(python3 -c "print(f'{$t1 - $t0:.3f} {($after - $before) / $CLK_TCK:.2f} $ctr_cpu')")" |
    tee -a "$OUT_DIR/raw.txt" >&2
}

: > "$OUT_DIR/raw.txt"
for ((rep = 1; rep <= REPS; rep++)); do
  for op in $OPS; do
    for target in $TARGETS; do
      log "$op $target rep $rep"
      measure "$target" "$op" "$rep"
    done
  done
done

python3 - "$OUT_DIR/raw.txt" "$SIZE" "$TARGETS" "$OPS" << 'PY' | tee "$OUT_DIR/table.md"
import statistics, sys
raw, size, targets, ops = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
runs = {}
for line in open(raw):
    t, op, _, wall, dcpu, ccpu = line.split()
    runs.setdefault((t, op), []).append((float(wall), float(dcpu), float(ccpu)))
names = {"containerd": "containerd (own store)", "cairn": "cairn (gRPC, ctr --address)",
         "proxy": "containerd → cairn (proxy_plugins)"}
print(f"{size / 2**20:.0f} MiB blob, median of {len(next(iter(runs.values())))} runs each\n")
print("| operation | store | seconds | MB/s | daemon CPU-s | ctr CPU-s | vs containerd |")
print("|---|---|---:|---:|---:|---:|---:|")
for op in ops:
    base = None
    for t in targets:
        if (t, op) not in runs:
            continue
        wall, dcpu, ccpu = (statistics.median(x[i] for x in runs[(t, op)]) for i in range(3))
        rate = size / wall / 1e6
        if t == "containerd":
            base = rate
        ratio = f"{rate / base:.2f}×" if base else "–"
        print(f"| {op} | {names[t]} | {wall:.2f} | {rate:.0f} | {dcpu:.2f} | {ccpu:.2f} | {ratio} |")
PY
log "raw figures and table in $OUT_DIR"
