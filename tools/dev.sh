#!/usr/bin/env bash
# tools/dev.sh serve [serve options] | test [ctest options] | fuzz [SECONDS [TARGET...]]
#
#   serve  installs what is missing, builds build/cairn (Release) and starts it with the
#          embedded defaults: data under ./var, listening on 127.0.0.1:5000.
#   test   installs what is missing, builds everything with AddressSanitizer and UBSan in
#          build-test/ and runs every test with ctest (labels unit, integration, e2e).
#   fuzz   installs clang-14 and libFuzzer, builds the fuzz targets (tests/fuzz/) with clang,
#          libFuzzer, ASan and UBSan in build-fuzz/ and runs each (or each TARGET named, e.g.
#          router) for SECONDS (default 20), seeded from tests/fuzz/corpus/<target>/ (read
#          only: new inputs go to a temporary directory). Exits 1 when any target finds a
#          crash, leak or timeout; the input is kept in build-fuzz/artifacts/<target>/.
#   powercut [CUTS]  builds the power-cut tests (tests/powercut/) in build-test/ and runs the
#          campaign with CUTS power cuts (default 2000), printing its summary line.
# All are idempotent: packages already installed are not touched; builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev libleveldb-dev libre2-dev libssl-dev
          nlohmann-json3-dev libgtest-dev libbenchmark-dev curl skopeo buildah podman
          containerd docker-registry apache2-utils openssl libcrypt-dev
          prometheus-cpp-dev prometheus libpq-dev postgresql-15
          libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
          ceph-mon ceph-osd radosgw ceph-common libexpat1-dev)
# Only `fuzz` needs these: the test build never uses clang.
FUZZ_PACKAGES=(clang-14 libfuzzer-14-dev)

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "installing: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
}

jobs() { nproc 2>/dev/null || echo 2; }

cmd=${1:-}
shift || true
case "$cmd" in
  serve)
    install_missing
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF >/dev/null
    ninja -C build -j "$(jobs)" cairn
    mkdir -p var
    exec build/cairn serve --root ./var --listen 127.0.0.1:5000 "$@"
    ;;
  test)
    install_missing
    cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON >/dev/null
    ninja -C build-test -j "$(jobs)"
    cd build-test
    exec ctest --output-on-failure -j "$(jobs)" "$@"
    ;;
  powercut)
    install_missing
    cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON >/dev/null
    ninja -C build-test -j "$(jobs)" powercut
    CAIRN_POWERCUT_CUTS=${1:-2000} exec build-test/tests/powercut \
      --gtest_filter='PowerCut.CampaignStrictLosesNothing'
    ;;
  fuzz)
    install_missing "${FUZZ_PACKAGES[@]}"
    seconds=${1:-20}
    shift || true
    CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCAIRN_FUZZ=ON -DCAIRN_TESTS=OFF -DCAIRN_BENCH=OFF >/dev/null
    ninja -C build-fuzz -j "$(jobs)" fuzzers
    targets=("$@")
    if ((${#targets[@]} == 0)); then
      for exe in build-fuzz/tests/fuzz/fuzz_*; do targets+=("${exe##*/fuzz_}"); done
    fi
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    failed=()
    for t in "${targets[@]}"; do
      exe=build-fuzz/tests/fuzz/fuzz_$t
      [ -x "$exe" ] || { echo "no fuzz target $t" >&2; exit 2; }
      artifacts=build-fuzz/artifacts/$t
      mkdir -p "$scratch/$t" "$artifacts"
      args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
            -artifact_prefix="$artifacts/")
      [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
      # The first corpus directory is the writable one: the repository's seeds stay untouched.
      if "$exe" "${args[@]}" "$scratch/$t" "tests/fuzz/corpus/$t" >"$scratch/$t.log" 2>&1; then
        echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" |
          grep -o '[0-9]*$') runs in ${seconds}s)"
      else
        failed+=("$t")
        tail -n 60 "$scratch/$t.log" >&2
        echo "fuzz $t: FAILED; input: $(grep -o "Test unit written to .*" "$scratch/$t.log" |
          sed 's/Test unit written to //')" >&2
        echo "  reproduce: $exe <that file>" >&2
      fi
    done
    if ((${#failed[@]})); then
      echo "fuzz: failed: ${failed[*]}" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: tools/dev.sh serve [cairn serve options] | test [ctest options] |" \
      "powercut [CUTS] | fuzz [SECONDS [TARGET...]]" >&2
    exit 2
    ;;
esac
