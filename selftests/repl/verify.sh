#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl repl verify: no difference under fio in each mode; blocks changed behind the replica's back are found, counted and resynced"
CHECK=full	# online verify, not an acknowledged write's path (95 s, two guests): make check-full; make check at 1745 s on 2026-12-07
TOPOLOGY=2host
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

vjson() { vaioctl -j repl status d0 | jq -r ".[0].verify.$1"; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
seed=120
for mode in sync async; do
	seed=$((seed + 1))
	ktap_check "$mode: pair set up" repl_pair "$mode"
	ktap_check "$mode: verify of an idle pair: no difference" \
		vaioctl repl verify d0 --timeout 120
	ktap_eq "$mode: everything compared" "$(vjson done_bytes)" "$((REPL_MIB << 20))"
	# Writes race the verify: a chunk is compared with its writes held,
	# so they must never show up as differences.
	fio_verify /dev/mapper/d0 --size=96m --randseed=$seed --runtime=20 \
		--time_based >/tmp/fio.out 2>&1 &
	fp=$!
	sleep 2
	ktap_check "$mode: verify under fio: no difference" \
		vaioctl repl verify d0 --timeout 120
	wait $fp
	ktap_eq "$mode: fio verify" "$?" 0
	repl_teardown
done

# The replica changed below its vaio device (as a bad disk would): two runs,
# 4 KiB at 1 MiB and 12 KiB at 100 MiB + 8 KiB.
ktap_check "sync: pair set up" repl_pair sync
fio_verify /dev/mapper/d0 --size=32m --randseed=131 >/dev/null 2>&1
ktap_check "synced" vaioctl repl wait d0 --synced --timeout 60
vaio_peer 'dd if=/dev/urandom of=/dev/ram0 bs=4k seek=256 count=1 oflag=direct 2>/dev/null &&
	dd if=/dev/urandom of=/dev/ram0 bs=4k seek=25602 count=3 oflag=direct 2>/dev/null' >/dev/null
a=$(repl_sum)
b=$(vaio_peer "$REPL_SUM_CMD")
ktap_check "the replica was changed" test "$a" != "$b"
out=$(vaioctl repl verify d0 --timeout 120 2>&1)
rc=$?
ktap_diag "$out"
ktap_eq "verify exits 1 when blocks differ" "$rc" 1
ktap_eq "16 KiB differ" "$(vjson diff_bytes)" 16384
ktap_eq "in 2 extents" "$(vjson diff_extents)" 2
ktap_match "dmsetup status shows it" "$(dmsetup status d0)" "verify done verify_diff_kib 16"
ktap_check "the difference is resynced" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical again" repl_checksum_both
ktap_check "a second verify finds nothing" vaioctl repl verify d0 --timeout 120

# Bad requests: clear errors.
out=$(vaio_peer 'vaioctl repl verify d0' 2>&1)
ktap_eq "refused on the secondary (exit)" "$?" 1
ktap_match "refused on the secondary (message)" "$out" "verify runs on the primary"
killall vaiod	# or it dials again
vaioctl repl disconnect d0
out=$(vaioctl repl verify d0 2>&1)
ktap_eq "refused while disconnected (exit)" "$?" 1
ktap_match "refused while disconnected (message)" "$out" "not connected"
out=$(vaioctl repl verify d0 --stop 2>&1)
ktap_match "nothing to stop" "$out" "no verify is running"
repl_teardown
ktap_finish
