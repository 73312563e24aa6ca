#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="256 disks on one cache pool (64 before version 3), each with a dirty block of its own: a 257th refused; every disk reads its own block, through the pool's recovery from its device too, and write-back puts each on its own disk below; a version 2 pool is made version 3 with its dirty blocks"
TIMEOUT=600
CHECK=full	# 256 disks, the pool's scale (120 s): make check-full; make check keeps two disks' dirty blocks apart (cache/pool-dirty) and was near its 30 minutes on 2026-12-07
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disks below: 257 slices of 256 KiB of one memory-backed null_blk
# (dm-linear, made in one dmsetup call each way: --concise); the pool:
# 8 MiB of brd (1784 blocks), ram0; ram1 for a crash image of it. Each disk i writes block i % 64 in
# write-back mode: 256 dirty blocks of 256 disks, none written back
# (dirty_high=90).
N=256
nullb_mem nb 65
brd_setup 8 2
modprobe dm-vaio-cache
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
slices() { # FIRST LAST: the slices, as --concise wants them
	local i sep=
	for i in $(seq "$1" "$2"); do
		printf '%ss%d,,,rw,0 512 linear /dev/nb %d' "$sep" "$i" $((i * 512))
		sep=';'
	done
}
disks() { # FIRST LAST [rev]: the cache disks, in that order (or LAST first)
	local i sep='' order="$1 $2"
	[ "${3:-}" = rev ] && order="$2 -1 $1"
	# shellcheck disable=SC2086 # seq's arguments
	for i in $(seq $order); do
		printf '%sv%d,,,rw,0 512 vaio /dev/mapper/s%d 11 disk_id d%d filter cache fail_closed 5 pool=fast mode=writeback dirty_high=90 dirty_low=80 sequential_kib=0' \
			"$sep" "$i" "$i" "$i"
		sep=';'
	done
}
# (No udev in the guest: dmsetup mknodes makes /dev/mapper/s*.)
make_slices() { dmsetup create --concise "$(slices 0 $N)" && dmsetup mknodes; }
make_disks() { dmsetup create --concise "$(disks "$@")" && dmsetup mknodes; }
ktap_check "$((N + 1)) slices of the disk below" make_slices
ktap_check "$N disks on the pool" make_disks 0 $((N - 1))
ktap_eq "the pool has $N disks" "$(pool_word disks)" $N
ktap_fails "a disk more is refused" make_disks $N $N
ktap_match "saying why" "$(dmesg | grep -o 'cache pool has no room for another disk' | tail -n1)" room
dmsetup remove "v$N" 2>/dev/null

remove() { # PREFIX FIRST LAST: dmsetup remove PREFIX<FIRST>...PREFIX<LAST>
	# shellcheck disable=SC2046 # the names
	dmsetup remove $(seq "$2" "$3" | sed "s/^/$1/")
}
# block I: the 4 KiB disk I writes (at block I % 64).
block() { yes "disk $1 of the pool" | head -c 4096; }
# (fsync: a flush, after which the write and its entry are durable.)
put() { block "$1" | dd of="/dev/mapper/v$1" bs=4k seek=$(($1 % 64)) oflag=direct conv=fsync 2>/dev/null; }
at() { # DEV I: the md5sum of DEV's block I % 64
	dd if="$1" bs=4k skip=$(($2 % 64)) count=1 iflag=direct 2>/dev/null | md5sum
}
ZERO=$(head -c 4096 /dev/zero | md5sum)
same() { [ "$(at "$1" "$2")" = "$(block "$2" | md5sum)" ]; }	# DEV I: DEV holds block I
over() { # LIST CMD: CMD I for every I of LIST; those for which it fails
	local i bad='' list="$1"
	shift
	for i in $list; do
		"$@" "$i" || bad="$bad $i"
	done
	echo "${bad:-none}"
}
each() { over "$(seq 0 $((N - 1)))" "$@"; }	# CMD: over every disk
vm_same() { same "/dev/mapper/v$1" "$1"; }
below_same() { same "/dev/mapper/s$1" "$1"; }
below_zero() { [ "$(at "/dev/mapper/s$1" "$1")" = "$ZERO" ]; }
ktap_eq "each disk writes a block of its own: failed" "$(each put)" none
ktap_eq "all $N dirty" "$(pool_word dirty)" $N
ktap_eq "each reads it back: wrong" "$(each vm_same)" none
ktap_eq "none written below yet: written" "$(each below_zero)" none

# The blocks of KEPT (places on both sides of version 2's 64, and the
# last ones) cannot be written back: their slices fail writes (the error
# target); the others are. A copy of the live pool device is a crash
# image: a pool made of it finds only dirty blocks, so only KEPT's places
# are in its disk table. The disks come back in reverse order, the others
# taking new places (freed ones, below 60 and from 68 on), each of KEPT
# its own, found by its disk_id.
KEPT="60 61 62 63 64 65 66 67 250 251 252 253 254 255"
kept() { case " $KEPT " in *" $1 "*) return 0 ;; esac; return 1; }
slice() { # I TABLE: slice I gets TABLE
	dmsetup load "s$1" --table "$2" && dmsetup resume "s$1"
}
reslice() { # TARGET: the KEPT slices become TARGET (error or linear)
	local i
	for i in $KEPT; do
		if [ "$1" = error ]; then
			slice "$i" "0 512 error" || return 1
		else
			slice "$i" "0 512 linear /dev/nb $((i * 512))" || return 1
		fi
	done
}
wb() { dmsetup message "v$1" 0 cache writeback; }
wb_other() { kept "$1" || wb "$1"; }
ktap_check "the kept disks' slices fail writes" reslice error
ktap_eq "the others written back: failed" "$(each wb_other)" none
ktap_eq "the kept disks' blocks stay dirty" "$(pool_word dirty)" 14
not_kept_below() { kept "$1" || below_same "$1"; }
ktap_eq "the others' blocks are below: wrong" "$(each not_kept_below)" none
crash_copy() {
	blockdev --flushbufs /dev/ram0 &&
		dd if=/dev/ram0 of=/dev/ram1 bs=1M oflag=direct 2>/dev/null
}
ktap_check "a copy of the live pool device (a crash)" crash_copy
ktap_check "the disks go" remove v 0 $((N - 1))
ktap_check "the pool goes" dm_remove fast
ktap_check "the slices take writes again" reslice linear
ktap_check "a pool of the copy" dm_create fast "0 8 vaio-cache-pool /dev/ram1"
ktap_eq "with the kept disks' dirty blocks" "$(pool_word dirty)" 14
ktap_check "the disks again, last first" make_disks 0 $((N - 1)) rev
ktap_eq "each reads its own block: wrong" "$(each vm_same)" none
kept_zero() { ! kept "$1" || below_zero "$1"; }
ktap_eq "the kept ones: nothing below yet" "$(each kept_zero)" none
ktap_eq "each written back: failed" "$(each wb)" none
ktap_eq "nothing dirty" "$(pool_word dirty)" 0
ktap_eq "each disk below holds its own block: wrong" "$(each below_same)" none
ktap_check "the disks go" remove v 0 $((N - 1))
ktap_check "the pool goes" dm_remove fast

# A version 2 pool (64 disks, a table of 8 KiB) is made version 3 when it
# starts: its dirty blocks come back, and what follows its 64 entries on
# the device (not the pool's) is not taken for entries. It is made here
# of a crash image (ram1) of a version 3 pool of four disks with a dirty
# block each: the superblock's version set to 2 and its crc32c made again.
KEPT="0 1 2 3"
zero() { dd if=/dev/zero of="/dev/mapper/s$1" bs=4k seek=$(($1 % 64)) count=1 oflag=direct 2>/dev/null; }
for i in $KEPT; do zero "$i"; done
# (ram0 still holds the pool from before the crash: wiped, not found.)
dd if=/dev/zero of=/dev/ram0 bs=1M count=1 oflag=direct 2>/dev/null
ktap_check "a new pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "four disks on it" make_disks 0 3
for i in $KEPT; do put "$i"; done
ktap_eq "four dirty blocks" "$(pool_word dirty)" 4
ktap_check "a copy of the live pool device (a crash)" crash_copy
ktap_check "their slices fail writes" reslice error
ktap_check "the disks go, keeping them" remove v 0 3
ktap_check "the pool goes" dm_remove fast
ktap_check "the slices take writes again" reslice linear
# Bytes after the 64 entries of version 2: 8 * 512 + 64 * 128 on.
blockdev --flushbufs /dev/ram1
head -c $((192 * 128)) /dev/urandom |
	dd of=/dev/ram1 bs=128 seek=$((8 * 4 + 64)) conv=notrunc,fsync 2>/dev/null
pool_fails() { # WHAT: the pool does not start on ram1, the kernel saying WHAT
	dmesg -c >/dev/null
	! echo "0 8 vaio-cache-pool /dev/ram1" | dmsetup create fast 2>/dev/null &&
		dmesg | grep -q "$1"
}
ktap_check "as version 3, entry 64 on fails its checksum" \
	pool_fails "fail their checksum (first: 64)"
dmsetup remove fast 2>/dev/null
# sb_version V: ram1's superblock (72 bytes) says version V, its crc32c
# (at 68, over the 72 with it zero) made again.
sb_version() {
	blockdev --flushbufs /dev/ram1
	dd if=/dev/ram1 of=/tmp/sb bs=72 count=1 2>/dev/null
	# shellcheck disable=SC2059 # the octal escape is the format
	printf "\\00$1\\000\\000\\000" | dd of=/tmp/sb bs=1 seek=8 conv=notrunc 2>/dev/null
	printf '\000\000\000\000' | dd of=/tmp/sb bs=1 seek=68 conv=notrunc 2>/dev/null
	vaio-crc32c -b </tmp/sb | dd of=/tmp/sb bs=1 seek=68 conv=notrunc 2>/dev/null
	dd if=/tmp/sb of=/dev/ram1 bs=72 count=1 conv=notrunc,fsync 2>/dev/null
}
sb_word() { blockdev --flushbufs /dev/ram1; od -An -tu4 -j8 -N4 /dev/ram1 | tr -d ' '; }
sb_version 2
ktap_eq "the superblock says version 2" "$(sb_word)" 2
dmesg -c >/dev/null
ktap_check "the pool starts" dm_create fast "0 8 vaio-cache-pool /dev/ram1"
ktap_match "made version 3" "$(dmesg | grep -o 'a version 2 pool on ram1: made version 3 (256 disks)')" made
ktap_eq "the superblock says version 3" "$(sb_word)" 3
ktap_eq "with the four dirty blocks" "$(pool_word dirty)" 4
ktap_check "the four disks again" make_disks 0 3
four() { over "$KEPT" "$@"; }	# CMD: over the four disks
ktap_eq "each reads its own block: wrong" "$(four vm_same)" none
ktap_eq "nothing below yet" "$(four below_zero)" none
ktap_eq "each written back: failed" "$(four wb)" none
ktap_eq "each disk below holds its own block: wrong" "$(four below_same)" none
ktap_check "the disks go" remove v 0 3
ktap_check "the pool goes" dm_remove fast
ktap_check "it starts again, version 3" dm_create fast "0 8 vaio-cache-pool /dev/ram1"
ktap_check "the slices go" remove s 0 $N
ktap_check "the pool goes" dm_remove fast
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING\|BUG')" 0
ktap_finish
