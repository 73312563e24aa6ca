#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl cache pool create/list/show/remove, policies with a cache component, stats --sort cache_hits, apply after a reboot brings the pool back first, bad input refused"
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"
cache_skip_debug

vaioctl_setup
brd_setup 32 4
modprobe dm-vaio-cache

ktap_check "pool create" vaioctl cache pool create fast /dev/ram0
ktap_eq "pool list" "$(vaioctl cache pool list | awk 'NR > 1 { print $1, $3, $4, $6, $8 }')" \
	"fast 7905 0 0 ok"
ktap_eq "pool list -j" "$(vaioctl -j cache pool list | jq -r '.[] | "\(.pool) \(.device) \(.blocks) \(.recorded)"')" \
	"fast /dev/ram0 7905 true"
ktap_eq "pool show -j" "$(vaioctl -j cache pool show fast | jq -r '"\(.state) \(.free) \(.devt) \(.dirty)"')" "ok 7905 1:0 0"
ktap_check "pool show" sh -c "vaioctl cache pool show fast | grep -q 'blocks 7905 of 4 KiB'"

vaioctl_bad "a pool twice" "pool fast exists" vaioctl cache pool create fast /dev/ram0
vaioctl_bad "a bad pool name" "pool name 'a b' is invalid" vaioctl cache pool create "a b" /dev/ram1
vaioctl_bad "a relative device" "give an absolute path" vaioctl cache pool create p2 ram1
vaioctl_bad "a missing device" "/dev/nosuch: No such file" vaioctl cache pool create p2 /dev/nosuch
vaioctl_bad "a device in use (the first pool's)" "in use" vaioctl cache pool create p2 /dev/ram0
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
	cache:pool=fast,mode=writeback,dirty_high=90,dirty_low=80
ktap_check "vm1 switched to it, live" vaioctl policy assign fastwb vm1
ktap_check "writes on vm1" fio_verify /dev/mapper/vm1 --size=16m --bs=4k --randseed=3
ktap_match "stats show dirty blocks ($(wb_dirty))" "$(wb_dirty)" '^[1-9]'
ktap_eq "the pool shows them" "$(vaioctl -j cache pool show fast | jq .dirty)" "$(wb_dirty)"
ktap_check "a policy with dirty_low over dirty_high" vaioctl policy create wbbad \
	cache:pool=fast,mode=writeback,dirty_high=10,dirty_low=50
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
ktap_finish
