#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a primary that wrote while disconnected, demoted, then power-cut: its bitmap survives, and promoted again it resyncs those writes to the peer"
TOPOLOGY=2host
TIMEOUT=600
DEBUG_LANE=no
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
ktap_finish
