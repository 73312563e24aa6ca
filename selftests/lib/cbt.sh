# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for the cbt (changed-block tracking) selftests, sourced after
# vaio.sh.

# cbt_table DATA META [ARGS...]: a vaio table over DATA, disk_id d0, with
# a cbt filter ($CBT_FAIL, default fail_closed) on META and ARGS (block_kib=, format=1).
cbt_table() {
	local data="$1" meta="$2"
	shift 2
	echo "0 $(dev_sectors "$data") vaio $data $((7 + $#)) disk_id d0 filter cbt ${CBT_FAIL:-fail_closed} $((1 + $#)) meta=$meta $*"
}

# cbt_word DEV KEY: a word of the cbt filter's status.
cbt_word() { vaio_filter_get "$1" cbt "$2"; }

# cbt_start DISK: the changeId of the start of the disk's generation.
cbt_start() { vaioctl cbt status "$1" -j | jq -r .start; }

# cbt_changes DISK ID: the extents since ID, "start length" a line.
cbt_changes() { vaioctl cbt changes "$1" --since "$2"; }

# cbt_wr DEV OFFSET_KIB KIB: writes KIB KiB of random data at OFFSET_KIB.
cbt_wr() {
	dd if=/dev/urandom of="$1" bs=1k seek="$2" count="$3" oflag=direct \
		conv=notrunc 2>/dev/null
}
