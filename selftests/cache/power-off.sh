#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache filter in writeback: power cut mid-write; after reboot the pool finds its dirty blocks, every acknowledged write reads back, and after write-back the disk below alone has them all; writes without FUA then a flush: back after a second cut, those after the flush not (no lazy commit in the test's hour)"
TOPOLOGY=2host
TIMEOUT=600
# On vaio-b, disks the host keeps across its power cut (new, zeroed, for
# each run): the disk below, the cache device, the writer's log.
VDISKS="64 16 8"
DATA=/dev/vdisk0
CACHE=/dev/vdisk1
LOG=/dev/vdisk2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

SEED=$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')
CUT=$(awk -v s="$SEED" 'BEGIN { srand(s); print 4 + int(rand() * 5) }')
TABLE="0 $((64 * 2048)) vaio $DATA 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=60 dirty_low=50"

# b_up: the pool on the cache device (found again after a reboot) and d0.
# commit_ms: a write-back write without FUA gets a durable entry only
# from a flush (or FUA) in this test, not from a lazy commit a second later.
b_up() {
	vaio_peer "modprobe dm-vaio-cache &&
		echo '0 8 vaio-cache-pool $CACHE commit_ms=3600000 format' | dmsetup create fast &&
		dmsetup mknodes fast &&
		echo '$TABLE' | dmsetup create d0 && dmsetup mknodes d0"
}
b_word() {
	vaio_peer "dmsetup status $1" | awk -v k="$2" '{ for (i = 4; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_diag "seed $SEED, power cut after $CUT s"
ktap_check "pool and disk in writeback mode" b_up
ktap_check "the writer writes (FUA), its log on a kept disk" vaio_peer \
	"setsid vaio-ackwriter write --dev /dev/mapper/d0 --log $LOG --seed $SEED \
	--threads 4 --seconds 300 --fua >/tmp/writer.out 2>&1 </dev/null &"
sleep "$CUT"
d=$(b_word d0 dirty)
ktap_match "blocks are dirty before the cut ($d)" "$d" '^[1-9]'
ktap_check "power cut of vaio-b mid-write" repl_reset_b

ktap_check "pool and disk again after the reboot" b_up
d=$(b_word fast dirty)
ktap_match "the pool found dirty blocks ($d)" "$d" '^[1-9]'
# The checks run on vaio-b, where the log and the disks are.
check() { vaio_peer "vaio-ackwriter check --log $LOG --dev $*"; }
ktap_diag "$(check /dev/mapper/d0 --complete --prefix 2>&1 | tail -n1)"
ktap_check "every acknowledged write reads back through the cache" \
	check /dev/mapper/d0 --complete --prefix
ktap_eq "the disk below alone lacks some (the check can fail)" \
	"$(check $DATA --complete >/dev/null 2>&1; echo $?)" 1
ktap_check "write back everything" vaio_peer "dmsetup message d0 0 cache writeback"
ktap_eq "nothing dirty" "$(b_word d0 dirty)" 0
ktap_check "the disk below alone has every acknowledged write" \
	check $DATA --complete --prefix
sum() { vaio_peer "dd if=$1 bs=1M iflag=direct 2>/dev/null | md5sum"; }
ktap_eq "and equals what the VM reads" "$(sum $DATA)" "$(sum /dev/mapper/d0)"

# Writes without FUA: acknowledged once their data is on the cache device
# (the disk offers a volatile cache); a flush makes them durable, their
# entries too. 1 MiB at 56 MiB in 4 KiB writes, then fsync (a flush);
# then 1 MiB at 60 MiB, no flush; a power cut.
A=$((56 * 256)) B=$((60 * 256))
region() { # DEV FIRST-BLOCK: md5 of its 1 MiB there
	vaio_peer "dd if=$1 bs=4k skip=$2 count=256 iflag=direct 2>/dev/null | md5sum"
}
ktap_check "1 MiB of 4 KiB writes without FUA, then fsync" vaio_peer \
	"dd if=/dev/urandom of=/tmp/a bs=1M count=1 2>/dev/null &&
	dd if=/tmp/a of=/dev/mapper/d0 bs=4k seek=$A oflag=direct conv=notrunc,fsync 2>/dev/null"
ktap_check "1 MiB more, no flush" vaio_peer \
	"dd if=/dev/urandom of=/dev/mapper/d0 bs=4k seek=$B count=256 oflag=direct conv=notrunc 2>/dev/null"
sum_a=$(vaio_peer "md5sum </tmp/a")
below_b=$(region $DATA $B)
ktap_eq "512 blocks dirty" "$(b_word d0 dirty)" 512
ktap_check "power cut of vaio-b" repl_reset_b
ktap_check "pool and disk again after the reboot" b_up
ktap_eq "the pool found the 256 blocks written before the flush dirty" \
	"$(b_word fast dirty)" 256
ktap_eq "they read back" "$(region /dev/mapper/d0 $A)" "$sum_a"
ktap_eq "the disk below lacks them (the check can fail)" \
	"$(test "$(region $DATA $A)" = "$sum_a"; echo $?)" 1
ktap_eq "the writes after the flush were not durable: the old data" \
	"$(region /dev/mapper/d0 $B)" "$below_b"
ktap_check "disk and pool removed" vaio_peer "dmsetup remove d0 && dmsetup remove fast"
ktap_finish
