#!/bin/sh
# Installs the Debian packages uniops needs to build, run and test.
# Skips everything when all packages are already present; uses sudo only when not root.
set -eu

PKGS="build-essential pkg-config clang libmicrohttpd-dev libjansson-dev libsqlite3-dev \
libsodium-dev libcmocka-dev libpq-dev postgresql python3 python3-pytest sqlite3 \
libclang-rt-14-dev libcurl4-openssl-dev libssl-dev libjemalloc-dev libxlsxwriter-dev wrk"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
