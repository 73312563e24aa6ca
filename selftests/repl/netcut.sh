#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="network cut mid-fio, each mode: the disk runs on and tracks, vaiod reconnects, a resync makes both disks byte-identical"
TOPOLOGY=2host
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
seed=80
for mode in sync async; do
	seed=$((seed + 1))
	ktap_check "$mode: pair set up" repl_pair "$mode" timeout_ms=2000
	fio_verify /dev/mapper/d0 --size=128m --randseed=$seed --runtime=15 \
		--time_based >/tmp/fio.out 2>&1 &
	fp=$!
	sleep 3
	ktap_check "$mode: replication port cut" repl_cut
	ktap_check "$mode: the primary notices (conn waiting)" \
		vaioctl repl wait d0 --conn waiting --timeout 20
	sleep 2
	oos=$(vaioctl -j repl status d0 | jq '.[0].oos_bytes')
	ktap_check "$mode: writes are tracked ($oos bytes out of sync)" test "$oos" -gt 0
	ktap_check "$mode: port open again" repl_uncut
	wait $fp
	ktap_eq "$mode: fio verify unharmed by the cut" "$?" 0
	ktap_check "$mode: reconnected and resynced" \
		vaioctl repl wait d0 --synced --timeout 120
	st=$(vaioctl -j repl status d0)
	ktap_check "$mode: it was a resync ($(printf '%s' "$st" | jq '.[0].resynced_bytes') bytes)" \
		test "$(printf '%s' "$st" | jq '.[0].resynced_bytes')" -gt 0
	ktap_check "$mode: both disks byte-identical" repl_checksum_both
	repl_teardown
done
ktap_finish
