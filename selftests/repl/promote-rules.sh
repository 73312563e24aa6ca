#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="promote needs data that is up to date: refused without --force on a new disk, a disk that discarded its data and one whose state was in memory only; repl init makes a new pair and is refused on a pair's disk"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 18, defect 3. One guest: no peer is needed to decide a role.
# up [none]: d0 on the data disk, with the metadata device unless "none".
up() {
	local t
	t=$(repl_table a sync "$REPL_MIB")
	[ "$1" = none ] &&
		t="0 $((REPL_MIB * 2048)) vaio $REPL_DATA 8 disk_id d0 filter replication fail_open 2 mode=sync peer=$REPL_PEER_B:7790"
	echo "$t" | dmsetup create d0 && dmsetup mknodes d0
}
# refused DESC CMD...: CMD fails and says why (the kernel's message).
refused() {
	local d="$1" out
	shift
	if out=$("$@" 2>&1); then
		ktap_diag "$* succeeded: $out"
		ktap_fail "$d"
		return
	fi
	ktap_match "$d" "$out" "$REFUSED"
}
st() { vaioctl -j repl status d0 | jq -r ".[0] | $1"; }

ktap_check "disks" sh -c "modprobe brd rd_nr=2 rd_size=$((REPL_MIB * 1024)) && modprobe dm-vaio-replication"

# A new disk: a replica of nothing.
ktap_check "d0 on a new disk and new metadata" up
ktap_eq "a new disk has no generation" "$(st .gen)" 0000000000000000
ktap_eq "a new disk is not consistent" "$(st .consistent)" false
REFUSED="never synced"
refused "promote of a new disk refused" vaioctl repl promote d0
ktap_eq "still secondary" "$(st .role)" secondary
ktap_check "init --primary makes a new pair" vaioctl repl init d0 --primary
ktap_eq "primary, consistent" "$(st '"\(.role) \(.consistent)"')" "primary true"
g=$(st .gen)
ktap_check "it has a generation" test "$g" != 0000000000000000
REFUSED="holds a pair's data: demote it, not init"
refused "init --secondary of a pair's primary refused" vaioctl repl init d0 --secondary
ktap_check "init --primary again is no change" vaioctl repl init d0 --primary
ktap_eq "the same generation" "$(st .gen)" "$g"

# A VM (here a reader) still has the device open: the kernel refuses the
# demote (a secondary fails the VM's writes), whatever client asks.
# shellcheck disable=SC2217 # it reads nothing: the redirection holds the device open
sleep 300 </dev/mapper/d0 &
holder=$!
REFUSED="the device is open: stop its users"
refused "demote while the device is open refused" vaioctl repl demote d0
ktap_eq "still primary" "$(st .role)" primary
kill $holder
wait $holder 2>/dev/null

# A planned demote and promote of a pair's disk (no peer, nothing to wait for).
ktap_check "demote" vaioctl repl demote d0
REFUSED="holds a pair's data: promote it, not init"
refused "init --primary of a pair's secondary refused" vaioctl repl init d0 --primary
ktap_check "promote of a consistent secondary of the pair" vaioctl repl promote d0
ktap_eq "a new generation" "$(st '.history[0]')" "$g"

# Data discarded (demote --force): promote refused, init accepted.
ktap_check "demote --force (discard the data)" vaioctl repl demote d0 --force
ktap_eq "no generation" "$(st .gen)" 0000000000000000
REFUSED="never synced"
refused "promote after the discard refused" vaioctl repl promote d0
REFUSED="was in a pair"
refused "init --primary after the discard refused (a forced promote)" \
	vaioctl repl init d0 --primary
ktap_check "promote --force takes the data as it is" vaioctl repl promote d0 --force
ktap_eq "primary" "$(st .role)" primary
ktap_check "d0 removed" dmsetup remove d0

# The state kept in the metadata: made again, d0 is the same primary.
ktap_check "d0 made again from its metadata" up
ktap_eq "the primary came back" "$(st .role)" primary
ktap_check "d0 removed" dmsetup remove d0

# Without meta=: the state was in memory only, a reboot (here a new
# device) forgets it.
ktap_check "d0 without meta=" up none
ktap_check "init --secondary" vaioctl repl init d0 --secondary
ktap_check "removed and made again (a reboot)" sh -c 'dmsetup remove d0'
ktap_check "d0 without meta= again" up none
REFUSED="never synced"
refused "promote of a disk that forgot its state refused" vaioctl repl promote d0
dmsetup remove d0
ktap_finish
