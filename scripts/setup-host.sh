#!/usr/bin/env bash
# Install what pinbench needs on a Debian bookworm host, idempotently.
# Called by scripts/test.sh, scripts/compare-default.sh and .ci/run. Needs root (or sudo) only
# when something is missing.
set -euo pipefail

PKGS=(
  qemu-system-x86          # the VMs (TCG; KVM where it works)
  gcc gcc-12 make bc flex bison libelf-dev libssl-dev   # module builds against kernel headers
  libc6-dev linux-libc-dev # static guest binaries, ABI layout test
  kmod cpio xz-utils dpkg  # module tooling, package extraction
  ccache rsync patch       # kernels built from source (kernels/*.toml)
  ca-certificates git procps
  chromium                 # headless: the HTML report tests open the report in it
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup-host: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "setup-host: need root to install: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2
      exit 3
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q || { echo "setup-host: apt-get update failed: check network access to the Debian mirror" >&2; exit 3; }
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# apt-cache needs package lists to resolve debian:<line> specs.
if [ -z "$(apt-cache pkgnames linux-image-6 2>/dev/null | head -n 1)" ]; then
  echo "setup-host: apt lists are empty; running apt-get update" >&2
  ${SUDO:-} apt-get update -q
fi

# The Rust toolchain (rustup) and its target for the static guest binaries.
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
if ! command -v cargo >/dev/null; then
  echo "setup-host: cargo not found: install Rust with rustup (https://rustup.rs) or apt-get install cargo" >&2
  exit 3
fi
if command -v rustup >/dev/null && ! rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-gnu; then
  rustup target add x86_64-unknown-linux-gnu
fi
