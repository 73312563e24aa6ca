#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache in writeback: a write of part of a cached block, or of all of it, that fails on the cache device does not drop the block another write landed in since (it fails, the block stays dirty, the pool fails)"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Found by review (helper 81) once write-back writes of part of a cached
# block land in it. The cache: 8 MiB of brd (ram0) behind "cdev"; the
# disk below: 64 MiB of brd (ram1).
brd_setup 64 2
size=$(dev_sectors /dev/ram1)
csize=$(dev_sectors /dev/ram0)
modprobe dm-vaio-cache
modprobe dm-delay
cleanup() { for d in vm fast cdev err; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

B=100
W=3000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=15000
q_sum=$(awk 'BEGIN { for (i = 0; i < 512; i++) printf "Q" }' | md5sum)
vm_table() { # BLOCK_SIZE
	echo "0 $size vaio /dev/ram1 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
}

# P, PLEN bytes from the start of clean cached block B, heads for slot 0
# and fails there after W ms; Q, 512 bytes of B, lands meanwhile and is
# acknowledged. P must not drop B (it held Q's data only in the cache,
# and Q's entry says so on the cache device): P fails, B stays dirty.
# 1. P of 512 bytes. 2. P of the whole block, which could go below, but
# for Q (found by review, helper 82: before, P went below and was
# acknowledged, and the next pool on the device wrote B's old first
# sector back over it).
race() { # N PLEN
	ktap_check "$1: cache device" dm_create cdev "0 $csize linear /dev/ram0 0"
	ktap_check "$1: an error device" dm_create err "0 $csize error"
	ktap_check "$1: pool" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cdev format"
	ktap_check "$1: disk in writeback mode" dm_create vm "$(vm_table)"
	ktap_check "$1: block $B written whole: cached in slot 0" \
		dd if=/dev/urandom of=/dev/mapper/vm bs=4k seek=$B count=1 oflag=direct
	ktap_check "$1: written back: clean" dmsetup message vm 0 cache writeback
	ds=$(od -An -tu8 -j32 -N8 /dev/mapper/cdev | tr -d ' ')
	ktap_check "$1: slot 0's first sector: writes fail after $W ms" vaio_reload cdev "0 $ds linear /dev/ram0 0
$ds 1 delay /dev/ram0 $ds 0 /dev/mapper/err $ds $W /dev/ram0 $ds 0
$((ds + 1)) $((csize - ds - 1)) linear /dev/ram0 $((ds + 1))"
	dio_fill /dev/mapper/vm $((B * 4096)) "$2" 0x50 2>/dev/null &
	wp=$!
	ktap_check "$1: P ($2 bytes) on its way to slot 0" delay_holds cdev
	ktap_check "$1: Q, another 512 bytes of B, acknowledged" \
		dio_fill /dev/mapper/vm $((B * 4096 + 2048)) 512 0x51
	ktap_check "$1: P still in flight after it (the race ran)" kill -0 $wp
	wait $wp
	pst=$?
	ktap_diag "$1: P's exit status: $pst"
	[ "$2" = 4096 ] && ktap_check "$1: P fails (it is not below: B's dirty copy would go over it)" test "$pst" -ne 0
	ktap_eq "$1: the pool failed" "$(pool_word state)" failed
	ktap_match "$1: B stays dirty ($(get dirty)): Q is only there" "$(get dirty)" '^[1-9]'
	# The VM reads Q, or its reads fail (the cache failed holding dirty
	# blocks): never the data from before Q.
	r=$(sector_sum /dev/mapper/vm $((B * 8 + 4))) || r=failed
	ktap_match "$1: a read of Q's sector fails or reads Q ($r)" "$r" "^($q_sum|failed)\$"
	ktap_check "$1: disk, pool and devices removed" sh -c \
		"dmsetup remove vm; dmsetup remove fast; dmsetup remove cdev; dmsetup remove err"
}

race 1 512
race 2 4096

ktap_finish
