#!/usr/bin/env bash
# Prove the README's test command on a fresh Debian bookworm: debootstrap a minimal system
# into a directory, clone this repository (committed state, HEAD) into it, and run `.ci/run`
# there as root in a chroot with CI=true and no stdin, exactly as CI does.
#
#   scripts/fresh-machine.sh [DIR]      (default DIR: /var/tmp/pinbench-fresh; needs root)
#
# The chroot also gets the host's /etc/resolv.conf, apt sources and local CA certificates
# (/usr/local/share/ca-certificates): network settings of the machine, not project state.
#
# What is *not* fresh: the Rust toolchain. A fresh machine gets it from rustup.rs; where the
# network only reaches package registries (this project's CI), the host's ~/.cargo and
# ~/.rustup are bind-mounted read-only into the chroot instead (set FRESH_RUST=none to skip
# that and see the error a machine without Rust gets). Everything else (qemu, compilers,
# kernel packages, cargo crates) is installed or fetched inside the chroot from nothing.
# The log goes to DIR.log; the last lines say how it ended.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/pinbench-fresh}
log="$dir.log"
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}

mounts=()
cleanup() {
  for ((i=${#mounts[@]}-1; i>=0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # SRC DEST [ro]
  mkdir -p "$2"; mount --bind "$1" "$2"; mounts+=("$2")
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"
  return 0
}

exec > >(tee "$log") 2>&1
echo "fresh-machine: $(date -u +%FT%TZ) debootstrap bookworm into $dir"
if [ ! -x "$dir/usr/bin/apt-get" ]; then
  # Never delete through a mount left behind by an interrupted run.
  if findmnt -rn -o TARGET | grep -q "^$dir/"; then
    echo "fresh-machine: something is still mounted under $dir; umount it first" >&2; exit 2
  fi
  rm -rf "$dir"
  debootstrap --variant=minbase bookworm "$dir" "$mirror"
fi
# The host's apt sources (the same mirror and security suite CI uses).
cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# Local CAs of this network (an egress proxy signs TLS with its own CA): a machine on this
# network needs them whatever it runs; ca-certificates (installed by setup-host) picks them up.
mkdir -p "$dir/usr/local/share/ca-certificates"
cp -r /usr/local/share/ca-certificates/. "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
if [ -x "$dir/usr/sbin/update-ca-certificates" ]; then chroot "$dir" update-ca-certificates >/dev/null; fi
rm -rf "$dir/root/pinbench"
git clone -q "$src" "$dir/root/pinbench"
commit=$(git -C "$dir/root/pinbench" rev-parse --short HEAD)

bind /proc "$dir/proc"; bind /sys "$dir/sys"; bind /dev "$dir/dev"; bind /dev/pts "$dir/dev/pts"
if [ "${FRESH_RUST:-host}" = host ]; then
  bind "$HOME/.rustup" "$dir/root/.rustup" ro
  bind "$HOME/.cargo/bin" "$dir/root/.cargo/bin" ro
  printf 'export PATH="$HOME/.cargo/bin:$PATH"\n' > "$dir/root/.cargo/env"
fi

start=$(date +%s)
rc=0
chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI=true TERM=dumb /bin/bash -c 'cd /root/pinbench && bash .ci/run' </dev/null || rc=$?
echo "fresh-machine: .ci/run exited $rc after $(( $(date +%s) - start )) s (commit $commit)"
exit "$rc"
