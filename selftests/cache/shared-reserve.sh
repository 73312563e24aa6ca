#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="two disks share a pool: a reservation keeps one disk's hot set cached while the other thrashes the pool; without it the hot set is evicted"
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Pool: 1784 blocks. Disk a: a hot set of 2 MiB (512 blocks). Disk b: reads
# 8 MiB (2048 blocks) at random, more than the whole pool.
two_disks_pool
size=$(dev_sectors /dev/nba)
table() { # disk reserve
	echo "0 $size vaio /dev/nb$1 9 disk_id $1 filter cache fail_open 3 pool=fast reserve=$2 sequential_kib=0"
}
ktap_check "disk a, reserve=50" dm_create a "$(table a 50)"
ktap_check "disk b, no reservation" dm_create b "$(table b 0)"
ktap_eq "a reserves half the pool (892 blocks)" "$(vaio_filter_get a cache reserved)" 892
ktap_eq "the pool counts 2 disks, 50% reserved" \
	"$(dmsetup status fast | awk '{ print $15, $17 }')" "2 50"
ktap_fails "reservations over 100% are refused" dm_create c "$(table b 60)"

fill() {
	fio_verify /dev/mapper/"$1" --size="$2" --bs=4k --rw=randwrite \
		--randseed="$3" >/dev/null
}
ktap_check "data on a" fill a 64m 1
ktap_check "data on b" fill b 64m 2
ktap_check "a's cache emptied" dmsetup message a 0 cache invalidate
ktap_check "b's cache emptied" dmsetup message b 0 cache invalidate
# a's hot set: read three times, so it is cached and hit.
hot() {
	fio --name=hot --filename=/dev/mapper/a --direct=1 --rw=randread --bs=4k \
		--size=2m --loops=3 --randseed=7 --output=/dev/null
}
thrash() {
	fio --name=thrash --filename=/dev/mapper/b --direct=1 --rw=randread --bs=4k \
		--size=8m --ioengine=libaio --iodepth=8 --loops=15 \
		--randseed="$1" --output=/dev/null
}
ktap_check "a reads its hot set" hot
ktap_eq "a's hot set is cached" "$(vaio_filter_get a cache blocks)" 512
ktap_check "b thrashes the pool" thrash 11
ktap_match "b took the rest of the pool ($(vaio_filter_get b cache blocks) blocks)" \
	"$(vaio_filter_get b cache blocks)" '^1[0-9][0-9][0-9]$'
ktap_match "b evicted its own blocks ($(vaio_filter_get b cache demotions))" \
	"$(vaio_filter_get b cache demotions)" '^[1-9]'
ktap_eq "a's hot set is still cached" "$(vaio_filter_get a cache blocks)" 512
h=$(vaio_filter_get a cache read_hits) m=$(vaio_filter_get a cache read_misses)
ktap_check "a reads its hot set again" hot
ktap_eq "every read of a hit" \
	"$(($(vaio_filter_get a cache read_misses) - m)) $(($(vaio_filter_get a cache read_hits) - h))" \
	"0 1536"

# The same without the reservation: the thrash evicts a's hot set.
ktap_check "a's reservation dropped (table reload)" vaio_reload a "$(table a 0)"
ktap_eq "the cache of a stays warm across the reload" "$(vaio_filter_get a cache blocks)" 512
ktap_check "b thrashes again" thrash 12
ktap_check "and again" thrash 13
n=$(vaio_filter_get a cache blocks)
ktap_diag "$(vaio_filter_words a cache)" "$(vaio_filter_words b cache)" "$(dmsetup status fast)"
ktap_match "without the reservation a lost most of its hot set ($n of 512 left)" \
	"$n" '^([0-9]|[0-9][0-9]|[0-2][0-9][0-9])$'
ktap_check "a: fio verify" fio_verify /dev/mapper/a --size=16m --bs=4k --rw=randwrite --randseed=21
ktap_check "b: fio verify" fio_verify /dev/mapper/b --size=16m --bs=4k --rw=randwrite --randseed=22
dmsetup remove a
dmsetup remove b
ktap_eq "both gone: no disk on the pool" "$(dmsetup status fast | awk '{ print $15 }')" 0
ktap_match "their blocks stay for their return" "$(dmsetup status fast | awk '{ print $9 }')" '^[1-9]'
dmsetup remove fast
ktap_finish
