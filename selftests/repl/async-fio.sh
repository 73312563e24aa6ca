#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="async replication: fio verify on the primary, the lag drains to 0, both disks byte-identical"
TOPOLOGY=2host
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: async, connected" repl_pair async
ktap_check "fio verify through the primary (4k..256k, fsync)" \
	fio_verify /dev/mapper/d0 --size=96m --bsrange=4k-256k --fsync=32 --randseed=71
ktap_check "the lag drains" vaioctl repl wait d0 --synced --timeout 60
st=$(vaioctl -j repl status d0)
ktap_eq "no lag left" "$(printf '%s' "$st" | jq '[.[0].lag_writes, .[0].lag_bytes] | add')" 0
ktap_eq "every streamed write confirmed" \
	"$(printf '%s' "$st" | jq '.[0].acked_writes')" "$(printf '%s' "$st" | jq '.[0].sent_writes')"
ktap_match "mode async in dmsetup status" "$(dmsetup status d0)" "mode async"
ktap_check "both disks byte-identical" repl_checksum_both
repl_teardown
ktap_finish
