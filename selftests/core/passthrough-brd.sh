#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaio over brd: fio crc32c verify through vaio, then read back from brd itself"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 256
modprobe dm-vaio
size=$(dev_sectors /dev/ram0)
ktap_check "create vaio over /dev/ram0" dm_create vd0 "0 $size vaio /dev/ram0 2 disk_id vm1"
ktap_eq "table round-trips" "$(dmsetup table vd0)" "0 $size vaio 1:0 2 disk_id vm1"
ktap_eq "size is the data device's" "$(dev_sectors /dev/mapper/vd0)" "$size"
ktap_check "fio random write + crc32c verify through vaio" \
	fio_verify /dev/mapper/vd0 --size=128m --randseed=42
ktap_check "fio sequential 1M write + verify, offset 128M" \
	fio_verify /dev/mapper/vd0 --rw=write --bs=1m --offset=128m --size=128m
ktap_check "remove vaio device" dm_remove vd0
# The same blocks, read from under vaio, carry the same data at the same
# offsets: vaio wrote where it was told.
ktap_check "data intact on brd after removal" \
	fio_verify /dev/ram0 --size=128m --randseed=42 --verify_only
ktap_check "module unloads" rmmod dm-vaio
ktap_finish
