#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="sync replication: fio verify on the primary; both disks byte-identical, every write acknowledged, also across a table reload; a corrupting filter below is caught"
TOPOLOGY=2host
TIMEOUT=400
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
# Under the debug kernel (CI's subset) 32 MiB disks: each checksum of both
# replicas reads all of them, several times slower there.
[ "${VAIO_DEBUG:-0}" = 1 ] && REPL_MIB=32
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
