#!/usr/bin/env bash
# Installs the Debian 12 packages the offline Bazel build needs (as root; uses sudo
# otherwise). Idempotent: only missing packages are installed, and apt-get update
# only runs when something is missing.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  libabsl-dev libmimalloc-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-19 libclang-rt-19-dev clang-format-19 golang-go g++ python3
)

installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
  awk '$1 == "ii" { print $2 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install_deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) == 0 ]] || sudo=sudo
$sudo apt-get update
# Keep Recommends: through them clang-19 brings llvm-symbolizer for sanitizer reports.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
