#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a cache pool of 4 TiB at 1 MiB blocks (4,194,236 of them) in front of a disk of 8 PiB: the disk's last block (block 2^33 - 1, past 32 bits) dirty in write-back, kept when its write-back fails, found again by a new pool on the device, written back to its place and nowhere else"
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Issue 19: "a 4 TiB cache device accepted", and slots that keep a
# block of the disk below in 40 bits. Both devices are dm-zero under a
# dm-snapshot whose exceptions go to a RAM disk: only what is written
# takes room (the pool's first MiB and entries, 67 MiB; the block).
#   cache device: 4 TiB (2^33 sectors), COW on ram0 (160 MiB)
#   disk below:   8 PiB (2^44 sectors), COW on ram1; "below" over it,
#                 reloaded to fail writes
brd_setup 160 2
modprobe dm-snapshot
modprobe dm-vaio-cache
CS=$((1 << 33))
DS=$((1 << 44))
LAST=$(((DS >> 11) - 1))	# the last 1 MiB block: 2^33 - 1
cleanup() {
	for d in vm fast below dsnap dzero csnap czero; do dmsetup remove $d 2>/dev/null; done
}
trap cleanup EXIT

big_dev() { # NAME SECTORS COW
	dm_create "${1}zero" "0 $2 zero" &&
	dm_create "${1}snap" "0 $2 snapshot /dev/mapper/${1}zero $3 N 8"
}
ktap_check "a 4 TiB cache device" big_dev c $CS /dev/ram0
ktap_check "an 8 PiB disk below" big_dev d $DS /dev/ram1
ktap_check "... under a linear device" dm_create below "0 $DS linear /dev/mapper/dsnap 0"
ktap_check "a pool of 1 MiB blocks on it" \
	dm_create fast "0 8 vaio-cache-pool /dev/mapper/csnap block_size=1048576 format"
ktap_eq "4,194,236 blocks of 1 MiB" "$(pool_word block_size) $(pool_word blocks)" "1048576 4194236"
kib=$(pool_word index_kib)
ktap_diag "index: ${kib:-?} KiB"
ktap_check "its index takes 20 to 25 bytes a block (${kib:-?} KiB)" \
	test "${kib:-0}" -ge $((4194236 * 20 / 1024)) -a "${kib:-0}" -le $((4194236 * 25 / 1024 + 1))

wb() {
	echo "0 $DS vaio /dev/mapper/below 10 disk_id vm filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
}
ktap_check "the disk in write-back" dm_create vm "$(wb)"
head -c 1048576 /dev/urandom >/tmp/blk
want=$(md5sum </tmp/blk)
ktap_check "its last MiB written" \
	dd if=/tmp/blk of=/dev/mapper/vm bs=1M seek=$LAST oflag=direct
ktap_eq "dirty in the cache" "$(get dirty)" 1
last_mib() { dd if="$1" bs=1M skip=$LAST count=1 iflag=direct 2>/dev/null | md5sum; }
h=$(get read_hits)
ktap_eq "read back from the cache" "$(last_mib /dev/mapper/vm)" "$want"
ktap_check "... a hit" test "$(get read_hits)" -gt "$h"
ktap_check "the disk below fails writes" \
	vaio_reload below "0 $DS flakey /dev/mapper/dsnap 0 0 3600 1 error_writes"
# Its write-back at the removal fails: the block stays, dirty, in the pool.
dmsetup remove vm 2>/dev/null
ktap_eq "the disk went, its block left dirty" \
	"$(dmsetup info vm >/dev/null 2>&1 && echo present) $(pool_word dirty)" " 1"
ktap_check "the pool goes" dm_remove fast
ktap_check "the disk below takes writes again" \
	vaio_reload below "0 $DS linear /dev/mapper/dsnap 0"
ktap_check "a new pool on the device (no format)" \
	dm_create fast "0 8 vaio-cache-pool /dev/mapper/csnap"
ktap_eq "it finds the dirty block" "$(pool_word dirty)" 1
ktap_check "the disk again" dm_create vm "$(wb)"
ktap_eq "its last MiB, from the cache" "$(last_mib /dev/mapper/vm)" "$want"
ktap_check "written back" dmsetup message vm 0 cache writeback
ktap_eq "nothing dirty" "$(pool_word dirty)" 0
blockdev --flushbufs /dev/mapper/below
ktap_eq "the disk below has it in its last MiB" "$(last_mib /dev/mapper/below)" "$want"
# A block number cut to 32 bits would have put it at block 2^32 - 1.
ktap_eq "and not 4 PiB lower" \
	"$(dd if=/dev/mapper/below bs=1M skip=$(((1 << 32) - 1)) count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(head -c 1048576 /dev/zero | md5sum)"
ktap_check "disk and pool removed" sh -c "dmsetup remove vm && dmsetup remove fast"
ktap_finish
