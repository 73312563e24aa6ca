#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="bad filter tables are refused with their own error; filter modules are pinned while used"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 16 2
modprobe dm-vaio
size=$(dev_sectors /dev/ram0)
t="0 $size vaio /dev/ram0"

table_refused "unknown filter type" "$t 4 filter nosuch fail_open 0" "vaio: Unknown filter type"
table_refused "unknown filter type is named in the log" "$t 4 filter nosuch fail_open 0" \
	"unknown filter type 'nosuch'"
table_refused "two filters of one class" \
	"$t 8 filter test-qos fail_open 0 filter test-qos fail_open 0" "vaio: Two filters of one class"
table_refused "bad fail mode" "$t 4 filter test-qos fail_maybe 0" "vaio: Invalid filter fail mode"
table_refused "filter argument count not a number" "$t 4 filter test-qos fail_open x" \
	"vaio: Invalid number of filter arguments"
table_refused "filter argument count too large" "$t 5 filter test-qos fail_open 3 pass" \
	"vaio: Not enough filter arguments"
table_refused "filter without type and mode" "$t 1 filter" \
	"vaio: filter needs <type> <fail_open|fail_closed> <#args>"
table_refused "a filter argument that is not key=value" "$t 5 filter test-qos fail_open 1 frobnicate" \
	"vaio: filter argument is not key=value"
table_refused "an undeclared filter parameter, its key in context" "$t 5 filter test-qos fail_open 1 frob=1" \
	"filter test-qos: 'frob=...': unknown filter parameter"
ktap_check "... not its value (a key mistyped may be secret)" sh -c "! dmesg | grep -q \"'frob=1'\""
table_refused "a declared parameter's word in context" "$t 5 filter test-qos fail_open 1 ms=60002" \
	"filter test-qos: 'ms=60002': parameter value is out of range"
table_refused "a bare word: not shown" "$t 5 filter test-qos fail_open 1 0123456789abcdef" \
	"filter test-qos: a word not shown: filter argument is not key=value"
ktap_check "... nowhere in the log" sh -c "! dmesg | grep -q 0123456789abcdef"
table_refused "a parameter value out of range" "$t 5 filter test-qos fail_open 1 ms=60001" \
	"vaio: parameter value is out of range"
table_refused "a parameter value not among the choices" "$t 5 filter test-qos fail_open 1 mode=fast" \
	"vaio: parameter value is not one of the choices"
table_refused "a parameter given twice" "$t 6 filter test-qos fail_open 2 mode=pass mode=fail" \
	"vaio: filter parameter given twice"
# One limit for tables and CHAIN_CHECK: 32 arguments (VAIO_MAX_ARGS).
args33=$(for _ in $(seq 1 33); do printf ' mode=pass'; done)
table_refused "more than 32 filter arguments" "$t 37 filter test-qos fail_open 33$args33" \
	"vaio: too many filter arguments"
table_refused "the filter's own argument error" "$t 5 filter test-qos fail_open 1 mode=delay" \
	"vaio: mode=delay and mode=hold_end need ms="
table_refused "the filter's own argument error, in context" "$t 5 filter test-qos fail_open 1 mode=delay" \
	"filter test-qos: mode=delay and mode=hold_end need ms="
table_refused "disk_id after a filter (filters may use it in their ctr)" \
	"$t 6 filter test-qos fail_open 0 disk_id late" "vaio: disk_id must come before the filters"
table_refused "disk_id twice" "$t 4 disk_id a disk_id b" "vaio: disk_id given twice"
table_refused "disk_id with a bad character" "$t 2 disk_id vm/1" "vaio: Invalid disk_id"
dm_create owner "$t 6 disk_id shared filter test-qos fail_open 0"
table_refused "disk_id owned by another device" "0 $size vaio /dev/ram1 2 disk_id shared" \
	"vaio: disk_id is in use by another device"
# Without disk_id, the device's name is its disk_id, unique just the same.
ktap_fails "default disk_id (the name) owned by another device" \
	dm_create shared "0 $size vaio /dev/ram1"
table_refused "two vaio targets in one device" \
	"$(printf '0 16 vaio /dev/ram1 2 disk_id two1\n16 16 vaio /dev/ram1 2 disk_id two2')" \
	"vaio: Only one vaio target per device"
ktap_fails "a reload cannot change the disk_id" \
	vaio_reload owner "$t 6 disk_id other filter test-qos fail_open 0"
ktap_match "... and says so" "$(dmesg | tail -n 3)" 'disk_id cannot change while the device exists'
ktap_match "the live table kept its disk_id" "$(dmsetup table owner)" 'disk_id shared'
# A default disk_id (the name) sticks to the device across a rename.
dm_create named "0 $size vaio /dev/ram1"
dmsetup rename named renamed
ktap_check "reload after a rename" vaio_reload renamed "0 $size vaio /dev/ram1 4 filter test-cache fail_open 0"
ktap_eq "the disk keeps its disk_id" "$(vaio_stat renamed disk_id)" named
dm_remove renamed
ktap_fails "test filter: veto suspend is meaningless, refused" \
	dmsetup message owner 0 test-qos veto suspend
ktap_eq "only the good device exists" "$(dmsetup ls | cut -f1 | tr -d ' ')" owner

ktap_fails "filter module pinned while a disk uses it" rmmod dm-vaio-test
ktap_fails "core module pinned too" rmmod dm-vaio
dm_remove owner
ktap_check "filter module unloads once the disk is gone" rmmod dm-vaio-test
ktap_check "core module unloads" rmmod dm-vaio
ktap_check "a filter type loads on demand again" dm_create again "$t 4 filter test-cache fail_open 0"
dm_remove again

# The filters' per-bio areas together take at most 2048 bytes; a type alone
# more is refused at registration. dm-vaio-test's per_bio_pad= makes each
# of its types' areas larger: 104 + 800 bytes, 904 aligned.
rmmod dm-vaio-test
ktap_check "test types with 800 more bytes per bio" modprobe dm-vaio-test per_bio_pad=800
ktap_check "two of them fit (1808 bytes)" \
	dm_create pad2 "$t 8 filter test-qos fail_open 0 filter test-cache fail_open 0"
dm_remove pad2
table_refused "three do not (2712 bytes)" \
	"$t 12 filter test-qos fail_open 0 filter test-inspection fail_open 0 filter test-cache fail_open 0" \
	"vaio: filters' per-bio data too large together (over 2048 bytes)"
vaioctl_setup
vaioctl_bad "CHAIN_CHECK refuses the same chain (vaioctl policy create)" \
	"per-bio data too large together \\(over 2048 bytes\\)" \
	vaioctl policy create big test-qos test-inspection test-cache
ktap_check "... and accepts two" vaioctl policy create fits test-qos test-cache
rmmod dm-vaio-test
dmesg -c >/dev/null
ktap_fails "a type over 2048 bytes alone is refused at registration" \
	modprobe dm-vaio-test per_bio_pad=2048
ktap_match "... and the log says so" "$(dmesg -c)" \
	'refusing filter type test-qos: per-bio data of 2152 bytes, over 2048'
ktap_check "loads again without the pad" modprobe dm-vaio-test
ktap_finish
