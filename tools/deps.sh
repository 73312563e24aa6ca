#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install, idempotently, every Debian package dm-vaio needs to build, lint,
# test, demo and benchmark. Nothing else may be installed by hand.
# Runs apt-get only when something is missing.
set -euo pipefail

PKGS=(
	# build: kernel modules against the guest's kernel, userspace
	build-essential pkg-config
	linux-headers-cloud-amd64
	libmnl-dev libdevmapper-dev libjson-c-dev libblkid-dev libgnutls28-dev
	# vaioctl crypt: LUKS2 headers, keyslots and tokens
	libcryptsetup-dev
	bash-completion
	# make deb: the Debian packages (debian/), the -dkms one built by dh_dkms;
	# dkms also builds its modules for the guest kernel in harness/deb
	debhelper dh-dkms dkms
	# lint: checkpatch.pl comes from the matching kernel source, which also
	# builds the debug kernel of make check-debug; shellcheck for the scripts
	linux-source-6.1 sparse bc bison flex libelf-dev libssl-dev shellcheck
	# the QEMU guest: kernel, emulator, initramfs contents
	linux-image-cloud-amd64 qemu-system-x86 busybox-static cpio kmod
	fio dmsetup drbd-utils iproute2 jq util-linux
	# the guests' fio: Debian's source of the fio above, built with our
	# engines only (tools/vm/build-fio)
	dpkg-dev libaio-dev zlib1g-dev debian-archive-keyring
	# crypt/: dm-crypt's own tool against the crypt filter, keys in the keyring
	cryptsetup-bin keyutils
	# benchmarks
	gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $st == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
