#!/usr/bin/env bash
# Installs the system packages the build needs, only when they are missing.
set -euo pipefail
missing=()
for pkg in libsqlite3-dev zlib1g-dev libisal-dev "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} ..." >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
