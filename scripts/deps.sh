#!/usr/bin/env bash
# deps.sh build|test - install what annex needs on Debian 12 when missing.
# Does nothing (and needs no network) when everything is already there.
set -euo pipefail
what=${1:-build}
build_pkgs=(gcc make pkg-config libcurl4-openssl-dev libssl-dev libjson-c-dev libxml2-dev zlib1g-dev python3)
test_pkgs=(clang libclang-rt-14-dev shellcheck python3-pytest python3-boto3 util-linux iproute2 zip curl time nftables iptables
	groff-base mandoc zsh bash-completion    # test_man.sh, test_completion.sh
	dpkg-dev debhelper lintian fakeroot rpm)  # test_packages.sh: dpkg-buildpackage, lintian, rpmbuild
pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
