#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod SIGKILLed on both sides: replication goes on over the kernel's socket; disconnected without vaiod, the disk tracks, and a restarted vaiod reconnects and resyncs"
TOPOLOGY=2host
TIMEOUT=400
CHECK=full	# vaiod's death under replication (61 s; the kernel holds the socket): make check-full; make check took 1948 s here on 2026-12-07
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: sync" repl_pair sync
fio_verify /dev/mapper/d0 --size=64m --randseed=91 --runtime=10 --time_based >/tmp/fio.out 2>&1 &
fp=$!
sleep 2
killall -9 vaiod
vaio_peer 'killall -9 vaiod'
ktap_eq "vaiod gone on both" "$(pidof vaiod; vaio_peer 'pidof vaiod')" 
before=$(vaioctl -j repl status d0 | jq '.[0].acked_writes')
sleep 3
after=$(vaioctl -j repl status d0 | jq '.[0].acked_writes')
ktap_check "writes still replicated ($before -> $after acknowledged)" test "$after" -gt "$before"
wait $fp
ktap_eq "fio verify with vaiod dead" "$?" 0
ktap_check "in sync, no resync needed" vaioctl repl wait d0 --synced --timeout 30
ktap_eq "nothing resynced" "$(vaioctl -j repl status d0 | jq '.[0].resynced_bytes')" 0
ktap_check "both disks byte-identical" repl_checksum_both

# Without vaiod a lost connection stays lost: the disk tracks.
ktap_check "disconnected" vaioctl repl disconnect d0
ktap_check "fio verify while disconnected" fio_verify /dev/mapper/d0 --size=32m --randseed=92
ktap_eq "conn waiting" "$(vaioctl -j repl status d0 | jq -r '.[0].conn')" waiting
ktap_check "tracked" test "$(vaioctl -j repl status d0 | jq '.[0].oos_bytes')" -gt 0
repl_vaiod_start
ktap_check "a restarted vaiod reconnects and resyncs" \
	vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical after the resync" repl_checksum_both
repl_teardown
ktap_finish
