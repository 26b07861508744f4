#!/usr/bin/env bash
# Installs every Debian package trm-mlir needs. Idempotent: when everything is
# present it only runs dpkg-query and exits in about a second.
set -euo pipefail

PACKAGES=(
  # Compiler toolchain: LLVM/MLIR 22 (bookworm-security), clang + lld, Ninja, ccache.
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libclang-rt-22-dev libomp-22-dev cmake ninja-build ccache
  # Libraries the importer uses instead of hand-written parsers.
  libyaml-cpp-dev nlohmann-json3-dev libzip-dev libgtest-dev
  # Vulkan: loader, headers, lavapipe, tools, validation layer.
  libvulkan-dev mesa-vulkan-drivers spirv-tools glslang-tools vulkan-tools
  vulkan-validationlayers
  # CPU emulation for the target-CPU tests (an x86-64 without AVX-512, and
  # aarch64), and the aarch64 C/C++ libraries the runtime is cross-built with.
  qemu-user libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross
  libgcc-12-dev-arm64-cross
  # Reference implementation and golden data (never needed by the compiler or runtime).
  python3-torch python3-numpy python3-yaml libopenblas0-openmp
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup.sh: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
