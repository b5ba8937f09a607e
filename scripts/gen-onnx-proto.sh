#!/usr/bin/env bash
# Regenerates Sources/SluiceBackends/ONNX/Generated/onnx-ml.pb.swift from scripts/proto/onnx-ml.proto.
# The generated file is committed, so neither builds nor CI run this; run it by hand after
# updating the .proto (it ships inside the `onnx` wheel: `pip download --no-deps onnx`, unzip,
# onnx/onnx-ml.proto). Needs Debian's protobuf-compiler and builds protoc-gen-swift from the
# swift-protobuf release the package resolves (about 30 s) in a scratch folder.
#   scripts/gen-onnx-proto.sh [path/to/onnx-ml.proto]
set -euo pipefail
cd "$(dirname "$0")/.."
proto="${1:-scripts/proto/onnx-ml.proto}"
[ "$proto" = scripts/proto/onnx-ml.proto ] || cp "$proto" scripts/proto/onnx-ml.proto
command -v protoc >/dev/null || apt-get install -y -qq protobuf-compiler
tag="${SWIFT_PROTOBUF_TAG:-1.39.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q --depth 1 --branch "$tag" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
(cd "$work/swift-protobuf" && swift build --product protoc-gen-swift >/dev/null)
out=Sources/SluiceBackends/ONNX/Generated
protoc --plugin="protoc-gen-swift=$work/swift-protobuf/.build/debug/protoc-gen-swift" \
  --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
  --proto_path=scripts/proto --swift_out="$out" scripts/proto/onnx-ml.proto
echo "wrote $out/onnx-ml.pb.swift"
