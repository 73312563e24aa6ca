#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl cache pool create/list/show/remove, policies with a cache component, stats --sort cache_hits, apply after a reboot brings the pool back first, a pool on two devices, its blocks at their places when taken again with another block size than 4 KiB, a memory tier, bad input refused"
TIMEOUT=500
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

vaioctl_setup
# ram0 and ram3: pools; ram1, ram2: disks; ram4: small devices; ram5:
# the memory tier's pool.
brd_setup 32 6
modprobe dm-vaio-cache

ktap_check "pool create" vaioctl cache pool create fast /dev/ram0
ktap_eq "pool list" "$(vaioctl cache pool list | awk 'NR > 1 { print $1, $3, $4, $6, $7, $9, $10 }')" \
	"fast 7904 0 - 0 ok /dev/ram0"
ktap_eq "pool list -j" "$(vaioctl -j cache pool list | jq -r '.[] | "\(.pool) \(.device) \(.blocks) \(.recorded)"')" \
	"fast /dev/ram0 7904 true"
ktap_eq "pool show -j" "$(vaioctl -j cache pool show fast | jq -r '"\(.state) \(.free) \(.devt) \(.dirty)"')" "ok 7904 1:0 0"
ktap_eq "pool show -j: one device, no memory tier" \
	"$(vaioctl -j cache pool show fast | jq -c '[.devices, .memory_mib, .memory_blocks, .memory_used]')" \
	'[["/dev/ram0"],0,0,0]'
ktap_check "pool show" sh -c "vaioctl cache pool show fast | grep -q 'blocks 7904 of 4 KiB'"
# 7904 slots of 20 bytes, 4096 hash buckets of 4, a ghost filter of 4
# KiB, 32 entry pages' marks and generations: 178824 bytes.
ktap_eq "pool show -j: the index's RAM (KiB)" "$(vaioctl -j cache pool show fast | jq .index_kib)" 175
ktap_check "pool show: the index's RAM" sh -c "vaioctl cache pool show fast | grep -q 'index 175 KiB of RAM'"
ktap_eq "one device: no linear device" "$(dmsetup ls | grep -c -- -tier)" 0
ktap_eq "... and the record as before, with the pool's uuid" \
	"$(jq -c 'del(.uuid)' "$VAIO_CONFDIR/pools/fast.json")" '{"pool":"fast","device":"/dev/ram0"}'
ktap_eq "the record's uuid is the pool's" "$(jq -r .uuid "$VAIO_CONFDIR/pools/fast.json")" \
	"$(vaioctl -j cache pool show fast | jq -r .uuid)"

vaioctl_bad "a pool twice" "pool fast exists" vaioctl cache pool create fast /dev/ram0
vaioctl_bad "a bad pool name" "pool name 'a b' is invalid" vaioctl cache pool create "a b" /dev/ram1
vaioctl_bad "a relative device" "give an absolute path" vaioctl cache pool create p2 ram1
vaioctl_bad "a missing device" "/dev/nosuch: No such file" vaioctl cache pool create p2 /dev/nosuch
vaioctl_bad "a device in use (the first pool's)" "in use" vaioctl cache pool create p2 /dev/ram0
vaioctl_bad "a device named twice" "device /dev/ram3: named twice" \
	vaioctl cache pool create p2 /dev/ram3 /dev/ram3
vaioctl_bad "a missing second device" "device /dev/nosuch: No such file" \
	vaioctl cache pool create p2 /dev/ram3 /dev/nosuch
vaioctl_bad "a second device in use" "device /dev/ram0: in use" \
	vaioctl cache pool create p2 /dev/ram3 /dev/ram0
# Two devices of 512 KiB: the linear device is made, the kernel refuses
# a pool of 1 MiB, the linear device goes again.
dm_create tiny1 "0 1024 linear /dev/ram4 0"
dm_create tiny2 "0 1024 linear /dev/ram4 1024"
vaioctl_bad "two devices too small for a pool" "pool p2: the kernel refused it" \
	vaioctl cache pool create p2 /dev/mapper/tiny1 /dev/mapper/tiny2
ktap_eq "... leave no linear device" "$(dmsetup ls | grep -c -- -tier)" 0
dm_remove tiny1 tiny2
vaioctl_bad "--memory 0" "'0': the memory tier needs at least 1 MiB" \
	vaioctl cache pool create p2 /dev/ram3 --memory 0
vaioctl_bad "--memory 1.5M" "'1.5M': give a whole number of MiB" \
	vaioctl cache pool create p2 /dev/ram3 --memory 1.5M
vaioctl_bad "--memory 3K" "'3K': not a whole number of MiB" \
	vaioctl cache pool create p2 /dev/ram3 --memory 3K
vaioctl_bad "--memory abc" "'abc': give a whole number of MiB" \
	vaioctl cache pool create p2 /dev/ram3 --memory abc
ktap_eq "... a usage error (exit 2)" \
	"$(vaioctl cache pool create p2 /dev/ram3 --memory abc >/dev/null 2>&1; echo $?)" 2
ktap_eq "nothing left of p2" "$(dmsetup ls | grep -c p2)" 0
vaioctl_bad "remove a pool that is not there" "pool nosuch does not exist" \
	vaioctl cache pool remove nosuch
ktap_eq "an unknown command says so" \
	"$(vaioctl cache pool frob 2>&1 >/dev/null | head -n1)" \
	"vaioctl: unknown command 'cache pool frob'"
ktap_eq "... and is a usage error (exit 2)" \
	"$(vaioctl cache pool frob >/dev/null 2>&1; echo $?)" 2

ktap_check "policy with a cache component" \
	vaioctl policy create fastwt cache:pool=fast,mode=writethrough
vaioctl_bad "a cache component with a bad mode" "not one of the choices" \
	vaioctl policy create bad cache:pool=fast,mode=fastest
ktap_check "policy on a pool that does not exist (checked at assign)" \
	vaioctl policy create ghost cache:pool=nosuch
ktap_check "disk vm1 with the cache" vaioctl disk create vm1 /dev/ram1 --policy fastwt
ktap_check "disk vm2 without" vaioctl disk create vm2 /dev/ram2
vaioctl_bad "assigning a policy on a missing pool" "cannot open cache pool device" \
	vaioctl policy assign ghost vm2
ktap_eq "the pool counts the disk" "$(vaioctl -j cache pool show fast | jq .disks)" 1
vaioctl_bad "a pool in use cannot go" "in use by 1 disk" vaioctl cache pool remove fast

ktap_check "I/O on vm1" fio_verify /dev/mapper/vm1 --size=16m --bs=4k \
	--random_distribution=zipf:1.2 --randseed=1
ktap_check "and on vm2" fio_verify /dev/mapper/vm2 --size=16m --bs=4k --randseed=2
ktap_eq "stats --sort cache_hits: vm1 first" \
	"$(vaioctl -j stats --top 1 --sort cache_hits | jq -r '.[0].disk')" vm1
ktap_match "vm1's cache counters in stats" \
	"$(vaioctl -j stats vm1 | jq '.[0].filters[] | select(.type == "cache") | .status.read_hits')" '^[1-9]'

# Write-back by policy: dirty blocks show in stats and in the pool;
# switched back to writethrough, vm1 writes them all back.
wb_dirty() { vaioctl -j stats vm1 | jq '.[0].filters[] | select(.type == "cache") | .status.dirty'; }
ktap_check "policy in writeback mode" vaioctl policy create fastwb \
	cache:pool=fast,mode=writeback,fail=closed,dirty_high=90,dirty_low=80
ktap_check "vm1 switched to it, live" vaioctl policy assign fastwb vm1
ktap_check "writes on vm1" fio_verify /dev/mapper/vm1 --size=16m --bs=4k --randseed=3
ktap_match "stats show dirty blocks ($(wb_dirty))" "$(wb_dirty)" '^[1-9]'
ktap_eq "the pool shows them" "$(vaioctl -j cache pool show fast | jq .dirty)" "$(wb_dirty)"
ktap_check "a policy with dirty_low over dirty_high" vaioctl policy create wbbad \
	cache:pool=fast,mode=writeback,fail=closed,dirty_high=10,dirty_low=50
vaioctl_bad "... is refused at assign" "dirty_low must be below dirty_high" \
	vaioctl policy assign wbbad vm2
ktap_check "vm1 back to writethrough" sh -c "vaioctl policy assign fastwt vm1 2>/tmp/assign.err"
ktap_match "vaioctl wrote back first, saying so" "$(head -n1 /tmp/assign.err)" \
	'^vm1: writing back the cache: [0-9]+ dirty blocks \([0-9]+ KiB\) left$'
ktap_eq "... to the end" "$(tail -n1 /tmp/assign.err)" "vm1: the cache is written back"
ktap_eq "its dirty blocks were written back" "$(wb_dirty)" 0
ktap_check "vm1 reads what was written" \
	fio_verify /dev/mapper/vm1 --size=16m --bs=4k --randseed=3 --verify_only

# A reboot: every device and the module go; apply brings the pool back
# before the disk on it, warm or not, with the data intact.
sum=$(md5sum </dev/ram1)
dmsetup remove vm1
dmsetup remove vm2
dmsetup remove fast
rmmod dm-vaio-cache
ktap_eq "apply: the pool first, then the disks" "$(vaioctl apply)" \
	"pool fast: created
vm1: created
vm2: created"
ktap_eq "vm1's data" "$(md5sum </dev/mapper/vm1)" "$sum"
ktap_eq "vm1 caches on the pool again" "$(vaioctl -j cache pool show fast | jq .disks)" 1
ktap_eq "apply again: nothing to do" "$(vaioctl -j apply | jq -r '[.[].result] | join(" ")')" \
	"unchanged unchanged unchanged"

ktap_check "unassign the cache" vaioctl policy unassign vm1
ktap_check "pool remove" vaioctl cache pool remove fast
ktap_eq "no pool left" "$(vaioctl -j cache pool list | jq length)" 0

# A pool on two devices: a linear device fast-tier joins them in the order
# given, the pool sits on it.
# ram0 holds the first pool's superblock, for 32 MiB: start afresh.
dd if=/dev/zero of=/dev/ram0 bs=1M count=1 2>/dev/null
ktap_check "pool create on two devices" vaioctl cache pool create fast /dev/ram0 /dev/ram3
ktap_eq "fast-tier: ram0, then ram3" "$(dmsetup table fast-tier)" \
	"0 65536 linear 1:0 0
65536 65536 linear 1:3 0"
ktap_eq "fast-tier is both devices" "$(dev_sectors /dev/mapper/fast-tier)" \
	$(($(dev_sectors /dev/ram0) + $(dev_sectors /dev/ram3)))
tier=$(dmsetup info -c --noheadings -o major,minor --separator : fast-tier | tr -d ' ')
ktap_eq "the pool sits on fast-tier ($tier)" "$(dmsetup table fast | awk '{ print $4 }')" "$tier"
ktap_eq "pool show -j: device, devices, devt" \
	"$(vaioctl -j cache pool show fast | jq -c '[.device, .devices, .devt]')" \
	"[\"/dev/mapper/fast-tier\",[\"/dev/ram0\",\"/dev/ram3\"],\"$tier\"]"
ktap_eq "pool list: DEVICES" "$(vaioctl cache pool list | awk '$1 == "fast" { print $NF }')" \
	/dev/ram0,/dev/ram3
ktap_check "pool show: linear over both" \
	sh -c "vaioctl cache pool show fast | grep -q 'fast-tier ($tier), linear over /dev/ram0 /dev/ram3'"
ktap_eq "the record: both, in order" "$(jq -c 'del(.uuid)' "$VAIO_CONFDIR/pools/fast.json")" \
	'{"pool":"fast","devices":["/dev/ram0","/dev/ram3"]}'
# What the kernel makes of one device of the summed size, 64 MiB.
nullb_mem nb64 64
dm_create ref "0 8 vaio-cache-pool /dev/nb64 format"
ref=$(pool_word blocks ref)
dm_remove ref
ktap_eq "as many blocks as one 64 MiB device ($ref)" \
	"$(vaioctl -j cache pool show fast | jq .blocks)" "$ref"
ktap_check "vm2 caches on it" vaioctl policy assign fastwt vm2
# 32768k, not 32m: fio_verify shrinks sizes in MiB under the debug kernel,
# and fewer blocks would all fit on ram0.
ktap_check "fio verify through vm2" fio_verify /dev/mapper/vm2 --size=32768k --bs=4k --randseed=4
ktap_check "... again, from the cache" \
	fio_verify /dev/mapper/vm2 --size=32768k --bs=4k --randseed=4 --verify_only
# ram3 had nothing written on it before: the pool's metadata is on ram0.
ktap_match "cache blocks on ram3 ($(vaioctl -j cache pool show fast | jq .used) used)" \
	"$(tr -d '\000' </dev/ram3 | wc -c)" '^[1-9]'
vaioctl_bad "remove while vm2 uses it" "in use by 1 disk" vaioctl cache pool remove fast

# A reboot: apply makes fast-tier again, in the same order, then the pool,
# which finds its blocks.
sum=$(md5sum </dev/mapper/vm2)
dmsetup remove vm1
dmsetup remove vm2
dmsetup remove fast
dmsetup remove fast-tier
rmmod dm-vaio-cache
ktap_eq "apply: the pool on two devices first" "$(vaioctl apply)" \
	"pool fast: created
vm1: created
vm2: created"
ktap_eq "fast-tier is back, in order" "$(dmsetup table fast-tier | awk '{ print $4 }' | tr '\n' ' ')" \
	"1:0 1:3 "
ktap_eq "vm2's data" "$(md5sum </dev/mapper/vm2)" "$sum"
ktap_match "the pool found its blocks" "$(vaioctl -j cache pool show fast | jq .used)" '^[1-9]'
ktap_eq "vm2 caches on it" "$(vaioctl -j cache pool show fast | jq .disks)" 1
ktap_check "unassign the cache" vaioctl policy unassign vm2
ktap_check "pool remove" vaioctl cache pool remove fast
ktap_eq "the pool and fast-tier are gone" "$(dmsetup ls | grep -c fast)" 0
ktap_eq "... and the record" "$(vaioctl -j cache pool list | jq length)" 0

# A member missing at apply: the pool fails naming it, nothing is made.
dd if=/dev/zero of=/dev/ram4 bs=1M count=1 2>/dev/null
dm_create m1 "0 32768 linear /dev/ram4 0"
dm_create m2 "0 32768 linear /dev/ram4 32768"
ktap_check "pool on two dm devices" vaioctl cache pool create gone /dev/mapper/m1 /dev/mapper/m2
dmsetup remove gone
dmsetup remove gone-tier
dm_remove m2
ktap_match "apply without m2 names it" "$(vaioctl apply 2>&1 >/dev/null)" \
	'^vaioctl: pool gone: device /dev/mapper/m2: No such '
ktap_eq "... leaves no gone-tier" "$(dmsetup ls | grep -c gone)" 0
ktap_check "remove its record" vaioctl cache pool remove gone
dm_remove m1

# Identity (issue 19 item 2): a pool's uuid is in its superblock and its
# record. apply makes the pool recorded or none, and formats nothing; a
# device holding something else is not made a pool without --force.
dd if=/dev/zero of=/dev/ram4 bs=1M count=32 2>/dev/null
dm_create h1 "0 20480 linear /dev/ram4 0"
dm_create h2 "0 20480 linear /dev/ram4 20480"
dm_create h3 "0 20480 linear /dev/ram4 40960"
ktap_check "pool p1 on h1" vaioctl cache pool create p1 /dev/mapper/h1
ktap_check "pool p2 on h2" vaioctl cache pool create p2 /dev/mapper/h2
u1=$(jq -r .uuid "$VAIO_CONFDIR/pools/p1.json")
ktap_match "p1's record has a uuid ($u1)" "$u1" '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
ktap_eq "p1 says the same" "$(vaioctl -j cache pool show p1 | jq -r .uuid)" "$u1"
ktap_check "p2's is another" test "$(jq -r .uuid "$VAIO_CONFDIR/pools/p2.json")" != "$u1"
dmsetup remove p1
dmsetup remove p2
# A reboot that renumbered the devices: each record names the other's.
for p in p1 p2; do cp "$VAIO_CONFDIR/pools/$p.json" /tmp/$p.json; done
jq '.device = "/dev/mapper/h2"' /tmp/p1.json >"$VAIO_CONFDIR/pools/p1.json"
jq '.device = "/dev/mapper/h1"' /tmp/p2.json >"$VAIO_CONFDIR/pools/p2.json"
sum=$(md5sum </dev/ram4)
dmesg -c >/dev/null
vaioctl apply >/tmp/apply.out 2>&1
ktap_match "apply refuses p1 on p2's device" "$(cat /tmp/apply.out)" 'pool p1: the kernel refused it'
ktap_match "... and p2 on p1's" "$(cat /tmp/apply.out)" 'pool p2: the kernel refused it'
ktap_eq "the kernel says why" "$(dmesg -c | grep -c 'holds another cache pool')" 2
ktap_eq "... making neither" "$(dmsetup ls | grep -c -e '^p1' -e '^p2')" 0
ktap_eq "... writing nothing" "$(md5sum </dev/ram4)" "$sum"
# A device without a pool (zeros) is not formatted by apply.
jq '.device = "/dev/mapper/h3"' /tmp/p1.json >"$VAIO_CONFDIR/pools/p1.json"
sum=$(md5sum </dev/ram4)
vaioctl apply >/tmp/apply.out 2>&1
ktap_match "apply refuses p1 on a device without a pool" "$(cat /tmp/apply.out)" \
	'pool p1: the kernel refused it'
ktap_match "the kernel says why" "$(dmesg -c | grep -o 'holds no cache pool' | head -n1)" 'no cache pool'
ktap_eq "... writing nothing" "$(md5sum </dev/ram4)" "$sum"
cp /tmp/p1.json /tmp/p2.json "$VAIO_CONFDIR/pools/"
ktap_eq "with their own records both come back" \
	"$(vaioctl -j apply | jq -r '[.[] | select(.pool == "p1" or .pool == "p2") | .result] | join(" ")')" \
	"created created"
ktap_eq "the same pools" "$(vaioctl -j cache pool show p1 | jq -r .uuid) $(vaioctl -j cache pool show p2 | jq -r .uuid)" \
	"$u1 $(jq -r .uuid /tmp/p2.json)"
ktap_check "pool remove p1" vaioctl cache pool remove p1
ktap_check "pool remove p2" vaioctl cache pool remove p2
# create on a device that holds a pool: the kernel refuses a new pool
# there; --uuid takes the one there, --force makes a new one.
vaioctl_bad "create over p1's pool" "holds a vaio cache pool" vaioctl cache pool create p3 /dev/mapper/h1
ktap_check "create --uuid: p1's pool, as p3" vaioctl cache pool create p3 /dev/mapper/h1 --uuid "$u1"
ktap_eq "p3 is p1's pool" "$(vaioctl -j cache pool show p3 | jq -r .uuid)" "$u1"
ktap_check "pool remove p3" vaioctl cache pool remove p3
ktap_check "create --force: a new pool" vaioctl cache pool create p3 /dev/mapper/h1 --force
u3=$(jq -r .uuid "$VAIO_CONFDIR/pools/p3.json")
ktap_check "its uuid is new" test "$u3" != "$u1"
# A record from before uuids gets the pool's at apply.
dmsetup remove p3
jq -c 'del(.uuid)' "$VAIO_CONFDIR/pools/p3.json" >/tmp/p3.json
cp /tmp/p3.json "$VAIO_CONFDIR/pools/p3.json"
ktap_eq "an old record: apply makes the pool" "$(vaioctl -j apply | jq -r '.[] | select(.pool == "p3") | .result')" created
ktap_eq "... and records its uuid" "$(jq -r .uuid "$VAIO_CONFDIR/pools/p3.json")" "$u3"
ktap_check "pool remove p3" vaioctl cache pool remove p3
# Something else on the device: refused, unless --force.
mkswap /dev/mapper/h2 >/dev/null 2>&1
vaioctl_bad "a device holding swap" "holds swap" vaioctl cache pool create sw /dev/mapper/h2
ktap_eq "... and no record" "$(vaioctl -j cache pool list | jq '[.[] | select(.pool == "sw")] | length')" 0
ktap_check "--force makes it one" vaioctl cache pool create sw /dev/mapper/h2 --force
ktap_check "pool remove sw" vaioctl cache pool remove sw
dm_remove h1 h2 h3

# Two devices, 32 KiB blocks: each member is cut to whole blocks, so m2
# starts at a block. Taken again with --uuid and no --block-size, or by
# apply from a record without "block_size", the tier is made with the
# size in the pool's superblock: with 4 KiB rounding m2 would start 4 KiB
# further, the kernel would take the pool (its metadata is on m1; m2 is
# whole blocks, so the tier has as many blocks either way), and every
# block on m2 would be read at the wrong place.
dd if=/dev/zero of=/dev/ram4 bs=1M count=32 2>/dev/null
dm_create m1 "0 32776 linear /dev/ram4 0"
dm_create m2 "0 32704 linear /dev/ram4 32776"
ktap_check "a pool of 32 KiB blocks on m1 (16 MiB + 4 KiB) and m2" \
	vaioctl cache pool create b32 /dev/mapper/m1 /dev/mapper/m2 --block-size 32K
t=$(dmsetup table b32-tier)
ktap_eq "b32-tier: m1 and m2 in whole blocks" "$(printf '%s\n' "$t" | awk '{ print $1, $2 }')" \
	"0 32768
32768 32704"
u=$(vaioctl -j cache pool show b32 | jq -r .uuid)
rd32() {
	fio --name=rd --filename=/dev/mapper/vm2 --ioengine=libaio --direct=1 \
		--rw=randread --bs=32k --iodepth=8 --size=32m --output=/dev/null
}
b32_hits() { vaioctl -j stats vm2 | jq '.[0].filters[] | select(.type == "cache") | .status.read_hits'; }
ktap_check "policy on b32" vaioctl policy create b32wt cache:pool=b32,mode=writethrough
ktap_check "vm2 caches on it" vaioctl policy assign b32wt vm2
ktap_check "all of vm2 read in random order" rd32
ktap_check "... twice" rd32
ktap_match "blocks cached on m2" "$(tr -d '\000' </dev/mapper/m2 | wc -c)" '^[1-9]'
sum=$(md5sum </dev/ram2)
dmsetup remove vm2
ktap_check "pool remove b32" vaioctl cache pool remove b32
ktap_check "create --uuid, no --block-size: the pool again" \
	vaioctl cache pool create b32 /dev/mapper/m1 /dev/mapper/m2 --uuid "$u"
ktap_eq "the tier as made" "$(dmsetup table b32-tier)" "$t"
ktap_eq "blocks of 32 KiB, recorded" \
	"$(vaioctl -j cache pool show b32 | jq .block_size) $(jq .block_size "$VAIO_CONFDIR/pools/b32.json")" \
	"32768 32768"
ktap_match "the pool found its blocks" "$(vaioctl -j cache pool show b32 | jq .used)" '^[1-9]'
ktap_check "apply makes vm2 on it" sh -c 'vaioctl apply >/dev/null'
ktap_eq "vm2 reads what the disk below has" "$(md5sum </dev/mapper/vm2)" "$sum"
ktap_match "... read from the cache ($(b32_hits) hits)" "$(b32_hits)" '^[1-9]'
# apply, the record without "block_size": the superblock's again.
dmsetup remove vm2
dmsetup remove b32
dmsetup remove b32-tier
jq -c 'del(.block_size)' "$VAIO_CONFDIR/pools/b32.json" >/tmp/b32.json
cp /tmp/b32.json "$VAIO_CONFDIR/pools/b32.json"
ktap_eq "apply, a record without block_size: b32 made" \
	"$(vaioctl -j apply | jq -r '.[] | select(.pool == "b32") | .result')" created
ktap_eq "... the tier as made" "$(dmsetup table b32-tier)" "$t"
ktap_eq "... and the block size recorded" "$(jq .block_size "$VAIO_CONFDIR/pools/b32.json")" 32768
ktap_eq "vm2 reads what the disk below has" "$(md5sum </dev/mapper/vm2)" "$sum"
ktap_check "unassign the cache" vaioctl policy unassign vm2
ktap_check "pool remove b32" vaioctl cache pool remove b32
# Another size than the superblock's: refused before anything is made.
dmesg -c >/dev/null
vaioctl_bad "create --uuid --block-size 4K on a pool of 32 KiB blocks" \
	"holds a pool of 32 KiB blocks, not 4 KiB" \
	vaioctl cache pool create b32 /dev/mapper/m1 /dev/mapper/m2 --uuid "$u" --block-size 4K
ktap_eq "... before the kernel saw it" "$(dmesg | grep -c 'pool b32:')" 0
ktap_eq "... nothing left of b32" "$(dmsetup ls | grep -c b32)" 0
ktap_check "policy delete b32wt" vaioctl policy delete b32wt
dm_remove m1 m2

# The memory tier, 4 MiB: 1024 blocks. (Needs the kernel's memory_mib=.)
ktap_check "pool create --memory 4M" vaioctl cache pool create mem /dev/ram5 --memory 4M
ktap_eq "its table" "$(dmsetup table mem | cut -d' ' -f5-)" "memory_mib=4"
ktap_eq "show -j: memory_mib memory_blocks memory_used" \
	"$(vaioctl -j cache pool show mem | jq -r '"\(.memory_mib) \(.memory_blocks) \(.memory_used)"')" \
	"4 1024 0"
ktap_eq "list: MEMORY" "$(vaioctl cache pool list | awk '$1 == "mem" { print $6 }')" 0/1024
ktap_check "show: memory" sh -c "vaioctl cache pool show mem | grep -q 'memory 4 MiB: blocks 1024 of 4 KiB'"
ktap_eq "the record" "$(jq -c 'del(.uuid)' "$VAIO_CONFDIR/pools/mem.json")" \
	'{"pool":"mem","device":"/dev/ram5","memory_mib":4}'
ktap_check "policy on it" vaioctl policy create memwt cache:pool=mem,mode=writethrough
ktap_check "vm1 caches on it" vaioctl policy assign memwt vm1
ktap_check "fio verify through vm1" fio_verify /dev/mapper/vm1 --size=16m --bs=4k \
	--random_distribution=zipf:1.2 --randseed=5
ktap_eq "stats: memory_hits and memory_blocks" \
	"$(vaioctl -j stats vm1 | jq -c '.[0].filters[] | select(.type == "cache") | .status | [(.memory_hits | type), (.memory_blocks | type)]')" \
	'["number","number"]'
# disk remove writes a write-back cache back first, saying so.
ktap_check "policy: write-back on it" vaioctl policy create memwb \
	cache:pool=mem,mode=writeback,fail=closed,dirty_high=90,dirty_low=80
ktap_check "vm1 in write-back" vaioctl policy assign memwb vm1
ktap_check "writes on vm1" fio_verify /dev/mapper/vm1 --size=8m --bs=4k --randseed=6
ktap_match "dirty blocks ($(wb_dirty))" "$(wb_dirty)" '^[1-9]'
sum=$(md5sum </dev/mapper/vm1)
ktap_check "disk remove vm1" sh -c "vaioctl disk remove vm1 2>/tmp/remove.err"
ktap_match "it wrote back first, saying so" "$(head -n1 /tmp/remove.err)" \
	'^vm1: writing back the cache: [0-9]+ dirty blocks'
ktap_eq "the disk below has vm1's data" "$(md5sum </dev/ram1)" "$sum"
# disk remove of a disk whose cache cannot write back (the disk below
# fails writes): refused, the disk and its record kept; once the disk
# below works again, removed, its data below.
flk() { echo "$1" | dmsetup load flk && dmsetup suspend flk && dmsetup resume flk; }
# (In reads of at most 128 KiB: a larger one over dirty blocks writes them
# back first, and is read below.)
head4() { dd if="$1" bs=64k count=64 iflag=direct 2>/dev/null | md5sum; }
dm_create flk "0 16384 linear /dev/ram4 0"
ktap_check "disk vm3 on flk" vaioctl disk create vm3 /dev/mapper/flk
ktap_check "vm3 in write-back" vaioctl policy assign memwb vm3
ktap_check "writes on vm3" fio_verify /dev/mapper/vm3 --size=4m --bs=4k --randseed=7
sum=$(head4 /dev/mapper/vm3)
d3=$(vaioctl -j stats vm3 | jq '.[0].filters[] | select(.type == "cache") | .status.dirty')
ktap_match "vm3's cache holds them dirty ($d3)" "$d3" '^[1-9]'
ktap_check "flk fails writes" flk "0 16384 error"
ktap_fails "disk remove vm3 refused" sh -c "vaioctl disk remove vm3 2>/tmp/remove.err"
ktap_diag "$(cat /tmp/remove.err)"
ktap_check "... saying it cannot write back" grep -q 'cannot write back' /tmp/remove.err
ktap_check "vm3 still there" dmsetup info vm3
ktap_check "... and its record" vaioctl disk show vm3
ktap_eq "vm3 reads its data" "$(head4 /dev/mapper/vm3)" "$sum"
ktap_check "flk works again" flk "0 16384 linear /dev/ram4 0"
ktap_check "disk remove vm3" vaioctl disk remove vm3
ktap_eq "flk has vm3's data" "$(head4 /dev/mapper/flk)" "$sum"
dm_remove flk
dmsetup remove mem
ktap_eq "apply makes it again" "$(vaioctl -j apply | jq -r '.[] | select(.pool == "mem") | .result')" created
ktap_eq "... with its memory tier" "$(dmsetup table mem | cut -d' ' -f5-)" "memory_mib=4"
ktap_check "pool remove" vaioctl cache pool remove mem
ktap_eq "no pool left" "$(dmsetup ls | grep -c -e mem -e fast)" 0
ktap_finish
