#!/usr/bin/env bash
# tools/dev.sh serve [serve options] | test [ctest options] | fuzz [SECONDS [TARGET...]]
#
#   serve  installs what is missing, builds build/cairn (Release) and starts it with the
#          embedded defaults: data under ./var, listening on 127.0.0.1:5000.
#   test   installs what is missing, builds everything with clang, AddressSanitizer and UBSan
#          in build-test/ (the fuzz targets too: every file carries libFuzzer's coverage) and
#          runs every test with ctest (labels unit, integration, e2e, powercut, fuzz: each fuzz
#          target for 20 s, see tools/fuzz-one.sh).
#   fuzz   the long campaigns: builds the fuzz targets (tests/fuzz/) at -O1 with clang,
#          libFuzzer, ASan and UBSan in build-fuzz/ and runs each (or each TARGET named, e.g.
#          router) for SECONDS (default 20) with tools/fuzz-one.sh, seeded from
#          tests/fuzz/corpus/<target>/ (read only). Exits 1 when any target finds a crash, leak
#          or timeout; the input is kept in build-fuzz/tests/fuzz/artifacts/<target>/.
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
          ceph-mon ceph-osd radosgw ceph-common libexpat1-dev
          clang-14 libfuzzer-14-dev lld-14)

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

# build-test/: clang (a tree GCC configured earlier is configured anew), ASan, UBSan and the
# fuzz targets.
configure_test_build() {
  grep -qs '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' build-test/CMakeCache.txt ||
    rm -f build-test/CMakeCache.txt
  cmake -S . -B build-test -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
    -DCAIRN_SANITIZE=ON -DCAIRN_FUZZ=ON >/dev/null
}

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
    configure_test_build
    ninja -C build-test -j "$(jobs)"
    cd build-test
    exec ctest --output-on-failure -j "$(jobs)" "$@"
    ;;
  powercut)
    install_missing
    configure_test_build
    ninja -C build-test -j "$(jobs)" powercut
    CAIRN_POWERCUT_CUTS=${1:-2000} exec build-test/tests/powercut \
      --gtest_filter='PowerCut.CampaignStrictLosesNothing'
    ;;
  fuzz)
    install_missing
    seconds=${1:-20}
    shift || true
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS=-O1 -DCAIRN_SANITIZE=ON -DCAIRN_FUZZ=ON -DCAIRN_TESTS=OFF \
      -DCAIRN_BENCH=OFF >/dev/null
    ninja -C build-fuzz -j "$(jobs)" fuzzers
    targets=("$@")
    if ((${#targets[@]} == 0)); then
      for exe in build-fuzz/tests/fuzz/fuzz_*; do targets+=("${exe##*/fuzz_}"); done
    fi
    failed=()
    for t in "${targets[@]}"; do
      exe=build-fuzz/tests/fuzz/fuzz_$t
      [ -x "$exe" ] || { echo "no fuzz target $t" >&2; exit 2; }
      tools/fuzz-one.sh "$exe" "$seconds" || failed+=("$t")
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
