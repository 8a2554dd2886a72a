#!/usr/bin/env bash
# make-oci-layout.sh DIR TAG: writes a one-layer OCI image layout (random file content, a real
# gzipped tar layer) to DIR with TAG as its ref name. Prints the manifest digest.
set -euo pipefail
dir=$1 tag=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/blobs/sha256" "$work/rootfs"
echo "hello from cairn's e2e test" > "$work/rootfs/hello.txt"
head -c 2000000 /dev/urandom > "$work/rootfs/random.bin"
tar -C "$work/rootfs" -cf "$work/layer.tar" .
gzip -n -c "$work/layer.tar" > "$work/layer.tgz"
put() { local d; d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$dir/blobs/sha256/$d"; echo "$d"; }
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
layer=$(put "$work/layer.tgz"); layer_size=$(stat -c %s "$work/layer.tgz")
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" > "$work/config.json"
config=$(put "$work/config.json"); config_size=$(stat -c %s "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
manifest=$(put "$work/manifest.json"); manifest_size=$(stat -c %s "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$tag" > "$dir/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
echo "sha256:$manifest"
