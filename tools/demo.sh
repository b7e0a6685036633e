#!/usr/bin/env bash
# Builds and runs the demo, optimised. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
exec bazel run --config=opt //examples/demo:demo -- "$@"
