#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="bad vaio table lines are refused with their own error and leave nothing behind"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 16
modprobe dm-vaio
size=$(dev_sectors /dev/ram0)


table_refused "no data device" "0 $size vaio" "vaio: Missing data device argument"
table_refused "data device does not exist" "0 $size vaio /dev/nonexistent" \
	"vaio: Data device lookup failed"
table_refused "target longer than the device" "0 $((size + 8)) vaio /dev/ram0" \
	"too small for target"
table_refused "feature count larger than the arguments" "0 $size vaio /dev/ram0 3 disk_id vm1" \
	"vaio: Not enough feature arguments"
table_refused "feature count not a number" "0 $size vaio /dev/ram0 two disk_id vm1" \
	"vaio: Invalid number of feature arguments"
table_refused "arguments after the features" "0 $size vaio /dev/ram0 2 disk_id vm1 extra" \
	"vaio: Too many arguments"
table_refused "unknown feature" "0 $size vaio /dev/ram0 1 frobnicate" \
	"vaio: Unrecognised feature argument"
table_refused "disk_id without a name" "0 $size vaio /dev/ram0 1 disk_id" \
	"vaio: disk_id needs a name"
table_refused "disk_id too long" \
	"0 $size vaio /dev/ram0 2 disk_id $(printf 'x%.0s' $(seq 1 80))" \
	"vaio: Invalid disk_id"
# dmsetup itself parses <start> <length>: a bad number never reaches us.
table_refused "non-numeric length" "0 lots vaio /dev/ram0" "Invalid format"

ktap_eq "no device-mapper device left" "$(dmsetup ls)" "No devices found"
ktap_check "a good table still works afterwards" dm_create good "0 $size vaio /dev/ram0"
ktap_check "and passes data" fio_verify /dev/mapper/good --size=8m
dm_remove good
ktap_check "module unloads: no reference leaked" rmmod dm-vaio
ktap_finish
