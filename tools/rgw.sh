#!/usr/bin/env bash
# tools/rgw.sh start DIR | stop DIR
#
# A throwaway Ceph RADOS Gateway (S3) on 127.0.0.1 for the tests: one monitor, one OSD (BlueStore
# in a sparse file under DIR) and one radosgw, auth none, every listener on loopback, on ports
# the script picks free (so test binaries running at once do not collide). Debian 12's Ceph 16.2
# (ceph-mon ceph-osd radosgw ceph-common; tools/dev.sh installs them). The settings and what
# each costs are in ../shared/notes/ceph-rgw.md.
#
#   start DIR  creates DIR (which must be missing, empty, or a directory this script made before:
#              it refuses to wipe anything else), starts the three daemons, creates the S3 user
#              `cairn` with the fixed keys below, and writes DIR/endpoint (http://127.0.0.1:PORT),
#              DIR/s3.env (exports RGW_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and
#              prints the endpoint on stdout. On failure it stops what it started, shows the
#              tail of the daemons' logs on stderr and exits 1.
#   stop DIR   stops radosgw, then the OSD, then the monitor, each by the PID its pid file in DIR
#              holds (SIGTERM, SIGKILL after 20 s); leaves DIR (logs) for the caller to remove.
#              Stopping radosgw first matters: with mon and OSD gone it retries RADOS for 2 min.
#
# Layout of DIR:
#   DIR/
#   ├── .cairn-rgw       marker: this script made DIR
#   ├── ceph.conf        fsid, ports and every setting the daemons read
#   ├── endpoint, s3.env what start prints and records
#   ├── mon.a/           the monitor's store
#   ├── osd.0/           the OSD's metadata and `block`, a 16 GiB sparse file
#   ├── run/             pid files and admin sockets
#   └── log/             one log per daemon
set -euo pipefail

ACCESS_KEY=CAIRNTESTACCESSKEY00
SECRET_KEY=cairn-test-secret-key-0000000000000000000
MARKER=.cairn-rgw

die() {
  echo "rgw.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: tools/rgw.sh start DIR | stop DIR" >&2
  exit 2
}

# A port with no listener on 127.0.0.1 (bash's /dev/tcp connects or fails at once on loopback).
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a base port B such that B..B+9 have no listener: mon B, radosgw B+1, the OSD's
# messengers within B+2..B+9. Below Linux's ephemeral range (32768-60999), so no outgoing
# connection holds one.
pick_ports() {
  local base p ok
  for _ in $(seq 1 50); do
    base=$((20000 + RANDOM % 12000))
    ok=1
    for p in $(seq "$base" $((base + 9))); do
      port_free "$p" || {
        ok=0
        break
      }
    done
    ((ok)) && {
      echo "$base"
      return 0
    }
  done
  die "no free range of 10 ports found"
}

# Sends SIGTERM to the daemon whose pid file is $2 (under DIR $1), waits for it to exit (SIGKILL
# after 20 s). Only a process started with DIR's ceph.conf: a pid file left by a daemon that
# crashed may name a process that reused its PID.
stop_pidfile() {
  local dir=$1 file=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/ceph.conf" || {
    rm -f "$file"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || {
    rm -f "$file"
    return 0
  }
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || {
      rm -f "$file"
      return 0
    }
    sleep 0.1
  done
  echo "rgw.sh: pid $pid ($file) ignored SIGTERM for 20 s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop_all() {
  local dir
  dir=$(cd "$1" && pwd -P)
  stop_pidfile "$dir" "$dir/run/client.rgw.pid"
  stop_pidfile "$dir" "$dir/run/osd.0.pid"
  stop_pidfile "$dir" "$dir/run/mon.a.pid"
}

# Waits until $2 succeeds (evaluated), at most $1 tenths of a second.
wait_for() {
  local tenths=$1
  shift
  for _ in $(seq 1 "$tenths"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

rgw_answers() {
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$RGW_PORT/"
}

osd_up() {
  ceph -c "$CONF" osd dump 2>/dev/null | grep -q '^osd\.0 up'
}

start() {
  local dir=$1
  if [ -e "$dir" ]; then
    [ -d "$dir" ] || die "$dir exists and is not a directory"
    if [ -n "$(ls -A "$dir")" ]; then
      [ -f "$dir/$MARKER" ] || die "$dir is not empty and was not made by tools/rgw.sh: refusing to wipe it"
      stop_all "$dir"
      # Only what this script makes.
      rm -rf "${dir:?}"/{ceph.conf,endpoint,s3.env,monmap,mon.a,osd.0,rgw,run,log}
    fi
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  touch "$dir/$MARKER"
  mkdir -p "$dir/run" "$dir/log" "$dir/mon.a" "$dir/osd.0"

  local base fsid osd_uuid
  base=$(pick_ports)
  MON_PORT=$base
  RGW_PORT=$((base + 1))
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  CONF=$dir/ceph.conf
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = $((base + 2))
ms bind port max = $((base + 9))
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults to secure mode, which needs cephx: without this it hangs 300 s.
ms mon client mode = crc
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
keyring = /dev/null
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
# radosgw creates 7 pools on its first start: 9 s with the default 1 s interval, 0.5 s with this.
paxos propose interval = 0.01
paxos min wait = 0.001
mon data avail crit = 1
[mon]
mon data = $dir/mon.\$id
[osd]
osd data = $dir/osd.\$id
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 17179869184
bluestore cache autotune = false
bluestore cache size = 268435456
osd op num shards = 1
osd op num threads per shard = 2
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $dir/rgw
rgw gc obj min wait = 0
rgw enable usage log = false
EOF

  trap 'on_failure "$dir"' ERR
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$dir/monmap" >/dev/null
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$dir/monmap" >/dev/null 2>&1
  ceph-mon -c "$CONF" -i a 2>>"$dir/log/start.stderr"
  wait_for 100 ceph -c "$CONF" --connect-timeout 1 mon stat ||
    fail_start "$dir" "the monitor did not answer within 10 s"

  local id
  id=$(ceph -c "$CONF" osd new "$osd_uuid")
  [ "$id" = 0 ] || fail_start "$dir" "osd new gave id '$id', not 0"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  # osd crush update on start (the default) puts it under root=default.
  ceph-osd -c "$CONF" -i 0 2>>"$dir/log/start.stderr"
  wait_for 600 osd_up || fail_start "$dir" "osd.0 was not up within 60 s"

  radosgw -c "$CONF" -n client.rgw 2>>"$dir/log/start.stderr"
  wait_for 600 rgw_answers || fail_start "$dir" "radosgw did not answer within 60 s"
  radosgw-admin -c "$CONF" -n client.rgw user create --uid=cairn --display-name=cairn \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>&1
  trap - ERR

  echo "http://127.0.0.1:$RGW_PORT" >"$dir/endpoint"
  cat >"$dir/s3.env" <<EOF
export RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
EOF
  cat "$dir/endpoint"
}

fail_start() {
  local dir=$1
  shift
  trap - ERR
  echo "rgw.sh: $*" >&2
  on_failure "$dir"
}

on_failure() {
  local dir=$1 log
  trap - ERR
  for log in "$dir"/log/*; do
    [ -f "$log" ] || continue
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done
  stop_all "$dir"
  exit 1
}

cmd=${1:-}
[ $# -eq 2 ] || usage
case "$cmd" in
  start) start "$2" ;;
  stop)
    [ -d "$2" ] || die "$2 is not a directory"
    [ -f "$2/$MARKER" ] || die "$2 was not made by tools/rgw.sh"
    stop_all "$2"
    ;;
  *) usage ;;
esac
