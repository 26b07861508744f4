#!/usr/bin/env bash
# Regenerates the ODS-generated docs (ops, dialect, passes) into docs/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${TRM_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh" mlir-doc
mkdir -p "$ROOT/docs/Dialects"
cp "$BUILD"/docs/Dialects/*.md "$ROOT/docs/Dialects/"
cp "$BUILD"/docs/TRM*Passes.md "$ROOT/docs/"
