#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache of 32 KiB blocks: a write while a block read in part is being promoted (its read of the whole block done, its cache write held by dm-delay) drops the promotion: the VM reads the write's data, not the block as the promotion read it"
TIMEOUT=300
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Issue 19, block sizes, stage 2: a read of part of a block promotes it by
# a read of the whole block from below, sent after the block was entered
# as filling, then written to the cache. A write mapped meanwhile must
# drop it (else the cache keeps the data the promotion read, older than
# the write). The cache: 16 MiB of brd (ram0) behind "cdev", whose data
# area is made slow to write; the disk below: 64 MiB of brd (ram1).
brd_setup 64 2
csize=32768
size=$(dev_sectors /dev/ram1)
modprobe dm-vaio-cache
modprobe dm-delay
cleanup() { for d in vm fast cdev; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

BS=32768
X=10				# the block raced for (32 KiB blocks)
W=4000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=20000
ktap_check "cache device" dm_create cdev "0 $csize linear /dev/ram0 0"
ktap_check "pool of 32 KiB blocks" dm_create fast \
	"0 8 vaio-cache-pool /dev/mapper/cdev block_size=$BS format"
ktap_check "disk, writearound" dm_create vm \
	"0 $size vaio /dev/ram1 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writearound"
head -c $BS /dev/urandom >/tmp/old
head -c 4096 /dev/urandom >/tmp/new
ktap_check "block $X's old data below" \
	dd if=/tmp/old of=/dev/ram1 bs=$BS seek=$X oflag=direct

ds=$(od -An -tu8 -j32 -N8 /dev/mapper/cdev | tr -d ' ')
ktap_match "the pool's data area starts at sector $ds" "$ds" '^[1-9][0-9]*$'
ktap_check "its writes slow (dm-delay, $W ms)" vaio_reload cdev "0 $ds linear /dev/ram0 0
$ds $((csize - ds)) delay /dev/ram0 $ds 0 /dev/ram0 $ds $W /dev/ram0 $ds 0"

# The last 4 KiB of block X, twice: the admission filter sees the first,
# the second makes the block filling; its read of the whole block is done
# at once, its cache write waits.
off=$((X * BS / 4096 + 7))
p=$(get promotions)
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$off count=1 iflag=direct 2>/dev/null
ktap_check "a 4 KiB read of block $X again" \
	dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$off count=1 iflag=direct
ktap_check "the block's promotion on its way to the cache" delay_holds cdev
ktap_check "a 4 KiB write to the block's first 4 KiB meanwhile" \
	dd if=/tmp/new of=/dev/mapper/vm bs=4k seek=$((X * BS / 4096)) oflag=direct
ktap_check "the promotion still on its way (the race ran)" delay_holds cdev
sleep $((W / 1000 + 1))
ktap_eq "the promotion dropped: no block promoted" "$(get promotions)" "$p"
dd if=/tmp/new of=/tmp/old bs=4k conv=notrunc 2>/dev/null
ktap_eq "the VM reads the write's data" \
	"$(dd if=/dev/mapper/vm bs=$BS skip=$X count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(md5sum </tmp/old)"
ktap_eq "... as the disk below has it" \
	"$(dd if=/dev/ram1 bs=$BS skip=$X count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(md5sum </tmp/old)"

# Without the race, the same reads promote the block (the check above can
# fail): read in part twice, it is cached, and reads back right.
vaio_reload cdev "0 $csize linear /dev/ram0 0"
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$off count=1 iflag=direct 2>/dev/null
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$off count=1 iflag=direct 2>/dev/null
promoted() { [ "$(get promotions)" = $((p + 1)) ]; }
ktap_check "without a write, the block is promoted" wait_until 50 promoted
h=$(get read_hits)
ktap_eq "and read from the cache, right" \
	"$(dd if=/dev/mapper/vm bs=$BS skip=$X count=1 iflag=direct 2>/dev/null | md5sum) $(($(get read_hits) - h))" \
	"$(md5sum </tmp/old) 1"
ktap_finish
