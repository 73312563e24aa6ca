#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="replication swapped for dm-linear and back on either side: writes made without it are resynced, a written secondary is replaced"
TOPOLOGY=2host
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 17, defect 1, for replication: a table of another target in the
# filter's place is a detach from a disk that goes on, and the filter that
# comes back joins a disk that ran without it. Its bitmap knows nothing of
# the writes made meanwhile.

REPL_MIB=32
linear="0 $((REPL_MIB * 2048)) linear $REPL_DATA 0"
# put HOST SEEK: 1 MiB of new random data at MiB SEEK of HOST's d0.
put() {
	repl_on "$1" "dd if=/dev/urandom of=/dev/mapper/d0 bs=1M seek=$2 count=1 oflag=direct 2>/dev/null"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: sync, a primary" repl_pair sync timeout_ms=2000
ktap_check "1 MiB written on a" put a 1
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 60

# 1. The primary runs under dm-linear for a while.
ktap_check "a: swapped for dm-linear" repl_reload a "$linear"
ktap_check "a: 1 MiB written under dm-linear" put a 5
ktap_check "a: replication back" repl_reload a "$(repl_table a sync $REPL_MIB timeout_ms=2000)"
ktap_match "a: the core and the filter say why" "$(dmesg | tail -n 30)" \
	'd0: joined a disk that ran without replication: full resync'
ktap_check "a: connected and in sync again" vaioctl repl wait d0 --synced --timeout 120
ktap_check "a: the whole disk was resynced" \
	test "$(repl_json a resynced_bytes)" -ge $((REPL_MIB << 20))
ktap_check "both disks byte-identical (the write under dm-linear too)" repl_checksum_both

# 2. The secondary runs under dm-linear and is written there.
ktap_check "b: swapped for dm-linear" repl_reload b "$linear"
ktap_check "b: 1 MiB written under dm-linear" put b 9
# Back, but not connected yet (the port cut): not promotable as it is.
ktap_check "the replication port cut" repl_cut
ktap_check "b: replication back" repl_reload b "$(repl_table b sync $REPL_MIB timeout_ms=2000)"
ktap_match "b: its data is to be replaced" "$(vaio_peer 'dmesg | tail -n 30')" \
	'd0: detached, the disk runs on: a full sync from the primary'
ktap_eq "b: inconsistent" "$(repl_json b consistent)" false
ktap_fails "b: promote without --force refused" vaio_peer 'vaioctl repl promote d0'
ktap_eq "b: still the secondary" "$(repl_json b role)" secondary
ktap_check "the port open again" repl_uncut
ktap_check "a: in sync with b again" vaioctl repl wait d0 --synced --timeout 120
ktap_check "b: consistent" repl_wait_consistent b 60
ktap_check "both disks byte-identical (b's own write replaced)" repl_checksum_both

# 3. The primary's filter bypassed (fail_open), written, and the device
# removed: nothing tracked those writes; created again, it resyncs all.
ktap_check "a: the admin takes replication out" dmsetup message d0 0 fail replication
ktap_check "a: 1 MiB written while bypassed" put a 17
ktap_check "a: removed while bypassed" dmsetup remove d0
ktap_match "a: the filter says so" "$(dmesg | tail -n 20)" \
	'd0: removed while bypassed: full resync'
ktap_check "a: created again" repl_up a sync $REPL_MIB timeout_ms=2000
ktap_check "a: connected and in sync again" vaioctl repl wait d0 --synced --timeout 120
ktap_check "both disks byte-identical (the write while bypassed too)" repl_checksum_both
ktap_check "a: 1 MiB written after it all" put a 13
ktap_check "both disks byte-identical at the end" repl_checksum_both
repl_teardown
ktap_finish
