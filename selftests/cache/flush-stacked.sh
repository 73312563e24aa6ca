#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache: a disk offers a volatile write cache in every mode, so that a device stacked on it in writethrough mode (dm-linear) still passes flushes after a reload to writeback, and a write-back write made durable by an fsync through it is found after a crash"
TIMEOUT=300
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# A write-back write completes before its entry is durable; a flush
# commits it. A device stacked on the disk (LVM, dm-crypt, here
# dm-linear) takes the disk's volatile-cache flag when its own table
# loads: had the disk offered none in writethrough mode over a disk below
# without one (brd), the stacked device would drop every flush after a
# reload of the disk to writeback, and a write made durable by an fsync
# would not be. commit_ms of an hour: only the flush commits here.
# ram0: the cache (8 MiB), ram1: the disk below, ram2: a crash image.
brd_setup 16 3
size=$(dev_sectors /dev/ram1)
modprobe dm-vaio-cache
cleanup() { for d in top vm fast2 fast; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

vm_table() { # MODE
	echo "0 $size vaio /dev/ram1 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=$1 dirty_high=90 dirty_low=80"
}
wc_of() { cat "/sys/block/dm-$(dmsetup info -c --noheadings -o minor "$1")/queue/write_cache"; }

ktap_eq "the disk below offers no volatile cache" \
	"$(cat /sys/block/ram1/queue/write_cache)" "write through"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 commit_ms=3600000 format"
ktap_check "disk in writethrough mode" dm_create vm "$(vm_table writethrough)"
ktap_check "dm-linear on it" dm_create top "0 $size linear /dev/mapper/vm 0"
ktap_eq "the disk offers a volatile cache" "$(wc_of vm)" "write back"
ktap_eq "so does the device on it" "$(wc_of top)" "write back"
ktap_check "the disk reloaded to writeback" vaio_reload vm "$(vm_table writeback)"
head -c 1048576 /dev/urandom >/tmp/a
a=$(md5sum </tmp/a)
ktap_check "1 MiB of 4 KiB writes through the device on it, then fsync" \
	dd if=/tmp/a of=/dev/mapper/top bs=4k oflag=direct conv=fsync
ktap_eq "256 dirty blocks" "$(pool_word dirty)" 256
# A crash image: the cache device as it is now (the entries as commits
# sealed them; the pool never went, nothing rewrote them).
ktap_check "a copy of the live cache device (a crash)" \
	dd if=/dev/ram0 of=/dev/ram2 bs=1M iflag=direct oflag=direct
ktap_check "a pool on the copy" dm_create fast2 "0 8 vaio-cache-pool /dev/ram2"
ktap_eq "it finds the 256 dirty blocks (fails when the flush was dropped)" \
	"$(pool_word dirty fast2)" 256
ktap_check "that pool goes" dmsetup remove fast2
ktap_eq "the disk reads the writes" \
	"$(dd if=/dev/mapper/top bs=1M count=1 iflag=direct 2>/dev/null | md5sum)" "$a"
ktap_check "device, disk and pool removed" sh -c \
	"dmsetup remove top && dmsetup remove vm && dmsetup remove fast"
ktap_finish
