#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="sync replication: fio verify on the primary; both disks byte-identical, every write acknowledged, also across a table reload; a corrupting filter below is caught"
TOPOLOGY=2host
TIMEOUT=400
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: sync, connected, in sync" repl_pair sync
ktap_check "fio verify through the primary (4k..256k, fsync)" \
	fio_verify /dev/mapper/d0 --size=64m --bsrange=4k-256k --fsync=32 --randseed=61
ktap_check "in sync afterwards" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical" repl_checksum_both
st=$(vaioctl -j repl status d0)
sent=$(printf '%s' "$st" | jq '.[0].sent_writes')
ktap_eq "every streamed write acknowledged" \
	"$(printf '%s' "$st" | jq '.[0].acked_writes')" "$sent"
ktap_eq "the secondary received them all" \
	"$(vaio_peer "vaioctl -j repl status d0" | jq '.[0].recv_writes')" "$sent"
ktap_match "status words in dmsetup status" "$(dmsetup status d0)" \
	"role primary conn connected mode sync lag_writes 0"

# A table reload under I/O (same chain) keeps the connection and the data.
fio_verify /dev/mapper/d0 --size=32m --randseed=62 --runtime=8 --time_based >/tmp/fio.out 2>&1 &
fp=$!
sleep 2
table=$(dmsetup table d0)
ktap_check "table reloaded under I/O" vaio_reload d0 "$table"
wait $fp
ktap_eq "fio verify across the reload" "$?" 0
ktap_check "still connected, in sync" vaioctl repl wait d0 --synced --timeout 60
ktap_eq "connected once" "$(vaioctl -j repl status d0 | jq '.[0].connects')" 1
ktap_check "both disks byte-identical after the reload" repl_checksum_both

# Issue 18, defect 7: the secondary's buffers are bounded (max_buffers_kib,
# DRBD's max-buffers; before, up to 512 writes of 1 MiB). b's disk made
# slow (dm-delay, writes 20 ms) so that received writes pile up. (Another
# disk device under b's filter means a full resync: the core cannot know
# it holds the same data.)
slowb="0 $((REPL_MIB * 2048)) delay $REPL_DATA 0 0 $REPL_DATA 0 20"
ktap_check "b's d0 on a slow disk, max_buffers_kib=1024" \
	vaio_peer "echo '$slowb' | dmsetup create slowb && dmsetup mknodes slowb &&
		echo '$(repl_table b sync "$REPL_MIB" max_buffers_kib=1024 |
			sed "s#vaio $REPL_DATA #vaio /dev/mapper/slowb #")' | dmsetup load d0 &&
		dmsetup suspend d0 && dmsetup resume d0"
ktap_check "fio verify, 1 MiB writes 16 deep" \
	fio_verify /dev/mapper/d0 --size=32m --bs=1m --iodepth=16 --randseed=64
bufmax=$(vaio_peer 'dmsetup status d0' | sed -n 's/.*buffers_max_kib \([0-9]*\).*/\1/p')
ktap_diag "b held at most ${bufmax:-?} KiB of received writes"
ktap_check "b's buffers filled (over half the bound)" test "${bufmax:-0}" -gt 512
ktap_check "never past max_buffers_kib" test "${bufmax:-9999999}" -le 1024
b_plain() {
	repl_reload b "$(repl_table b sync "$REPL_MIB")" &&
		vaio_peer 'dmsetup remove slowb'
}
ktap_check "b's d0 back on its disk" b_plain
ktap_check "both disks byte-identical (b's changed disk device: a full resync)" \
	repl_checksum_both

# The check can fail: a filter below replication that stores writes
# inverted makes the local disk differ from what was streamed.
dev=$(dmsetup table d0 | cut -d' ' -f4)
n=$(dmsetup table d0 | cut -d' ' -f2)
args=$(dmsetup table d0 | cut -d' ' -f6-)
words=$(dmsetup table d0 | cut -d' ' -f5)
ktap_check "inverting filter added below replication" vaio_reload d0 \
	"0 $n vaio $dev $((words + 5)) $args filter test-cache fail_open 1 mode=invert"
ktap_check "fio verify through both filters" \
	fio_verify /dev/mapper/d0 --size=8m --randseed=63
vaioctl repl wait d0 --synced --timeout 60 >/dev/null
dmsetup table d0; dmsetup status d0
ktap_fails "checksums differ with the inverting filter (the check can fail)" \
	repl_checksum_both
repl_teardown
ktap_finish
