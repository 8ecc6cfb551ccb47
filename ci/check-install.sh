#!/usr/bin/env bash
# Gate for README.md's "Installing for real" block: runs it, as written, in a
# fake root (a temp dir standing for /), then runs the installed unit's own
# ExecStartPre= and ExecReload= command lines (the `check` systemd runs before
# every start and reload) the way systemd would, on what was installed.
#
# The block is read from the README, not copied here, so the two cannot drift:
# each line is rewritten mechanically (`sudo` dropped, absolute paths and `~`
# moved under the fake root) and run. Lines that cannot run without a real
# machine are stood in for, by pattern: `cargo install` copies the already
# built binary, `metarr-plex login` (plex.tv) writes a token file, and
# `systemctl`/`journalctl` are replaced by running the unit's commands. A line
# matching none of the known patterns fails the gate: teach this script about
# it.
#
# Usage: ci/check-install.sh [PATH_TO_BUILT_BINARY]   (default target/debug/metarr-plex)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-${CARGO_TARGET_DIR:-target}/debug/metarr-plex}
if [ ! -x "$bin" ]; then
  echo "error: $bin is not an executable; build it first (cargo build --bin metarr-plex)" >&2
  exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# What a fresh machine already has.
mkdir -p "$root/usr/bin" "$root/etc/systemd/system" "$root/home/.cargo/bin" "$root/var/lib"

# The fenced block right after the "## Installing for real" heading.
block=$(awk '
  /^## Installing for real/ { section = 1; next }
  section && /^```sh/ { inside = 1; next }
  inside && /^```/ { exit }
  inside { print }
' README.md)
if [ -z "$block" ]; then
  echo "FAIL: no \`\`\`sh block under '## Installing for real' in README.md" >&2
  exit 1
fi

# `sudo` dropped, the comment cut, `~` and absolute paths moved under $root.
rewrite() {
  local line=$1
  line=${line%%#*}
  line=$(printf '%s' "$line" | sed -E 's/[[:space:]]+$//; s/^sudo //; s/(&& )sudo /\1/g')
  line=$(printf '%s' "$line" | sed -E "s#(^|[[:space:]])/#\1$root/#g; s#(^|[[:space:]])~/#\1$root/home/#g")
  printf '%s' "$line"
}

echo "== the README's install block, in a fake root"
while IFS= read -r line; do
  [ -z "${line// }" ] && continue
  cmd=$(rewrite "$line")
  echo "\$ $line"
  case "$cmd" in
    "cargo install --path .")
      # Building again is what CI has just done: install that binary.
      install -m 0755 "$bin" "$root/home/.cargo/bin/metarr-plex"
      ;;
    "metarr-plex login --token-file "*)
      # plex.tv is not reachable from CI: write what login writes (mode 0600).
      file=${cmd#metarr-plex login --token-file }
      (umask 077 && printf 'ci-check-install-token\n' >"$file")
      ;;
    systemctl\ * | journalctl\ *)
      echo "  (stood in for below: the unit's own commands are run)"
      ;;
    install\ *)
      eval "$cmd"
      ;;
    *)
      echo "FAIL: ci/check-install.sh does not know how to run this README line: $line" >&2
      exit 1
      ;;
  esac
done <<<"$block"

unit=$root/etc/systemd/system/metarr-plex.service
[ -f "$unit" ] || { echo "FAIL: the block installed no unit at /etc/systemd/system/metarr-plex.service" >&2; exit 1; }
[ -x "$root/usr/bin/metarr-plex" ] || { echo "FAIL: the block installed no /usr/bin/metarr-plex" >&2; exit 1; }

# What systemd hands the service (ConfigurationDirectory=, StateDirectory=,
# LoadCredential=, Environment=), under the fake root.
cred_dir=$root/run/credentials/metarr-plex.service
mkdir -p "$cred_dir" "$root/var/lib/metarr-plex"
while IFS= read -r spec; do
  name=${spec%%:*}
  cp "$root${spec#*:}" "$cred_dir/$name"
done < <(sed -n 's/^LoadCredential=//p' "$unit")
env_vars=(PATH="$PATH" HOME="$root/home"
  CONFIGURATION_DIRECTORY="$root/etc/metarr-plex"
  STATE_DIRECTORY="$root/var/lib/metarr-plex"
  CREDENTIALS_DIRECTORY="$cred_dir")
while IFS= read -r assignment; do
  env_vars+=("$assignment")
done < <(sed -n 's/^Environment=//p' "$unit")

echo "== the unit's ExecStartPre= and ExecReload= checks, on what was installed"
ran=0
while IFS= read -r exec_line; do
  # Prefixes (-, +, !) change how systemd treats failure; the command is the rest.
  cmd=$(printf '%s' "${exec_line#*=}" | sed -E 's/^[-+!@:]+//')
  case "$cmd" in
    /usr/bin/metarr-plex*) ;;
    *) continue ;;
  esac
  cmd=$root$cmd
  echo "\$ ${exec_line}"
  # shellcheck disable=SC2086 # the unit's command line is split on spaces, as systemd does.
  if ! env -i "${env_vars[@]}" $cmd; then
    echo "FAIL: \`${exec_line}\` fails on the installed files: systemd would never start the daemon" >&2
    exit 1
  fi
  ran=$((ran + 1))
done < <(grep -E '^(ExecStartPre|ExecReload)=' "$unit")
if [ "$ran" -eq 0 ]; then
  echo "FAIL: the unit has no ExecStartPre=/ExecReload= running metarr-plex" >&2
  exit 1
fi

echo "== metarr-plex test on the installed rules (the README's next step)"
env -i "${env_vars[@]}" "$root/usr/bin/metarr-plex" test "$root/etc/metarr-plex/rules"
echo "OK: the README's install block gives a service whose checks pass"
