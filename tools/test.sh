#!/usr/bin/env bash
# The full test suite: the format and layer checks, every test under g++ and
# clang-19, plain and with each sanitizer, then the separate consumer
# workspace. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
tools/install_deps.sh || { echo "tools/install_deps.sh failed" >&2; exit 1; }

passed=0
failed=0
run() {  # run TITLE COMMAND...
  echo
  echo "==================== $1"
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

run "format (clang-format-19, .clang-format)" tools/check_format.sh
run "layers (no upward include)" tools/check_layers.sh

# Grouped by compiler: switching CC re-configures the C++ toolchain. A separate
# --platform_suffix per configuration keeps each one's outputs, so re-runs are cached.
run "g++" bazel test //...
run "g++, tsan" bazel test --config=tsan --platform_suffix=-tsan //...
run "g++, asan" bazel test --config=asan --platform_suffix=-asan //...
run "clang-19" bazel test --config=clang --platform_suffix=-clang //...
run "clang-19, tsan" bazel test --config=clang --config=tsan --platform_suffix=-clang-tsan //...
run "clang-19, asan" bazel test --config=clang --config=asan --platform_suffix=-clang-asan //...
run "consumer workspace (examples/bazel_consumer)" \
  bash -c 'cd examples/bazel_consumer && bazel run //:consumer'

echo
echo "$passed passed, $failed failed"
((failed == 0))
