#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaio over a memory-backed null_blk (configfs): fio crc32c verify"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# null_blk keeps data only when memory-backed, which needs configfs.
modprobe null_blk nr_devices=0
n=/sys/kernel/config/nullb/vnull
mkdir "$n"
echo 256 >"$n/size"
echo 1 >"$n/memory_backed"
echo 4096 >"$n/blocksize"
echo 1 >"$n/power"
# 6.1 names a configfs-made disk after its directory.
dev=/dev/vnull
modprobe dm-vaio
size=$(dev_sectors "$dev")
ktap_eq "null_blk is 256 MiB" "$size" 524288
ktap_check "create vaio over $dev" dm_create vn0 "0 $size vaio $dev"
ktap_eq "logical block size follows the device" \
	"$(blockdev --getss /dev/mapper/vn0)" 4096
ktap_check "fio random write + crc32c verify through vaio" \
	fio_verify /dev/mapper/vn0 --size=128m --randseed=7
ktap_check "remove vaio device" dm_remove vn0
ktap_check "data intact on null_blk after removal" \
	fio_verify "$dev" --size=128m --randseed=7 --verify_only
ktap_finish
