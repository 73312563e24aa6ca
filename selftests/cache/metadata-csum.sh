#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="the pool's metadata carries crc32c checksums: a corrupt, misplaced or foreign entry sector, disk table entry or superblock is found when the pool starts, reported, and the pool refuses to start without writing anything; put right, the dirty blocks all come back"
TIMEOUT=180
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Issue 19, item 7. The cache: 8 MiB of brd (ram0; ram1 for a second
# pool); the disk below: a null_blk behind "below", made to fail writes so
# that the dirty blocks stay in the pool across its restarts.
nullb_mem nb 32
brd_setup 8 2
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache
cleanup() { for d in vm fast fast2 below; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

MiB=$((1024 * 1024))
head -c $MiB /dev/urandom >/tmp/a
a=$(md5sum </tmp/a)
ENTRIES=$((2048 * 512))		# byte offset of the first entry sector
# flip DEV OFFSET [MASK]: the byte at OFFSET of DEV xor MASK (1); twice:
# as it was.
# (The pool writes by bio, past the page cache these reads go through:
# flushbufs drops what they cached.)
flip() {
	blockdev --flushbufs "$1"
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the octal escape is the format
	printf "\\$(printf %03o $((b ^ ${3:-1})))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc,fsync 2>/dev/null
}
dev_sum() { blockdev --flushbufs "$1" && md5sum <"$1"; }
# refused WHAT: the pool does not start on ram0, the kernel says WHAT,
# and the device is as it was.
refused() {
	before=$(dev_sum /dev/ram0)
	dmesg -c >/dev/null
	if echo "0 8 vaio-cache-pool /dev/ram0" | dmsetup create fast 2>/dev/null; then
		echo "the pool started"
		return 1
	fi
	dmesg | grep -q "$1" || { echo "no '$1' in the kernel log:"; dmesg | tail -n 5; return 1; }
	[ "$(dev_sum /dev/ram0)" = "$before" ] || { echo "the device changed"; return 1; }
}
# sector_in DESC DEV FROM TO WANT: sector FROM of DEV over sector TO of
# ram0; the pool must refuse, saying WANT; then ram0 as it was.
sector_in() {
	blockdev --flushbufs /dev/ram0
	blockdev --flushbufs "$2"
	dd if=/dev/ram0 of=/tmp/saved bs=512 skip="$4" count=1 2>/dev/null
	dd if="$2" of=/dev/ram0 bs=512 skip="$3" seek="$4" count=1 conv=notrunc,fsync 2>/dev/null
	ktap_check "$1" refused "$5"
	dd if=/tmp/saved of=/dev/ram0 bs=512 seek="$4" count=1 conv=notrunc,fsync 2>/dev/null
}
pool_up() { dm_create fast "0 8 vaio-cache-pool /dev/ram0"; }

ktap_check "disk below" dm_create below "0 $size linear /dev/nb 0"
ktap_check "pool created" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "disk in writeback mode" dm_create vm \
	"0 $size vaio /dev/mapper/below 10 disk_id vm filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
# (fsync: a flush, after which the writes and their entries are durable.)
ktap_check "1 MiB written" dd if=/tmp/a of=/dev/mapper/vm bs=64k oflag=direct conv=fsync
ktap_eq "256 dirty blocks" "$(get dirty)" 256
# A crash image: the device as it is now, copied to ram1 (the entries as
# commits sealed them; the pool never went, nothing rewrote them).
ktap_check "a copy of the live cache device (a crash)" \
	dd if=/dev/ram0 of=/dev/ram1 bs=1M iflag=direct oflag=direct
ktap_check "a pool on the copy" dm_create fast2 "0 8 vaio-cache-pool /dev/ram1"
ktap_eq "it finds the 256 dirty blocks" \
	"$(pool_word dirty fast2)" 256
ktap_check "that pool goes, its device wiped" sh -c \
	"dmsetup remove fast2 && dd if=/dev/zero of=/dev/ram1 bs=1M count=2 oflag=direct 2>/dev/null"
# The disk below fails writes: the removal cannot write them back.
ktap_check "the disk below fails writes" vaio_reload below "0 $size flakey /dev/nb 0 0 3600 1 error_writes"
ktap_check "disk and pool removed" dm_remove vm fast
ktap_check "the pool again from its device" pool_up
ktap_eq "the 256 dirty blocks come back" "$(pool_word dirty)" 256
ktap_check "removed again" dm_remove fast

# 1. A bit flipped in the first entry sector.
flip /dev/ram0 $((ENTRIES + 3))
ktap_check "a corrupt entry sector: refused, nothing written" \
	refused "entry sectors on ram0 fail their checksum (first: 2048)"
flip /dev/ram0 $((ENTRIES + 3))
# 2. A valid sector in the wrong place (a misdirected write).
sector_in "an entry sector written to the wrong place: refused" \
	/dev/ram0 2048 2049 "fail their checksum (first: 2049)"
# 3. Another pool's sector, in the same place (its uuid seeds its sums).
ktap_check "a second pool on ram1" dm_create fast2 "0 8 vaio-cache-pool /dev/ram1 format"
dm_remove fast2
sector_in "the other pool's entry sector: refused" \
	/dev/ram1 2048 2048 "fail their checksum (first: 2048)"
# 4. The disk table (sector 8: the first disk's id).
flip /dev/ram0 $((8 * 512 + 1))
ktap_check "a corrupt disk table entry: refused" \
	refused "disk table entries on ram0 fail their checksum (first: 0)"
flip /dev/ram0 $((8 * 512 + 1))
# 5. The superblock (its count of activations, byte 40).
flip /dev/ram0 40
ktap_check "a corrupt superblock: refused" refused "superblock fails its checksum"
flip /dev/ram0 40
# 6. A version that is no version (3 xor 3 = 0): a corrupt superblock,
# not a pool of another version.
flip /dev/ram0 8 3
ktap_check "version 0: refused as corrupt" refused "superblock fails its checksum"
flip /dev/ram0 8 3
# 7. A superblock of version 1 (before the checksums): 3 xor 2.
flip /dev/ram0 8 2
ktap_check "a version 1 pool: refused" refused "holds a version 1 cache pool"
flip /dev/ram0 8 2

# Put right: every dirty block is still there and reaches the disk below.
ktap_check "the pool starts again" pool_up
ktap_eq "with its 256 dirty blocks" "$(pool_word dirty)" 256
ktap_check "the disk below takes writes" vaio_reload below "0 $size linear /dev/nb 0"
ktap_check "the disk with its cache again" dm_create vm \
	"0 $size vaio /dev/mapper/below 10 disk_id vm filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
ktap_check "written back" dmsetup message vm 0 cache writeback
ktap_eq "the disk below has the data" \
	"$(dd if=/dev/nb bs=1M count=1 iflag=direct 2>/dev/null | md5sum)" "$a"
ktap_finish
