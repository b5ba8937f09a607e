#!/usr/bin/env bash
# Regenerates Sources/SluiceServer/Protocols/GRPC/Generated/*.pb.swift: the messages of
# inference.GRPCInferenceService (grpc_service.proto, model_config.proto) and grpc.health.v1.Health
# (health.proto). The generated files are committed, so neither builds nor CI run this.
#
# No .proto text is copied: the descriptors come from the published wheels tritonclient[grpc]
# 2.73.0 and grpcio-health-checking 1.81.1 (scripts/proto/grpc_descriptors.py), installed in the
# venv .venv-grpc (made here when missing). Needs Debian's protobuf-compiler and protoc-gen-swift
# of the swift-protobuf release the package resolves; give it as PROTOC_GEN_SWIFT, or it is built
# (about 30 s) in a scratch folder.
#   [PROTOC_GEN_SWIFT=path/to/protoc-gen-swift] scripts/gen-grpc-proto.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || apt-get install -y -qq protobuf-compiler
venv=.venv-grpc
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "tritonclient[grpc]==2.73.0" "grpcio-health-checking==1.81.1"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
  tag="${SWIFT_PROTOBUF_TAG:-1.39.0}"
  git clone -q --depth 1 --branch "$tag" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
  (cd "$work/swift-protobuf" && swift build --product protoc-gen-swift >/dev/null)
  plugin="$work/swift-protobuf/.build/debug/protoc-gen-swift"
fi
mapfile -t files < <("$venv/bin/python" scripts/proto/grpc_descriptors.py "$work/grpc.pb")
out=Sources/SluiceServer/Protocols/GRPC/Generated
mkdir -p "$out"
protoc --plugin="protoc-gen-swift=$plugin" --descriptor_set_in="$work/grpc.pb" \
  --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
  --swift_out="$out" "${files[@]}"
echo "wrote $out: ${files[*]}"
