#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="chains of 0, 1 and 4 test filters keep data intact (random sizes, flushes, discards) and run in class order"
TIMEOUT=400
DEBUG_LANE=full	# make check-debug-full: its order rules need no sanitizer every run (152 s there); CI runs core/transform-skip instead
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Memory-backed null_blk with discard and a volatile cache, so that both
# flushes and discards reach vaio (brd in 6.1 has neither).
nullb_mem nb 128 discard=1 cache_size=16
size=$(dev_sectors /dev/nb)

# fio: random sizes, a flush every 8 writes, data verified after writing.
workload() {
	fio_verify "$1" --size=64m --bsrange=512-128k --fsync=8 --randseed="$2"
}

# Discards go through the chain: the discarded range reads back as zeroes
# (brd frees it) and data around it stays intact.
discard_check() {
	dd if=/dev/urandom of=/tmp/pat bs=1M count=4 2>/dev/null
	dd if=/tmp/pat of="$1" bs=1M seek=80 oflag=direct 2>/dev/null || return 1
	blkdiscard -o $((81 * 1048576)) -l 1048576 "$1" || return 1
	dd if="$1" of=/tmp/back bs=1M skip=80 count=4 iflag=direct 2>/dev/null || return 1
	cmp -n 1048576 /tmp/pat /tmp/back || return 1
	cmp -n 2097152 /tmp/pat /tmp/back 2097152 2097152 || return 1
	[ "$(dd if=/tmp/back bs=1M skip=1 count=1 2>/dev/null | tr -d '\0' | wc -c)" = 0 ]
}

for chain in 0 1 4; do
	case $chain in
	0) feat="" ;;
	1) feat=" 4 filter test-replication fail_open 0" ;;
	# named in reverse class order on purpose
	4) feat=" 16 filter test-cache fail_open 0 filter test-replication fail_open 0 filter test-inspection fail_open 0 filter test-qos fail_open 0" ;;
	esac
	ktap_check "chain of $chain: create" dm_create v$chain "0 $size vaio /dev/nb$feat"
	ktap_check "chain of $chain: fio verify, random sizes + flushes" workload /dev/mapper/v$chain $chain
	ktap_check "chain of $chain: discard passes, neighbours intact" discard_check /dev/mapper/v$chain
	flushes=$(vaio_stat v$chain flushes)
	ktap_match "chain of $chain: flushes counted ($flushes)" "$flushes" '^[1-9][0-9]*$'
	ktap_match "chain of $chain: discards counted" "$(vaio_stat v$chain discards)" '^[1-9][0-9]*$'
	ktap_eq "chain of $chain: no errors" "$(vaio_stat v$chain errors)" 0
	dm=$(dmsetup info -c --noheadings -o blkdevname v$chain)
	for q in discard_max_bytes write_cache logical_block_size max_sectors_kb; do
		ktap_eq "chain of $chain: queue/$q as the device below" \
			"$(cat "/sys/block/$dm/queue/$q")" "$(cat "/sys/block/nb/queue/$q")"
	done
	[ $chain = 4 ] || dm_remove v$chain
done

ktap_eq "status lists filters in class order" "$(vaio_filters v4)" \
	"test-qos test-inspection test-replication test-cache"
exp="0 $size vaio $(cat /sys/block/nb/dev) 16 filter test-qos fail_open 0 filter test-inspection fail_open 0 filter test-replication fail_open 0 filter test-cache fail_open 0"
ktap_eq "table prints the chain in class order" "$(dmsetup table v4)" "$exp"
# Every bio met qos first and cache last; completions ran the other way.
maps=$(vaio_filter_get v4 test-qos maps)
pos=0
for t in test-qos test-inspection test-replication test-cache; do
	ktap_eq "$t mapped every bio at place $pos" "$(vaio_filter_get v4 $t map_pos)" "$pos:$maps"
	ktap_eq "$t completed every bio at place $((3 - pos))" \
		"$(vaio_filter_get v4 $t end_pos)" "$((3 - pos)):$maps"
	pos=$((pos + 1))
done
ktap_eq "every mapped bio completed" "$(vaio_filter_get v4 test-cache end_ios)" "$maps"

# dmsetup table round-trips: a device made from it has the same table
# (after v4 went: one vaio device per disk below).
t=$(dmsetup table v4)
dm_remove v4
ktap_check "table round-trips through dmsetup create" dm_create v4b "$t"
ktap_eq "identical table" "$(dmsetup table v4b)" "$exp"
dm_remove v4b
ktap_check "filter module unloads after use" rmmod dm-vaio-test
ktap_finish
