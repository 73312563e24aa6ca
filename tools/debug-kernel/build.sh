#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the debug kernel of 'make check-debug' from Debian's linux-source-6.1
# (the guest kernel's own source) with tools/debug-kernel/debug.config, once:
# the result is cached outside the git tree, keyed by the source version, the
# config fragments and this script. trim.config leaves out what the guest
# never uses (graphics, sound, USB, wireless, SCSI, tracing...). Prints the cache directory, which holds
#   bzImage, src/ (the build tree: KDIR for our modules), modroot/ (modules).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VAIO_CACHE:-/var/cache/dm-vaio}/debug-kernel
SRC=$(ls -1 /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
[[ -n $SRC ]] || { echo "debug-kernel: no linux-source-6.1: run 'make deps'" >&2; exit 1; }

key=$( { dpkg-query -W -f='${Version}' linux-source-6.1; cat "$HERE/debug.config" "$HERE/trim.config" "$0"; } |
	sha256sum | cut -c1-16)
OUT=$CACHE/$key
if [[ -f $OUT/done ]]; then
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ -f $OUT/done ]]; then echo "$OUT"; exit 0; fi
# Only one kernel is kept.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
rm -rf "$OUT"
mkdir -p "$OUT/src"

echo "debug-kernel: unpacking $(basename "$SRC")" >&2
tar xJf "$SRC" -C "$OUT/src" --strip-components=1
cd "$OUT/src"
echo "debug-kernel: configuring" >&2
make -s x86_64_defconfig >&2
scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
	"$HERE/debug.config" "$HERE/trim.config" >/dev/null
make -s olddefconfig >&2
# merge_config may drop what a dependency refuses: say so. (A module asked
# for may come out built in, selected by something else: that is fine.)
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$HERE/debug.config" "$HERE/trim.config" -h |
	while IFS= read -r l; do
		grep -qxF "$l" .config && continue
		[[ $l == *=m ]] && grep -qxF "${l%=m}=y" .config && continue
		echo "$l"
	done)
# ...and what trim.config leaves out must stay out.
missing+=${missing:+$'\n'}$(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$HERE/trim.config" |
	while IFS= read -r c; do
		if grep -q "^$c=" .config; then echo "$c (still set)"; fi
	done)
if [[ -n $missing ]]; then
	echo "debug-kernel: config lines that did not take:" >&2
	echo "$missing" >&2
	exit 1
fi
echo "debug-kernel: building (about 10 minutes on 2 cores)" >&2
start=$(date +%s)
make -s -j"$(nproc)" bzImage modules >"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	exit 1
}
make -s INSTALL_MOD_PATH="$OUT/modroot" modules_install >>"$OUT/build.log" 2>&1
cp arch/x86/boot/bzImage "$OUT/bzImage"
echo "debug-kernel: built in $(($(date +%s) - start))s" >&2
touch "$OUT/done"
echo "$OUT"
