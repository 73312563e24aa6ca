#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="failover and failback: data written on each side in turn; promote refused while the primary is connected; a split brain is refused until one side discards its data"
TOPOLOGY=2host
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# set N SEED [verify]: 8 MiB region N written (or checked) through d0 here
set_io() { # where N SEED write|verify
	local off=$(($2 * 8))m
	local cmd="fio --name=s$2 --filename=/dev/mapper/d0 --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=8 --offset=$off --size=8m --verify=crc32c --verify_fatal=1 --randseed=$3"
	[ "$4" = verify ] && cmd="$cmd --verify_only"
	if [ "$1" = a ]; then sh -c "$cmd" >/dev/null 2>/tmp/set.err; else vaio_peer "$cmd >/dev/null"; fi
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: sync, a primary" repl_pair sync
ktap_check "set 1 written on a" set_io a 1 101 write
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 60
ktap_fails "promote on b refused while a is connected and primary" \
	vaio_peer 'vaioctl repl promote d0'
ktap_fails "a write to b, the secondary, is refused" \
	vaio_peer 'dd if=/dev/zero of=/dev/mapper/d0 bs=4k count=1 oflag=direct'

# Planned failover: demote a, promote b, write on b.
ktap_check "demote a" vaioctl repl demote d0
ktap_check "promote b" vaio_peer 'vaioctl repl promote d0'
ktap_check "set 2 written on b" set_io b 2 102 write
ktap_check "a reconnects as b's secondary and is in sync" \
	vaio_peer 'vaioctl repl wait d0 --synced --timeout 60'
ktap_eq "a is secondary" "$(vaioctl -j repl status d0 | jq -r '.[0].role')" secondary
ktap_check "both disks byte-identical after failover" repl_checksum_both

# Failback.
ktap_check "demote b" vaio_peer 'vaioctl repl demote d0'
ktap_check "promote a" vaioctl repl promote d0
ktap_check "set 3 written on a" set_io a 3 103 write
ktap_check "in sync after failback" vaioctl repl wait d0 --synced --timeout 60
for n in 1 2 3; do
	ktap_check "set $n reads back on a" set_io a $n $((100 + n)) verify
done
ktap_check "both disks byte-identical after failback" repl_checksum_both

# Split brain: the link cut, b promoted by force (the disaster case), both
# write. Reconnecting is refused; nothing is overwritten.
ktap_check "replication port cut" repl_cut
ktap_check "a notices" vaioctl repl wait d0 --conn waiting --timeout 30
vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 30' >/dev/null
ktap_check "promote --force on b while cut" vaio_peer 'vaioctl repl promote d0 --force'
ktap_check "set 4 written on a" set_io a 4 104 write
ktap_check "set 5 written on b" set_io b 5 105 write
sum_a=$(repl_sum)
sum_b=$(vaio_peer "$REPL_SUM_CMD")
ktap_check "port open again" repl_uncut
sleep 5
ktap_eq "a stays disconnected (split brain)" "$(vaioctl -j repl status d0 | jq -r '.[0].conn')" waiting
ktap_match "vaiod says why" "$(cat /tmp/vaiod.log; vaio_peer 'cat /tmp/vaiod.log')" "split brain"
ktap_eq "nothing changed on a's disk" "$(repl_sum)" "$sum_a"
ktap_eq "nothing changed on b's disk" "$(vaio_peer "$REPL_SUM_CMD")" "$sum_b"
ktap_check "b discards its data (demote --force)" vaio_peer 'vaioctl repl demote d0 --force'
ktap_check "b is resynced whole from a" vaioctl repl wait d0 --synced --timeout "$(slow 120)"
ktap_check "set 4 reads back on a" set_io a 4 104 verify
ktap_check "both disks byte-identical after the split brain" repl_checksum_both
repl_teardown
ktap_finish
