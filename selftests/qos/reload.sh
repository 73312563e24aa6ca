#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter: vaioctl policy edit changes the limit under fio verify with no I/O error, each new limit in force within a second"
TIMEOUT=180
DEBUG_LANE=no	# rates: the debug kernel does about 500 IOPS unthrottled (qos/limit there: 526), below the limits checked
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 64 1
modprobe dm-vaio-qos

# iops DISK: the rate of the last whole second, from the status.
iops() { vaio_filter_get "$1" qos iops; }
# between V LO HI
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

ktap_check "policy p: qos iops=300" vaioctl policy create p qos:iops=300
ktap_check "disk d with policy p" vaioctl disk create d /dev/ram0 --policy p

# 4k random writes over 64 MiB, then every block read back and checked:
# 16384 + 16384 I/Os; at the limits below the writes outlast the edits
# (with 32 MiB they did not always: 900 writes at 300 IOPS, then 1500
# IOPS for the 2 s and two slow vaioctl edits of a loaded machine, and
# the last rate measured was the verify's reads, which write_iops does
# not limit).
fio --name=q --filename=/dev/mapper/d --ioengine=libaio --direct=1 \
	--iodepth=16 --rw=randwrite --bs=4k --size=64m --verify=crc32c \
	--verify_fatal=1 --do_verify=1 --output-format=json \
	>/tmp/fio.json 2>/tmp/fio.err &
fp=$!
sleep 3
a=$(iops d)
ktap_check "at iops=300: $a IOPS" between "$a" 240 360
ktap_check "policy edit: iops=1500" vaioctl policy edit p qos:iops=1500
sleep 2
b=$(iops d)
ktap_check "at iops=1500: $b IOPS (over 1000: in force within the second)" \
	between "$b" 1000 1800
ktap_check "policy edit: write_iops=150" vaioctl policy edit p qos:write_iops=150
sleep 2
c=$(iops d)
ktap_check "at write_iops=150: $c IOPS" between "$c" 110 190
ktap_eq "a table of the new limit" "$(dmsetup table d | cut -d' ' -f6-)" \
	"disk_id d filter qos fail_open 1 write_iops=150"
ktap_check "policy edit: iops=10000000 (the rest at full speed)" \
	vaioctl policy edit p qos:iops=10000000
wait $fp && rc=0 || rc=$?
if [ "$rc" = 0 ] && fio_json_ok </tmp/fio.json; then
	ktap_ok "fio verify: no I/O error, no mismatch"
else
	ktap_diag "fio exit $rc" "$(tail -n 5 /tmp/fio.err)"
	ktap_fail "fio verify: no I/O error, no mismatch"
fi
ktap_eq "nothing queued" "$(vaio_filter_get d qos queued)" 0
ktap_eq "no I/O error on the disk" "$(vaio_stat d errors)" 0
ktap_check "disk remove" vaioctl disk remove d
ktap_finish
