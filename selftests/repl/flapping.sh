#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a flapping link: six cuts, each with writes, before the resync can finish: no false split brain, one new generation, the disks equal in the end"
TOPOLOGY=2host
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 18, item 8: each disconnect with writes made a new generation, and
# only four are kept: after the fifth the secondary's was not in the
# primary's history, and the next connect was refused as a split brain.
# The secondary never caught up meanwhile (a slow resync), so it is at the
# first generation all along: none after it is needed.

# cut_write N: the link cut, a notices, 1 MiB written at N MiB while cut.
cut_write() {
	repl_cut && vaioctl repl wait d0 --conn waiting --timeout 30 >/dev/null &&
		dd if=/dev/urandom of=/dev/mapper/d0 bs=1M seek="$1" count=1 oflag=direct 2>/dev/null
}
# reconnect: the link back, a connected again (the resync starting).
reconnect() {
	repl_uncut &&
		vaioctl repl wait d0 --conn sync-source --timeout 60 >/dev/null
}
fast_resync() {
	repl_reload a "$(repl_table a sync "$REPL_MIB" timeout_ms=1000 resync_kibps=0)"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sync pair set up (resync 256 KiB/s, timeout 1 s)" \
	repl_pair sync timeout_ms=1000 resync_kibps=256
g0=$(repl_json a gen)
ktap_check "cut" cut_write 0
ktap_check "15 MiB more while cut" \
	dd if=/dev/urandom of=/dev/mapper/d0 bs=1M seek=1 count=15 oflag=direct
g1=$(repl_json a gen)
ktap_check "a made a new generation" test "$g1" != "$g0"
for i in 1 2 3 4 5 6; do
	ktap_check "flap $i: reconnected (no split brain)" reconnect
	ktap_check "flap $i: cut again mid-resync, 1 MiB written" cut_write $((16 + i))
done
ktap_eq "no new generation while the peer is behind" "$(repl_json a gen)" "$g1"
ktap_check "resync unthrottled" fast_resync
ktap_check "link back" repl_uncut
ktap_check "resynced" repl_wait_consistent b 120
ktap_check "both disks byte-identical" repl_checksum_both
ktap_eq "b took a's generation" "$(repl_json b gen)" "$g1"
repl_teardown
ktap_finish
