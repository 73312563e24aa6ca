#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="VAIO_CMD_FILTER_CALL: a filter's own netlink commands and dumps (test filter: tag, bio ring), their errors, CAP_SYS_ADMIN, reloads during dumps"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# The test filter's commands and attributes (<linux/dm-vaio-test.h>).
GET=1 SET=2 BIOS=3
A_MAPS=2 A_END_IOS=3 A_TAG=4 A_ENTRY=5
B_SEQ=2 B_SECTOR=3 B_SECTORS=4 B_OP=5

nobody() { /usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$@"; }
netadmin() { /usr/bin/setpriv --inh-caps=-all --bounding-set=-all,+net_admin "$@"; }
# call_get DISK FILTER ATTR: attribute ATTR of the filter's GET answer (JSON).
call_get() {
	vaioctl -j filter call "$1" "$2" $GET |
		jq -r --argjson a "$3" '.data[] | select(.attr == $a) | .value'
}
# bios DISK [FILTER]: the BIOS dump, a line "seq sector sectors op" per entry.
bios() {
	vaioctl -j filter call "$1" "${2:-test-qos}" $BIOS --dump | jq -r \
		--argjson e $A_ENTRY --argjson q $B_SEQ --argjson s $B_SECTOR \
		--argjson n $B_SECTORS --argjson o $B_OP '
		.entries[] | select(.attr == $e) | .nest |
		map({key: (.attr | tostring), value: .value}) | from_entries |
		"\(.[$q | tostring]) \(.[$s | tostring]) \(.[$n | tostring]) \(.[$o | tostring])"'
}

vaioctl_setup
modprobe dm-vaio-test
brd_setup 64 3
size=$(dev_sectors /dev/ram0)
table="0 $size vaio /dev/ram0 10 disk_id fc filter test-qos fail_open 0 filter test-cache fail_open 0"
dm_create fc "$table"
dm_create fb "0 $size vaio /dev/ram1 6 disk_id fb filter test-qos-b fail_open 0"

# SET, then GET and the status agree.
ktap_check "SET tag 4242 on test-qos" vaioctl filter call fc test-qos $SET $A_TAG=4242
ktap_eq "GET answers it" "$(vaioctl filter call fc test-qos $GET | sed -n "s/^$A_TAG=//p")" 4242
ktap_eq "dmsetup status shows it" "$(vaio_filter_get fc test-qos tag)" 4242
ktap_eq "test-cache's tag is untouched" "$(vaio_filter_get fc test-cache tag)" 0
ktap_check "SET by class name, typed u32:" vaioctl filter call fc cache $SET $A_TAG=u32:7
ktap_eq "test-cache's tag" "$(vaio_filter_get fc test-cache tag)" 7
ktap_eq "the answer names the type, JSON" \
	"$(vaioctl -j filter call fc cache $GET | jq -r '"\(.disk) \(.filter) \(.cmd)"')" "fc cache $GET"
dd if=/dev/mapper/fc of=/dev/null bs=4k count=5 iflag=direct 2>/dev/null
ktap_eq "GET maps = the status's maps" "$(call_get fc test-qos $A_MAPS)" \
	"$(vaio_filter_get fc test-qos maps)"
ktap_eq "GET end_ios = the status's end_ios" "$(call_get fc test-qos $A_END_IOS)" \
	"$(vaio_filter_get fc test-qos end_ios)"
ktap_eq "... which are real" "$(call_get fc test-qos $A_MAPS)" 5

# The dump after three writes at known places: exactly those.
for blk in 3 17 100; do
	dd if=/dev/zero of=/dev/mapper/fc bs=4k seek=$blk count=1 oflag=direct 2>/dev/null
done
ktap_eq "the dump lists the three writes (sector sectors)" \
	"$(bios fc | awk '$4 == 1 { print $2, $3 }' | sort -n | tr '\n' ' ')" "24 8 136 8 800 8 "
ktap_eq "and the five reads before them" "$(bios fc | awk '$4 == 0' | wc -l)" 5
ktap_eq "newest first, seq 7 down to 0" "$(bios fc | awk '{ print $1 }' | tr '\n' ' ')" \
	"7 6 5 4 3 2 1 0 "
ktap_eq "text output: one line per entry" \
	"$(vaioctl filter call fc test-qos $BIOS --dump | grep -c "^$A_ENTRY: $B_SEQ=")" 8
ktap_match "text output: an entry" \
	"$(vaioctl filter call fc test-qos $BIOS --dump | head -n1)" \
	"^$A_ENTRY: $B_SEQ=7 $B_SECTOR=800 $B_SECTORS=8 $B_OP=1\$"

# A full ring: 64 entries at 8 a message, so the dump took 8 messages.
dd if=/dev/mapper/fc of=/dev/null bs=4k count=100 iflag=direct 2>/dev/null
maps=$(vaio_filter_get fc test-qos maps)
ktap_eq "108 bios mapped" "$maps" 108
ktap_eq "the dump of a full ring has 64 entries" "$(bios fc | wc -l)" 64
ktap_eq "the last 64, distinct, newest first" \
	"$(bios fc | awk '{ print $1 }' | tr '\n' ' ')" "$(seq 107 -1 44 | tr '\n' ' ')"
ktap_eq "test-cache's ring too" "$(bios fc cache | wc -l)" 64

# Errors, each with its message.
vaioctl_bad "unknown disk" "disk nope: filter test-qos: command 1: no such disk\$" \
	vaioctl filter call nope test-qos $GET
vaioctl_bad "unknown disk, dump" "no such disk\$" vaioctl filter call nope test-qos $BIOS --dump
vaioctl_bad "unknown filter" "filter test-encryption: command 1: no such filter on this disk\$" \
	vaioctl filter call fc test-encryption $GET
vaioctl_bad "filter type without netlink commands" "the filter has no netlink commands\$" \
	vaioctl filter call fb test-qos-b $GET
vaioctl_bad "... nor dumps" "the filter has no netlink commands\$" \
	vaioctl filter call fb test-qos-b $BIOS --dump
vaioctl_bad "TAG as a u64: bad attribute type" "invalid attribute length" \
	vaioctl filter call fc test-qos $SET $A_TAG=u64:5
vaioctl_bad "TAG out of the policy's range" "integer out of range" \
	vaioctl filter call fc test-qos $SET $A_TAG=1000001
vaioctl_bad "an answer attribute in the request" "command 2: .*[Uu]nsupported attribute|[Uu]nknown attribute" \
	vaioctl filter call fc test-qos $SET $A_MAPS=u64:1
vaioctl_bad "SET without TAG: the filter's own message" "test filter: SET needs TAG\$" \
	vaioctl filter call fc test-qos $SET
vaioctl_bad "an unknown command: the filter's message" "test filter: unknown command\$" \
	vaioctl filter call fc test-qos 9
vaioctl_bad "BIOS without --dump" "test filter: BIOS is a dump\$" \
	vaioctl filter call fc test-qos $BIOS
vaioctl_bad "a bad NUM=VALUE word" "argument '4=u32:x': not a u32" \
	vaioctl filter call fc test-qos $SET 4=u32:x
vaioctl_bad "a bad command number" "command 'get' is not a number" \
	vaioctl filter call fc test-qos get
ktap_eq "the tag is still 4242" "$(vaio_filter_get fc test-qos tag)" 4242

# A disk with a table loaded and never resumed: no live table.
dmsetup create nolive --notable
echo "0 $size vaio /dev/ram2 6 disk_id nolive filter test-qos fail_open 0" | dmsetup load nolive
vaioctl_bad "a disk without a live table" "command 1: the disk has no live vaio table\$" \
	vaioctl filter call nolive test-qos $GET
dmsetup remove nolive

# CAP_SYS_ADMIN, for the command and the dump.
for who in nobody netadmin; do
	vaioctl_bad "$who: SET refused" "permission denied \(needs CAP_SYS_ADMIN\)" \
		$who vaioctl filter call fc test-qos $SET $A_TAG=1
	vaioctl_bad "$who: the dump refused" "permission denied \(needs CAP_SYS_ADMIN\)" \
		$who vaioctl filter call fc test-qos $BIOS --dump
done
ktap_eq "no refused SET reached the filter" "$(vaio_filter_get fc test-qos tag)" 4242

# The table changes in the middle of a dump: it ends with EAGAIN
# (vaio-nlfuzz -R reloads between the first message and the rest).
out=$(vaio-nlfuzz -d fc -R "echo '$table' | dmsetup load fc && dmsetup suspend fc && dmsetup resume fc" 2>&1) &&
	rc=0 || rc=$?
[ "$rc" = 0 ] || ktap_diag "$out"
ktap_eq "a reload during a dump ends it with EAGAIN" "$rc" 0
ktap_eq "the new table's filter starts a new ring" "$(vaio_filter_get fc test-qos tag) $(bios fc | wc -l)" "0 0"

# Dumps while reloads loop: each one complete or refused, never an oops.
dd if=/dev/mapper/fc of=/dev/null bs=4k count=100 iflag=direct 2>/dev/null
dmesg -c >/dev/null
(
	i=0
	while [ $i -lt 20 ]; do
		vaio_reload fc "$table" || exit 1
		dd if=/dev/mapper/fc of=/dev/null bs=4k count=70 iflag=direct 2>/dev/null
		i=$((i + 1))
	done
) &
loop=$!
good=0 again=0 bad=0
while kill -0 $loop 2>/dev/null; do
	if out=$(vaioctl -j filter call fc test-qos $BIOS --dump 2>&1); then
		n=$(printf '%s\n' "$out" | jq '.entries | length')
		if [ "$n" -le 64 ]; then good=$((good + 1)); else bad=$((bad + 1)); fi
	elif printf '%s\n' "$out" | grep -q "live table changed during the dump"; then
		again=$((again + 1))
	else
		bad=$((bad + 1))
		ktap_diag "$out"
	fi
done
wait $loop && rc=0 || rc=$?
ktap_eq "20 reloads while dumping" "$rc" 0
ktap_diag "dumps: $good complete, $again ended by a reload"
ktap_eq "every dump complete or ended by the reload" "$bad" 0
ktap_match "some dumps ran" "$((good + again))" '^[1-9]'
ktap_eq "no kernel warning" "$(dmesg | grep -E 'BUG|WARNING|Oops|Call Trace')" ""
ktap_check "GET answers after it all" vaioctl filter call fc test-qos $GET

ktap_check "the disks are removed" dm_remove fc fb
ktap_check "dm-vaio-test unloads" rmmod dm-vaio-test
ktap_finish
