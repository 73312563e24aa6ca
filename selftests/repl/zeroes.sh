#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="write-zeroes replicated to a secondary whose disk has no write-zeroes: zeroed there too, the connection kept; the secondary's buffers bounded by max_buffers_kib on a slow disk"
TOPOLOGY=2host
TIMEOUT=400
CHECK=full                 # make check's 30 minutes would not hold it (write-zeroes below replication; sync-fio and verify replicate in CI)
DEBUG_LANE=no	# scsi_debug (a disk with write-zeroes), which the debug kernel leaves out (trim.config: SCSI)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 18, defect 6. vaio-a's d0 is on scsi_debug (write-zeroes, a
# volatile cache), vaio-b's on brd (no write-zeroes): before, each
# WRITE_ZEROES failed on b and broke the connection. vaio-b's d0 is on
# "slowb", a dm-delay over its disk, made slow for defect 7.
A_DATA=/dev/sda
sum_a() { dev_sum "$A_DATA" "$REPL_MIB"; }
setup() {
	local t
	repl_disks "$REPL_MIB" "$REPL_MIB" && repl_secret || return 1
	modprobe sd_mod && modprobe scsi_debug dev_size_mb="$REPL_MIB" || return 1
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b $A_DATA ] && break; sleep 0.3; done
	t=$(repl_table a sync "$REPL_MIB" | sed "s#vaio $REPL_DATA #vaio $A_DATA #")
	echo "$t" | dmsetup create d0 && dmsetup mknodes d0 || return 1
	repl_slowb 0 create || return 1
	t=$(repl_table_slowb sync)
	vaio_peer "echo '$t' | dmsetup create d0 && dmsetup mknodes d0" &&
		repl_vaiod_start
	vaio_peer 'vaioctl repl init d0 --secondary' &&
		vaioctl repl init d0 --primary --skip-initial-sync &&
		vaioctl repl wait d0 --synced --timeout 30
}
# both_equal: a's disk and b's, byte for byte.
both_equal() {
	local a b
	vaioctl repl wait d0 --synced --timeout 60 >/dev/null || return 1
	a=$(sum_a)
	b=$(vaio_peer "$REPL_SUM_CMD")
	[ "$a" = "$b" ] && return 0
	echo "a $a b $b" >&2
	return 1
}
zeroed() { # OFFSET_MIB MIB: that range of b's disk reads as zeroes
	test "$(vaio_peer "dd if=$REPL_DATA bs=1M skip=$1 count=$2 iflag=direct 2>/dev/null | tr -d '\\000' | wc -c")" = 0
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sync pair set up, a on scsi_debug" setup
ktap_match "d0 offers write-zeroes" "$(dm_queue d0 write_zeroes_max_bytes)" '^[1-9]'
ktap_eq "b's disk does not" "$(vaio_peer 'cat /sys/block/ram0/queue/write_zeroes_max_bytes')" 0
ktap_check "16 MiB of random data written" \
	dd if=/dev/urandom of=/dev/mapper/d0 bs=1M count=16 oflag=direct
ktap_check "in sync" both_equal
for i in 1 2 3; do
	ktap_check "write-zeroes $i: 2 MiB at $((i * 4)) MiB (blkdiscard -z)" \
		/usr/sbin/blkdiscard -z -o $((i * 4 << 20)) -l $((2 << 20)) /dev/mapper/d0
done
for i in 1 2 3; do
	ktap_check "zeroed on b: range $i" zeroed $((i * 4)) 2
done
ktap_eq "the connection was kept (one connect)" "$(repl_json a connects)" 1
ktap_eq "no error on b" "$(repl_json b consistent)" true
ktap_check "both disks byte-identical" both_equal

# Defect 7: a secondary held up to 512 writes of 1 MiB (512 MiB pinned);
# now max_buffers_kib (DRBD's max-buffers). b's writes made slow so that
# received writes pile up; the same disk device, no resync.
ktap_check "b's table reloaded with max_buffers_kib=1024" vaio_peer \
	"echo '$(repl_table_slowb sync max_buffers_kib=1024)' |
		dmsetup load d0 && dmsetup suspend d0 && dmsetup resume d0"
ktap_check "b's disk writes in 20 ms" repl_slowb 20
ktap_check "fio verify, 1 MiB writes 16 deep" \
	fio_verify /dev/mapper/d0 --size=32m --bs=1m --iodepth=16 --randseed=64
bufmax=$(vaio_peer 'dmsetup status d0' | sed -n 's/.*buffers_max_kib \([0-9]*\).*/\1/p')
ktap_diag "b held at most ${bufmax:-?} KiB of received writes"
ktap_check "b's buffers filled (over half the bound)" test "${bufmax:-0}" -gt 512
ktap_check "never past max_buffers_kib" test "${bufmax:-9999999}" -le 1024
ktap_check "b's disk fast again" repl_slowb 0
ktap_eq "still one connect" "$(repl_json a connects)" 1
ktap_check "both disks byte-identical after" both_equal
repl_teardown
vaio_peer 'dmsetup remove slowb' >/dev/null 2>&1
ktap_finish
