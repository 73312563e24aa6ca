#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl -j output parses (jq) and matches the text output; stats --top ranks disks; monitor follows events like ip monitor"
CHECK=full	# the monitor's JSON output, not the data path (50 s): make check-full; make check at 1745 s on 2026-12-07
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 32 4
modprobe dm-vaio-test

vaioctl monitor >/tmp/mon.txt 2>&1 &
mon=$!
vaioctl -j monitor >/tmp/mon.json 2>&1 &
monj=$!
sleep 0.5

vaioctl policy create gold test-qos:mode=pass test-cache:fail=closed
vaioctl policy create silver test-replication:veto=snapshot
vaioctl disk create vm1 /dev/ram0 --policy gold
vaioctl disk create vm2 /dev/ram1
vaioctl disk create vm3 /dev/ram2 --policy silver
# Different amounts of I/O: vm3 most writes, vm1 most reads.
dd if=/dev/zero of=/dev/mapper/vm3 bs=4k count=300 oflag=direct 2>/dev/null
dd if=/dev/zero of=/dev/mapper/vm2 bs=4k count=200 oflag=direct 2>/dev/null
dd if=/dev/zero of=/dev/mapper/vm1 bs=4k count=100 oflag=direct 2>/dev/null
dd if=/dev/mapper/vm1 of=/dev/null bs=4k count=500 iflag=direct 2>/dev/null

# Every listing parses, and says what the text says.
for cmd in "filter list" "policy list" "policy show gold" "disk list" "disk show vm1" \
	"stats" "stats --top 2 --sort writes" "apply"; do
	# shellcheck disable=SC2086 # word splitting wanted
	ktap_check "vaioctl -j $cmd parses" sh -c "vaioctl -j $cmd | jq -e . >/dev/null"
	# shellcheck disable=SC2086
	ktap_check "vaioctl -p -j $cmd parses" sh -c "vaioctl -p -j $cmd | jq -e . >/dev/null"
done
ktap_eq "filter list: same types" \
	"$(vaioctl -j filter list | jq -r '.[].type' | sort | tr '\n' ' ')" \
	"$(vaioctl filter list | awk '/^[a-z]/ { print $1 }' | sort | tr '\n' ' ')"
ktap_eq "filter list: class order" \
	"$(vaioctl -j filter list | jq -r '[.[].class_order] | . == sort')" true
ktap_eq "filter list: declared parameters" \
	"$(vaioctl -j filter list | jq -r '.[] | select(.type == "test-qos") | [.params[].name] | join(" ")')" \
	"mode ms ops veto refuse_reactivate dtr_error ctr_error check_sleep_ms no_fail_open no_discard no_write_zeroes needs_flush stable_pages bounce ctx"
ktap_eq "policy list: same policies and components" \
	"$(vaioctl -j policy list | jq -r '.[] | "policy \(.policy)", (.components[] | "    \(.)")')" \
	"$(vaioctl policy list | grep -v disks:)"
ktap_eq "disk list: same disks, states, policies" \
	"$(vaioctl -j disk list | jq -r '.[] | "\(.disk) \(.state) \(.policy // "-")"')" \
	"$(vaioctl disk list | awk 'NR > 1 { print $1, $2, $3 }')"
ktap_eq "disk show: same counters" \
	"$(vaioctl -j disk show vm1 | jq -r '.stats | "reads \(.reads) writes \(.writes) read_bytes \(.read_bytes) write_bytes \(.write_bytes) flushes \(.flushes) discards \(.discards) errors \(.errors)"')" \
	"$(vaioctl disk show vm1 | grep ' reads ' | sed 's/^ *//')"
ktap_eq "disk show: counters are the kernel's" \
	"$(vaioctl -j disk show vm1 | jq -r '"\(.stats.reads) \(.stats.writes)"')" \
	"$(vaio_stat vm1 reads) $(vaio_stat vm1 writes)"
ktap_eq "disk show: same filters and states" \
	"$(vaioctl -j disk show vm1 | jq -r '.filters[] | "filter \(.type) class \(.class) state \(.state) fail \(.fail)"')" \
	"$(vaioctl disk show vm1 | grep ' filter ' | sed 's/^ *//')"
ktap_eq "stats --top 2 --sort writes: vm3 then vm2" \
	"$(vaioctl -j stats --top 2 --sort writes | jq -r '[.[].disk] | join(" ")')" "vm3 vm2"
ktap_eq "stats text ranks the same" \
	"$(vaioctl stats --top 2 --sort writes | awk 'NR > 1 && !/^ / { print $1 }' | tr '\n' ' ')" "vm3 vm2 "
ktap_eq "stats --sort reads: vm1 first" \
	"$(vaioctl -j stats --top 1 --sort reads | jq -r '.[0].disk')" vm1
ktap_eq "stats: the filters' own counters" \
	"$(vaioctl -j stats vm1 | jq '.[0].filters[] | select(.type == "test-qos") | .status.maps')" \
	"$(vaio_filter_get vm1 test-qos maps)"
# --watch: rates over an interval, while vm2 is written. The writer runs
# for the whole of both samples: under the debug kernel starting vaioctl
# can take longer than one short dd.
rm -f /tmp/stop-writer
(while [ ! -e /tmp/stop-writer ]; do
	dd if=/dev/zero of=/dev/mapper/vm2 bs=4k count=50 oflag=direct 2>/dev/null
done) &
writer=$!
w=$(vaioctl -j stats vm2 --watch 1 --count 2 | jq -s '[.[][0].writes_per_sec] | add')
touch /tmp/stop-writer
wait "$writer"
ktap_match "stats --watch: vm2's write rate ($w/s over two samples)" "$w" '^[1-9]'

ktap_check "snapshot" vaioctl event snapshot vm1 t1
ktap_eq "snapshot -j: delivered to both filters" \
	"$(vaioctl -j event snapshot vm1 t2 | jq .delivered)" 2
vaioctl_bad "a vetoed snapshot fails with the reason" "vetoed by test filter" \
	vaioctl event snapshot vm3 t3
dmsetup message vm1 0 test-qos error
ktap_eq "the failed filter shows as bypassed" \
	"$(vaioctl -j disk show vm1 | jq -r '.filters[0] | "\(.state) \(.fail_reason)"')" \
	"bypassed failure injected by message"
ktap_check "filter reactivate" vaioctl filter reactivate vm1 test-qos
ktap_eq "active again" "$(vaio_filter_state vm1 test-qos)" active
echo "0 8 vaio /dev/ram3 4 filter nosuch fail_open 0" | dmsetup create bad 2>/dev/null
dmdev() { dmsetup info -c --noheadings --separator : -o major,minor "$1"; }
dev1=$(dmdev vm1) dev2=$(dmdev vm2) dev3=$(dmdev vm3)
vaioctl disk remove vm2
sleep 1
kill "$mon" "$monj"
wait

ktap_diag "monitor:" "$(cat /tmp/mon.txt)"
exp="disk-new vm1 dm vm1 ($dev1) data 1:0 filters test-qos(active) test-cache(active)
disk-new vm2 dm vm2 ($dev2) data 1:1 filters -
disk-new vm3 dm vm3 ($dev3) data 1:2 filters test-replication(active)
event vm1 snapshot t1 delivered to 2
event vm1 snapshot t2 delivered to 2
event vm3 snapshot t3 vetoed by test-replication: vetoed by test filter
filter-state vm1 test-qos bypassed: failure injected by message
filter-state vm1 test-qos active
table-error bad: Unknown filter type
disk-del vm2 dm vm2"
ktap_eq "monitor saw everything, in order" "$(cat /tmp/mon.txt)" "$exp"
ktap_check "monitor -j: every line parses" sh -c 'jq -e . /tmp/mon.json >/dev/null'
ktap_eq "monitor -j: the same events" \
	"$(jq -r .what /tmp/mon.json | tr '\n' ' ')" \
	"$(awk '{ print $1 }' /tmp/mon.txt | tr '\n' ' ')"

# Timestamps; and an overrun: monitors with a small socket buffer, stopped
# while 40 events come. They say so, print every disk as it is now, and
# go on.
rmem=$(cat /proc/sys/net/core/rmem_default)
echo 8192 >/proc/sys/net/core/rmem_default
vaioctl monitor -t >/tmp/mon.txt 2>&1 &
mon=$!
vaioctl -j monitor --timestamp >/tmp/mon.json 2>&1 &
monj=$!
sleep 0.5
echo "$rmem" >/proc/sys/net/core/rmem_default
kill -STOP "$mon" "$monj"
for i in $(seq 1 40); do
	vaioctl event snapshot vm1 "s$i" >/dev/null
done
kill -CONT "$mon" "$monj"
sleep 1
vaioctl event snapshot vm1 last >/dev/null
sleep 1
kill "$mon" "$monj"
wait
ktap_diag "monitor -t:" "$(cat /tmp/mon.txt)"
ktap_match "monitor -t: a time before each line" "$(head -n 1 /tmp/mon.txt)" \
	'^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}\] '
ktap_match "overrun: said" "$(cat /tmp/mon.txt)" "overrun: notifications lost; the disks now:"
ktap_match "overrun: then every disk as it is" "$(grep -A3 overrun /tmp/mon.txt)" \
	"disk-change vm3 dm vm3 \\($dev3\\) data 1:2 filters test-replication\\(active\\)"
ktap_match "overrun: the monitor went on" "$(tail -n 1 /tmp/mon.txt)" "event vm1 snapshot last delivered to 2"
ktap_eq "overrun -j: said" "$(jq -r 'select(.what == "overrun") | .what' /tmp/mon.json | head -n 1)" overrun
ktap_eq "overrun -j: went on" "$(tail -n 1 /tmp/mon.json | jq -r .tag)" last
ktap_check "-j --timestamp: a time in every object" jq -s -e 'all(has("time"))' /tmp/mon.json
ktap_finish
