#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter parameters: bad values refused at table load with a clear error and by vaioctl policy create; vaioctl policy create p qos:iops=500 makes a disk that throttles"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 16 2
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-qos
t() { echo "0 $size vaio /dev/ram0 $((6 + $#)) disk_id bad filter qos fail_open $# $*"; }

table_refused "iops=0 refused" "$(t iops=0)" "parameter value is out of range"
table_refused "read_iops=0 refused" "$(t read_iops=0)" "parameter value is out of range"
table_refused "write_bps=0 refused" "$(t write_bps=0)" "parameter value is out of range"
table_refused "io_unit=0 refused" "$(t iops=10 io_unit=0)" "parameter value is out of range"
table_refused "iops above 10000000 refused" "$(t iops=10000001)" "parameter value is out of range"
table_refused "bps above 1 TiB/s refused" "$(t bps=1099511627777)" "parameter value is out of range"
table_refused "burst_ms above 60000 refused" "$(t iops=10 burst_ms=60001)" "parameter value is out of range"
table_refused "a value past 64 bits refused" "$(t bps=18446744073709551616)" "parameter value is not a number"
table_refused "a negative value refused" "$(t iops=-5)" "parameter value is not a number"
table_refused "unknown key refused" "$(t iops=10 weight=2)" "unknown filter parameter"
table_refused "a key twice refused" "$(t iops=10 iops=20)" "filter parameter given twice"
table_refused "no limit refused" "$(t burst_ms=10 domain=x)" "qos: no limit, shares or reservation given"
table_refused "no argument refused" "$(t)" "qos: no limit, shares or reservation given"
table_refused "shares=0 refused" "$(t shares=0)" "qos: shares must be low, normal, high or 1-10000"
table_refused "shares=huge refused" "$(t shares=huge)" "qos: shares must be low, normal, high or 1-10000"
table_refused "shares=10001 refused" "$(t shares=10001)" "qos: shares must be low, normal, high or 1-10000"
table_refused "reservation=0 refused" "$(t reservation=0)" "parameter value is out of range"
table_refused "reservation above iops refused" "$(t iops=500 reservation=501)" \
	"qos: reservation above the disk's iops limit"
table_refused "reservation above read_iops + write_iops refused" \
	"$(t read_iops=100 write_iops=100 reservation=201)" "qos: reservation above the disk's iops limit"
table_refused "latency_ms=0 refused" "$(t shares=low latency_ms=0)" "parameter value is out of range"
long=$(printf '%064d' 0)
table_refused "a domain name of 64 characters refused" "$(t shares=low "domain=$long")" \
	"qos: domain name longer than 63 characters"
table_refused "a domain name with a comma refused" "$(t shares=low domain=a,b)" \
	"parameter value has a character not allowed"

ktap_check "shares=high reservation=500 iops=500: accepted" \
	dm_create ok "$(t shares=high reservation=500 iops=500 | sed 's/disk_id bad/disk_id ok/')"
ktap_eq "default domain: the whole disk below" "$(vaio_filter_get ok qos domain) $(vaio_filter_get ok qos shares)" \
	"dev:1:0 2000"
dm_remove ok
ktap_check "burst_ms=0 is a limit without burst: accepted" \
	dm_create ok "$(t iops=10 burst_ms=0 | sed 's/disk_id bad/disk_id ok/')"
ktap_eq "the table prints back what it took" \
	"$(dmsetup table ok | cut -d' ' -f6-)" "disk_id ok filter qos fail_open 2 iops=10 burst_ms=0"
dm_remove ok

# The control plane: the declared parameters, checked before anything is
# recorded or loaded.
ktap_eq "vaioctl filter list: qos and its keys" \
	"$(vaioctl -j filter list | jq -r '.[] | select(.type == "qos") | [.params[].name] | join(" ")')" \
	"iops read_iops write_iops bps read_bps write_bps burst_ms io_unit shares reservation domain latency_ms"
vaioctl_bad "policy create: iops=0" "argument 'iops=0': parameter value is out of range" \
	vaioctl policy create p1 qos:iops=0
vaioctl_bad "policy create: unknown key" "argument 'frob=1': unknown filter parameter" \
	vaioctl policy create p1 qos:iops=5,frob=1
vaioctl_bad "policy create: not a number" "argument 'bps=1e6': parameter value is not a number" \
	vaioctl policy create p1 qos:bps=1e6
vaioctl_bad "policy create: reservation=0" "argument 'reservation=0': parameter value is out of range" \
	vaioctl policy create p1 qos:reservation=0
# The rules between words (the type's args_check), as the table load has them.
vaioctl_bad "policy create: reservation above iops" \
	"component 'qos:[^']*': qos: reservation above the disk's iops limit" \
	vaioctl policy create p1 qos:iops=500,reservation=501
vaioctl_bad "policy create: shares=huge" \
	"component 'qos:[^']*': qos: shares must be low, normal, high or 1-10000" \
	vaioctl policy create p1 qos:shares=huge
vaioctl_bad "policy create: no limit, shares or reservation" \
	"component 'qos:[^']*': qos: no limit, shares or reservation given" \
	vaioctl policy create p1 qos:burst_ms=10
vaioctl_bad "policy create: a domain name of 64 characters" \
	"component 'qos:[^']*': qos: domain name longer than 63 characters" \
	vaioctl policy create p1 "qos:shares=low,domain=$long"
ktap_check "policy create p qos:iops=500" vaioctl policy create p qos:iops=500
ktap_check "disk create d with policy p" vaioctl disk create d /dev/ram0 --policy p
ktap_eq "its table" "$(dmsetup table d)" \
	"0 $size vaio 1:0 7 disk_id d filter qos fail_open 1 iops=500"
# 1000 writes of 4k at 500 IOPS (100 ms of burst): 1.8 s at least.
s=$(ms_now)
ktap_check "1000 writes through it" fio --name=w --filename=/dev/mapper/d \
	--rw=randwrite --bs=4k --number_ios=1000 --size=16m --direct=1 \
	--ioengine=libaio --iodepth=8 --output=/dev/null
ms=$(($(ms_now) - s))
ktap_check "took at least 1.7 s ($ms ms)" test "$ms" -ge 1700
ktap_match "throttled ($(vaio_filter_get d qos throttled))" \
	"$(vaio_filter_get d qos throttled)" '^[1-9]'
# Statistics over netlink: a second disk that did more I/O unthrottled.
ktap_check "policy create q qos:shares=high" vaioctl policy create q qos:shares=high
ktap_check "disk create e with policy q" vaioctl disk create e /dev/ram1 --policy q
ktap_check "2000 reads through e" fio --name=r --filename=/dev/mapper/e \
	--rw=randread --bs=4k --number_ios=2000 --size=16m --direct=1 \
	--ioengine=libaio --iodepth=8 --output=/dev/null
vaioctl -j stats >/tmp/stats.json
ktap_eq "vaioctl stats: d's throttled_ms from the qos filter's status" \
	"$(jq -r '.[] | select(.disk == "d") | .filters[] | select(.type == "qos") | .status.throttled_ms' /tmp/stats.json)" \
	"$(vaio_filter_get d qos throttled_ms)"
ktap_eq "--sort iops: e first" "$(vaioctl -j stats --sort iops | jq -r '.[0].disk')" e
ktap_eq "--sort throttled --top 1: d alone" \
	"$(vaioctl -j stats --sort throttled --top 1 | jq -r '[.[].disk] | join(" ")')" d
vaioctl_bad "--sort frob: refused" "unknown key 'frob'.*throttled" vaioctl stats --sort frob
ktap_check "disk remove e" vaioctl disk remove e
ktap_check "disk remove" vaioctl disk remove d
ktap_finish
