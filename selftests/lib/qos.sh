# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers of the qos filter's selftests, sourced after vaio.sh.

# qos_slices: a device of bounded capacity, null_blk "nb" limited to
# 2 MiB/s (512 reads of 4k a second: little enough for a guest its busy
# host runs half the time), memory-backed, which holds what it cannot
# serve yet: its latency grows with the bios in it (64 of them: 125 ms),
# with tags to spare, so that no submitter waits in the block layer. Two
# dm-linear slices of it, s0 and s1, each half of it; dm-vaio-qos loaded.
qos_slices() {
	local half
	nullb_mem nb 64 mbps=2
	half=$(($(dev_sectors /dev/nb) / 2))
	dm_create s0 "0 $half linear /dev/nb 0"
	dm_create s1 "0 $half linear /dev/nb $half"
	modprobe dm-vaio-qos
}
