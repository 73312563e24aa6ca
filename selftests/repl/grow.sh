#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="grow: a replicated disk grown live, the replica first (the primary's grow is refused until then); the new area is resynced and both disks match; shrinking is refused"
TOPOLOGY=2host
TIMEOUT=300
CHECK=full	# growing a replicated disk (57 s): make check-full; make check took 1948 s here on 2026-12-07
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
# RAM disks of 128 MiB, the tables 64 MiB at first.
REPL_MIB=128
. "$(dirname "$0")/../lib/repl.sh"

OLD=64
reload() { # HOST MIB: d0's table on HOST at that length, live
	t=$(repl_table "$1" sync "$2")
	repl_reload "$1" "$t"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "RAM disks" repl_disks "$REPL_MIB" "$REPL_MIB"
repl_secret
repl_up a sync $OLD && repl_up b sync $OLD && repl_vaiod_start &&
	vaio_peer 'vaioctl repl init d0 --secondary' >/dev/null &&
	vaioctl repl init d0 --primary --skip-initial-sync
ktap_check "pair in sync at $OLD MiB" vaioctl repl wait d0 --synced --timeout 30
ktap_check "fio verify over the $OLD MiB" fio_verify /dev/mapper/d0 --size=${OLD}m --randseed=171

out=$(reload a $REPL_MIB 2>&1)
ktap_eq "primary first: the grow is refused (exit)" "$?" 1
ktap_match "primary first: the reason" "$(dmesg | tail -n 20)" "grow the replica's disk first"
ktap_eq "primary first: still $OLD MiB" "$(blockdev --getsz /dev/mapper/d0)" $((OLD * 2048))
ktap_check "still in sync" vaioctl repl wait d0 --synced --timeout 30

# What the primary's disk holds past the old end (an LV grown over old
# data, say) becomes the disk's: the resync must carry it over.
dd if=/dev/urandom of="$REPL_DATA" bs=1M seek=$((OLD + 8)) count=8 oflag=direct 2>/dev/null
ktap_check "replica grown to $REPL_MIB MiB" reload b $REPL_MIB
ktap_check "reconnected" vaioctl repl wait d0 --synced --timeout 60
ktap_check "primary grown to $REPL_MIB MiB" reload a $REPL_MIB
ktap_eq "the device is $REPL_MIB MiB" "$(blockdev --getsz /dev/mapper/d0)" $((REPL_MIB * 2048))
ktap_check "the new area resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_eq "vaioctl repl status: the new size" "$(repl_json a sectors)" $((REPL_MIB * 2048))
ktap_check "resynced the new $((REPL_MIB - OLD)) MiB" \
	test "$(repl_json a resynced_bytes)" -ge $(((REPL_MIB - OLD) << 20))
ktap_check "both disks byte-identical after the resync" repl_checksum_both
ktap_check "fio verify over the grown area" \
	fio_verify /dev/mapper/d0 --offset=${OLD}m --size=$((REPL_MIB - OLD))m --randseed=172
ktap_check "both disks byte-identical" repl_checksum_both

reload a 32 >/dev/null 2>&1
ktap_eq "shrinking refused (exit)" "$?" 1
ktap_match "shrinking refused (reason)" "$(dmesg | tail -n 20)" "shrinking a replicated disk is not supported"
repl_teardown
ktap_finish
