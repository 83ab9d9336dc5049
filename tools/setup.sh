#!/usr/bin/env bash
# Installs the Debian 12 packages runsc needs to build and test, only those
# that are missing. Idempotent; needs root (apt-get). No other downloads.
set -euo pipefail

PACKAGES=(
  # Build: Bazel (offline) and the C++ toolchain.
  bazel-bootstrap g++ pkg-config
  # The product's dependencies, with their static archives.
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc
  libprotobuf-dev libabsl-dev libseccomp-dev libcap-dev grpc-proto
  # Tests (procps: the host's ps, which `runsc ps ID ARGS` runs).
  libgtest-dev libgmock-dev busybox-static procps
  # The real clients of runtime mode, podman's network helpers and the init
  # its pods' infra image is built from, and runc (whose JSON the runtime
  # tests compare ours with).
  podman containerd runc netavark aardvark-dns iptables catatonit
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
