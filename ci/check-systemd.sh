#!/usr/bin/env bash
# Gate for systemd/metarr-plex.service:
#   1. `systemd-analyze verify` must print nothing (a misspelled key only
#      warns and exits 0, so the exit status alone is not enough);
#   2. `systemd-analyze security --offline=yes` must give an overall exposure
#      of 2.0 or less.
# Usage: ci/check-systemd.sh [PATH_TO_BUILT_BINARY]   (default target/debug/metarr-plex)
# Works without systemd as PID 1; installs Debian's systemd package if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

max_exposure=2.0
unit=systemd/metarr-plex.service
bin=${1:-${CARGO_TARGET_DIR:-target}/debug/metarr-plex}

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not found; installing Debian's systemd package"
  if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq systemd >/dev/null
fi

if [ ! -x "$bin" ] && [ -n "${CARGO_TARGET_DIR:-}" ] && [ -x "$CARGO_TARGET_DIR/debug/metarr-plex" ]; then
  bin=$CARGO_TARGET_DIR/debug/metarr-plex
fi
if [ ! -x "$bin" ]; then
  echo "error: $bin is not an executable; build it first (cargo build --bin metarr-plex)" >&2
  exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify insists that ExecStart= names an existing executable.
sed "s#/usr/bin/metarr-plex#$bin#g" "$unit" >"$tmp/metarr-plex.service"

echo "== systemd-analyze verify"
out=$(systemd-analyze verify --man=no "$tmp/metarr-plex.service" 2>&1) || true
if [ -n "$out" ]; then
  echo "$out"
  echo "FAIL: systemd-analyze verify printed the above" >&2
  exit 1
fi
echo "clean"

echo "== systemd-analyze security --offline=yes"
report=$(systemd-analyze security --offline=yes "$tmp/metarr-plex.service" 2>&1) || true
line=$(printf '%s\n' "$report" | grep -E 'Overall exposure level' || true)
if [ -z "$line" ]; then
  printf '%s\n' "$report"
  echo "FAIL: no 'Overall exposure level' line in the report" >&2
  exit 1
fi
echo "$line"
score=$(printf '%s\n' "$line" | sed -E 's/.*: *([0-9]+(\.[0-9]+)?).*/\1/')
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
  printf '%s\n' "$report"
  echo "FAIL: exposure $score is above $max_exposure" >&2
  exit 1
fi
echo "OK: exposure $score <= $max_exposure"
