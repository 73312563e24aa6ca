#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a reconnect with blocks out of sync: the secondary is inconsistent, on disk, before it takes any write; a link drop before the resync sends data leaves it refusing promote"
TOPOLOGY=2host
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# vaio-a's d0 sits on "slow", a dm-delay over its data disk: with reads
# delayed, the resync's first read of a chunk takes seconds while the VM's
# writes go through, so writes reach the peer before any resync data.
sectors=$((REPL_MIB * 2048))
slow() { # READ_MS
	echo "0 $sectors delay $REPL_DATA 0 $1 $REPL_DATA 0 0" | dmsetup load slow &&
	dmsetup suspend slow && dmsetup resume slow
}
# wr OFFSET_MIB COUNT: COUNT writes of 4 KiB of random data on vaio-a.
wr() {
	dd if=/dev/urandom of=/dev/mapper/d0 bs=4k seek=$(($1 * 256)) \
		count="$2" oflag=direct 2>/dev/null
}

# setup: repl_pair sync, with a's d0 over slow.
setup() {
	local t
	repl_disks "$REPL_MIB" "$REPL_MIB" && repl_secret || return 1
	echo "0 $sectors delay $REPL_DATA 0 0 $REPL_DATA 0 0" | dmsetup create slow &&
		dmsetup mknodes slow || return 1
	t=$(repl_table a sync "$REPL_MIB" | sed "s#vaio $REPL_DATA #vaio /dev/mapper/slow #")
	echo "$t" | dmsetup create d0 && dmsetup mknodes d0 &&
		repl_up b sync "$REPL_MIB" && repl_vaiod_start || return 1
	vaio_peer 'vaioctl repl init d0 --secondary' &&
		vaioctl repl init d0 --primary --skip-initial-sync &&
		vaioctl repl wait d0 --synced --timeout 30
}
# b_again: b's d0 removed and created again (state from its metadata).
b_again() {
	vaio_peer "dmsetup remove d0 && echo '$(repl_table b sync "$REPL_MIB")' | dmsetup create d0"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sync pair set up, a's d0 over dm-delay" setup

# Out of sync while cut: 4 MiB written on a alone.
ktap_check "replication port cut" repl_cut
ktap_check "a notices" vaioctl repl wait d0 --conn waiting --timeout 30
ktap_check "b notices" vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 30'
ktap_check "4 MiB written on a while cut" wr 8 1024
ktap_check "tracked" test "$(repl_json a oos_bytes)" -ge 4194304
ktap_eq "b is still consistent (a prefix)" "$(repl_json b consistent)" true

# Reconnect with the resync's reads held 10 s; new writes meanwhile; cut
# again before any resync data.
ktap_check "a's reads delayed 10 s" slow 10000
recv0=$(repl_json b recv_writes)
ktap_check "port open again" repl_uncut
ktap_check "a reconnects (resync starting)" vaioctl repl wait d0 --conn sync-source --timeout 30
ktap_check "64 new writes on a, acknowledged by b" wr 64 64
ktap_check "cut again, before any resync data" repl_cut
recv1=$(repl_json b recv_writes)
ktap_diag "b received $((recv1 - recv0)) writes, resynced $(repl_json b resynced_bytes) bytes"
ktap_check "b received the new writes" test "$recv1" -ge $((recv0 + 64))
ktap_eq "b says inconsistent" "$(repl_json b consistent)" false
ktap_check "b notices the cut" vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 30'
ktap_fails "promote on b refused (it lacks the 4 MiB)" vaio_peer 'vaioctl repl promote d0'
ktap_fails "a read of b's d0 refused (issue 18, item 8)" \
	vaio_peer 'dd if=/dev/mapper/d0 of=/dev/null bs=4k count=1 iflag=direct'
ktap_eq "b is still secondary" "$(repl_json b role)" secondary

# The flag is on disk: b's table reloaded from its metadata says the same.
ktap_check "b's d0 removed and created again from its metadata" b_again
ktap_eq "b still says inconsistent" "$(repl_json b consistent)" false

# Everything back: the resync ends, both equal.
ktap_check "a's reads fast again" slow 0
ktap_check "port open again" repl_uncut
ktap_check "resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_check "b consistent again" repl_wait_consistent b 60
ktap_check "b's d0 reads again" \
	vaio_peer 'dd if=/dev/mapper/d0 of=/dev/null bs=4k count=1 iflag=direct'
a=$(dev_sum /dev/mapper/slow "$REPL_MIB")
b=$(vaio_peer "$REPL_SUM_CMD")
ktap_eq "both disks byte-identical" "$a" "$b"
repl_teardown
dmsetup remove slow 2>/dev/null
ktap_finish
