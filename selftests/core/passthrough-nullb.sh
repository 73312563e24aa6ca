#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaio over a memory-backed null_blk (configfs): fio crc32c verify"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

nullb_mem vnull 256 blocksize=4096
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
