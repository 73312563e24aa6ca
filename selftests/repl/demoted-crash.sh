#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a primary that wrote while disconnected, demoted, then power-cut: its bitmap survives, and promoted again it resyncs those writes to the peer; a primary power-cut while its peer is promoted, which writes after its reboot: a split brain, not a resync over those writes"
TOPOLOGY=2host
TIMEOUT=600
VDISKS="128 8"
REPL_DATA=/dev/vdisk0
REPL_META=/dev/vdisk1
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 18, defect 4: the bitmap was saved only at removal or grow, so a
# demoted primary's bits (writes the peer lacks) died with a power cut,
# and the disks diverged without a word.

# b_back: vaio-b after its reboot: d0 from the kept disks, secret, vaiod.
b_back() {
	vaio_peer 'modprobe dm-vaio-replication' &&
	repl_up b sync "$REPL_MIB" && repl_secret && repl_vaiod_start
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up (sync, b primary)" repl_pair_on b sync
ktap_check "replication port cut" repl_cut
ktap_check "b notices" vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 30'
ktap_check "4 MiB written on b while cut" \
	vaio_peer 'dd if=/dev/urandom of=/dev/mapper/d0 bs=1M seek=16 count=4 oflag=direct 2>/dev/null'
ktap_check "b tracks them" test "$(repl_json b oos_bytes)" -ge 4194304
ktap_check "b demoted (disconnected)" vaio_peer 'vaioctl repl demote d0'
ktap_check "power cut of vaio-b" repl_reset_b
ktap_check "vaio-b back (d0 from its metadata, vaiod)" b_back
ktap_eq "b is secondary" "$(repl_json b role)" secondary
ktap_check "b still tracks the 4 MiB" test "$(repl_json b oos_bytes)" -ge 4194304
ktap_check "b promoted again" vaio_peer 'vaioctl repl promote d0'
ktap_check "port open again" repl_uncut
ktap_check "resynced to a" repl_wait_consistent a 120
ktap_check "both disks byte-identical" repl_checksum_both
repl_teardown

# Issue 18, second reader: a primary back from a crash wrote apart from a
# peer promoted meanwhile without a new generation (none was due after a
# reboot): demoted, it was resynced from the peer over those writes.
b_sum() { vaio_peer "dd if=$REPL_DATA bs=1M skip=32 count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1"; }
ktap_check "2: pair set up (sync, b primary)" repl_pair_on b sync
ktap_check "2: power cut of vaio-b, the primary" repl_reset_b
ktap_check "2: a notices" vaioctl repl wait d0 --conn waiting --timeout 30
ktap_check "2: a promoted (the disaster case: it is consistent)" vaioctl repl promote d0
ktap_check "2: vaio-b back, still primary" b_back
ktap_eq "2: b's role" "$(repl_json b role)" primary
ktap_check "2: 1 MiB written on b after its reboot" \
	vaio_peer 'dd if=/dev/urandom of=/dev/mapper/d0 bs=1M seek=32 count=1 oflag=direct 2>/dev/null'
sum=$(b_sum)
ktap_check "2: b demoted" vaio_peer 'vaioctl repl demote d0'
sleep 8
ktap_eq "2: b is not resynced from a (split brain)" "$(repl_json b conn)" waiting
ktap_match "2: vaiod says why" "$(cat /tmp/vaiod.log; vaio_peer 'cat /tmp/vaiod.log')" "split brain"
ktap_eq "2: b's write is still on b's disk" "$(b_sum)" "$sum"
repl_teardown
ktap_finish
