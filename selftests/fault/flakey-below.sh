#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="dm-flakey under vaio goes down and up: I/O errors pass through cleanly, the disk recovers intact"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 64
size=$(dev_sectors /dev/ram0)
up="0 $size flakey /dev/ram0 0 3600 0"
down="0 $size flakey /dev/ram0 0 0 3600"
ktap_check "dm-flakey, up" dm_create fl "$up"
ktap_check "vaio over it" dm_create vf \
	"0 $size vaio /dev/mapper/fl 10 filter test-inspection fail_open 2 mode=hold_end ms=1 filter test-cache fail_closed 0"
ktap_check "data written while the device is up" fio_verify /dev/mapper/vf --size=16m --randseed=3

ktap_check "the device below goes down" vaio_reload fl "$down"
ktap_fails "writes error" dd if=/dev/zero of=/dev/mapper/vf bs=4k seek=8192 count=1 oflag=direct
ktap_fails "reads error" dd if=/dev/mapper/vf of=/dev/null bs=4k count=1 iflag=direct
ktap_match "vaio counted the errors" "$(vaio_stat vf errors)" '^[1-9]'
ktap_eq "the filters stay active (device errors are not theirs)" \
	"$(vaio_filter_state vf test-inspection) $(vaio_filter_state vf test-cache)" "active active"

ktap_check "the device below comes back" vaio_reload fl "$up"
ktap_check "the data from before is intact" \
	fio_verify /dev/mapper/vf --size=16m --randseed=3 --verify_only
ktap_check "new writes verify" fio_verify /dev/mapper/vf --offset=32m --size=16m
ktap_eq "every mapped bio completed through the filters" \
	"$(vaio_filter_get vf test-cache end_ios)" "$(vaio_filter_get vf test-cache maps)"
dm_remove vf fl
ktap_finish
