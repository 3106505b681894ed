#!/usr/bin/env bash
# Installs the Debian packages in tests/apt-packages.txt that are missing.
# When another process (unattended-upgrades, a second apt) holds apt's or dpkg's lock, waits for it,
# up to EDGEQ_APT_WAIT seconds (default 900), instead of failing at once.
set -euo pipefail
cd "$(dirname "$0")/.."

wait_s=${EDGEQ_APT_WAIT:-900}
pkgs=$(grep -v '^\s*#' tests/apt-packages.txt | tr '\n' ' ')
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -n "$missing" ] || exit 0
if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi

# apt-get waits for dpkg's frontend lock itself (DPkg::Lock::Timeout); the lists and archive locks it
# does not wait for, so a failure naming a lock is retried until the deadline.
deadline=$((SECONDS + wait_s))
apt_locked() {
  local out rc
  while :; do
    rc=0
    out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=30 "$@" 2>&1) || rc=$?
    [ "$rc" = 0 ] && return 0
    if grep -qiE 'could not get lock|unable to acquire|is held by process|unable to lock' <<<"$out" \
       && [ "$SECONDS" -lt "$deadline" ]; then
      echo "== apt is busy (another process holds its lock): waiting, at most $((deadline - SECONDS)) s more"
      sleep 5
      continue
    fi
    printf '%s\n' "$out" | tail -20 >&2
    if grep -qiE 'could not get lock|unable to acquire|is held by process|unable to lock' <<<"$out"; then
      echo "apt's lock was still held after ${wait_s} s: stop the other package manager, or raise EDGEQ_APT_WAIT" >&2
    fi
    return "$rc"
  done
}

echo "== installing system packages: $(echo $missing)"
apt_locked update -qq
apt_locked install -y -qq --no-install-recommends $missing >/dev/null
