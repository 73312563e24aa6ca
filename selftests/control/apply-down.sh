#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl apply --down (vaio-apply.service's ExecStop): the recorded disks' devices go, then the pools', the records stay; a disk in use stays with its pool, a device of a recorded name that is no vaio disk is left alone, both said, exit 1; apply brings everything back with its data, a write-back cache's dirty blocks included"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
modprobe dm-vaio-cache
brd_setup 64 4

ktap_check "pool fast" vaioctl cache pool create fast /dev/ram3
ktap_check "policy wb" vaioctl policy create wb \
	cache:pool=fast,mode=writeback,fail=closed,dirty_high=90,dirty_low=80
ktap_check "disk vm1, write-back" vaioctl disk create vm1 /dev/ram0 --policy wb
ktap_check "disk vm2, write-back" vaioctl disk create vm2 /dev/ram1 --policy wb
ktap_check "disk vm3" vaioctl disk create vm3 /dev/ram2
# Random 4 KiB writes: the cache takes them (a sequential stream would
# bypass it).
for d in vm1 vm2; do
	ktap_check "8 MiB written to $d" fio_verify /dev/mapper/$d --size=8192k --bs=4k --randseed=5
done
# sum DISK: of its first 8 MiB, read in 4 KiB blocks, each a cache hit (a
# larger read over dirty blocks would write them back first).
sum() { dd if="/dev/mapper/$1" bs=4k count=2048 iflag=direct 2>/dev/null | md5sum; }
sum1=$(sum vm1)
sum2=$(sum vm2)
dirty() { vaioctl -j stats "$1" | jq '.[0].filters[] | select(.type == "cache") | .status.dirty'; }
ktap_match "vm1's cache holds dirty blocks ($(dirty vm1))" "$(dirty vm1)" '^[1-9]'

# vm3's name taken by a device that is no vaio disk; vm2 open (it holds
# the pool too).
ktap_check "vm3 replaced by a linear device of its name" \
	sh -c "dmsetup remove vm3 && echo '0 8 linear /dev/ram2 0' | dmsetup create vm3"
(exec 3</dev/mapper/vm2 && sleep 600) &
holder=$!
sleep 0.5
out=$(vaioctl apply --down 2>&1) && rc=0 || rc=$?
echo "$out" | sed 's/^/# /'
ktap_eq "apply --down: exit 1" "$rc" 1
ktap_match "vm1 removed" "$out" '^vm1: removed$'
ktap_match "vm2 in use: said" "$out" 'vm2: .*in use'
ktap_match "vm3 not a vaio disk: left alone, said" "$out" 'vm3 is not a vaio disk; left alone'
ktap_match "the pool held by vm2: said" "$out" 'pool fast: .*in use'
ktap_fails "vm1 is gone" dmsetup info vm1
ktap_check "vm2 is there" dmsetup info vm2
ktap_eq "vm3 is the linear device still" "$(dmsetup table vm3)" "0 8 linear 1:2 0"
ktap_check "the pool is there" dmsetup info fast

kill "$holder"
wait "$holder" 2>/dev/null
ktap_eq "apply --down -j, vm2 closed" \
	"$(vaioctl -j apply --down | jq -r '[.[] | "\(.disk // ("pool " + .pool))=\(.result)"] | join(" ")')" \
	"vm1=absent vm2=removed vm3=failed pool fast=removed"
ktap_fails "the pool is gone" dmsetup info fast
ktap_eq "the records stay" "$(cd "$VAIO_CONFDIR" && echo disks/*.json pools/*.json)" \
	"disks/vm1.json disks/vm2.json disks/vm3.json pools/fast.json"

# The next boot: apply makes them again, with their data.
dmsetup remove vm3
ktap_eq "apply: the pool, then the disks" "$(vaioctl apply)" "pool fast: created
vm1: created
vm2: created
vm3: created"
ktap_eq "vm1's data, through the cache" "$(sum vm1)" "$sum1"
ktap_eq "vm2's data" "$(sum vm2)" "$sum2"
ktap_match "apply --up: refused with its usage" "$(vaioctl apply --up 2>&1 && echo accepted)" \
	'Usage: vaioctl apply \[--down\]'
ktap_finish
