#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="detach: replication dropped from a lagging async primary by a table reload; the lag drains first, the replica is complete, and the disk runs on without the filter"
TOPOLOGY=2host
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: async" repl_pair async
# A slow link (~1 MB/s): 4 MiB of writes make a lag of seconds.
ktap_check "netem: 8 mbit" "$TC" qdisc replace dev eth0 root netem delay 5ms rate 8mbit
ktap_check "4 MiB written (O_DIRECT)" \
	dd if=/dev/urandom of=/dev/mapper/d0 bs=64k count=64 seek=100 oflag=direct
lag=$(vaioctl -j repl status d0 | jq '.[0].lag_bytes')
ktap_diag "lag at the reload: $lag bytes"
ktap_check "a lag to drain (over 1 MiB)" test "$lag" -gt 1048576
ktap_check "table reloaded without the filter" \
	vaio_reload d0 "0 $((REPL_MIB * 2048)) vaio $REPL_DATA 2 disk_id d0"
ktap_eq "no filter left" "$(vaio_filters d0)" ""
$TC qdisc del dev eth0 root
ktap_check "the disk runs on" dd if=/dev/zero of=/dev/mapper/d0 bs=4k count=1 seek=1 oflag=direct
# Zeroes over zeroes: the primary is still what it was at the detach.
a=$(repl_sum)
b=$(vaio_peer "$REPL_SUM_CMD")
ktap_eq "the replica has every write made before the detach" "$a" "$b"
ktap_match "the replica saw the primary leave" "$(repl_json b reason)" "closed"
repl_teardown
ktap_finish
