#!/usr/bin/env bash
# tools/dev.sh serve [serve options] | test [ctest options]
#
#   serve  installs what is missing, builds build/cairn (Release) and starts it with the
#          embedded defaults: data under ./var, listening on 127.0.0.1:5000.
#   test   installs what is missing, builds everything with AddressSanitizer and UBSan in
#          build-test/ and runs every test with ctest (labels unit, integration, e2e).
# Both are idempotent: packages already installed are not touched; builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build ccache pkg-config libboost1.81-dev libleveldb-dev libre2-dev libssl-dev
          nlohmann-json3-dev libgtest-dev libbenchmark-dev curl skopeo buildah podman
          containerd docker-registry apache2-utils openssl libcrypt-dev)

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
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
  *)
    echo "usage: tools/dev.sh serve [cairn serve options] | test [ctest options]" >&2
    exit 2
    ;;
esac
