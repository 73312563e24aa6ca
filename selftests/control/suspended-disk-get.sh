#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a suspended disk resumes while DISK_GET dumps loop under memory pressure; its lock is held noio"
TIMEOUT=400
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# The resume of a suspended device takes its disk's lock, and the device's
# I/O waits until then. DISK_GET and its dump (any user may send them) hold
# that lock while they allocate and call the filters' ->status(); memory
# reclaim entered there may wait for the suspended device's writeback, and
# the resume for the lock. The core holds a disk's lock only in a noio
# scope: the test filter counts the calls it gets in one (ev_noio,
# status_noio), which proves the scope where a deadlock cannot be made to
# happen on demand; then the whole situation runs, and the data written
# across the suspend is checked. Only the counters fail without the fix:
# direct reclaim does not wait for a block device's dirty pages on this
# kernel, and a real deadlock would leave dmsetup resume in D state, which
# no TIMEOUT recovers.

# A kill by the harness (TIMEOUT) must not leave the loops below running.
cleanup() {
	touch /tmp/nl.stop
	kill $nl_pid $hog_pid $dd_pid $fio_pid 2>/dev/null
}
trap cleanup EXIT
rm -f /tmp/nl.*

nobody() { /usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$@"; }
# KEY of test-qos's status words, as DISK_GET answers them to "$@".
nl_word() {
	local key="$1"
	shift
	"$@" vaioctl -j disk show sd |
		jq -r ".filters[] | select(.type == \"test-qos\") | .status.$key"
}
# Every event test-qos got, from its ev_<event> <count>:<pos> words.
events_total() {
	vaio_filter_words sd test-qos | awk '{
		for (i = 1; i < NF; i++) if ($i ~ /^ev_[a-z]+$/ && $i != "ev_noio") {
			split($(i + 1), c, ":"); n += c[1]
		}
		print n + 0
	}'
}

vaioctl_setup
modprobe dm-vaio-test
brd_setup 128
size=$(dev_sectors /dev/ram0)
dm_create sd "0 $size vaio /dev/ram0 10 disk_id sd filter test-qos fail_open 0 filter test-cache fail_open 0"

# The scope, which the deadlock below needs to be absent.
ktap_eq "attach and resume at create came noio" \
	"$(vaio_filter_get sd test-qos ev_noio)" "$(events_total)"
ktap_check "suspend" dmsetup suspend sd
ktap_check "resume" dmsetup resume sd
ktap_eq "suspend and resume came noio" \
	"$(vaio_filter_get sd test-qos ev_noio)" "$(events_total)"
ktap_eq "... five events in all (quiesce too)" "$(events_total)" 5
ktap_check "snapshot" dmsetup message sd 0 event snapshot s1
ktap_eq "the snapshot message came noio" \
	"$(vaio_filter_get sd test-qos ev_noio)" "$(events_total)"
ktap_eq "dmsetup status: not under the disk's lock, not noio" \
	"$(vaio_filter_get sd test-qos status_noio)" 0
# vaioctl disk show and list both dump DISK_GET; each call counts itself,
# after any made for a listener of the events group.
base=$(vaio_filter_get sd test-qos status_noio)
ktap_eq "DISK_GET of an unprivileged user: ->status() noio" \
	"$(nl_word status_noio nobody)" $((base + 1))
ktap_eq "... and of root" "$(nl_word status_noio)" $((base + 2))
ktap_eq "vaioctl disk list" \
	"$(nobody vaioctl -j disk list | jq -r '.[] | select(.disk_id == "sd") |
		.filters[] | select(.type == "test-qos") | .status.status_noio')" $((base + 3))

# The situation itself. Direct writes across the suspend, verified by fio
# afterwards; buffered writes into the page cache while suspended, which
# reclaim sees under writeback to the suspended device.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=32 2>/dev/null
# Paced, so that it is still writing when the device is suspended.
fio_verify /dev/mapper/sd --size=48m --rate=2m >/tmp/fio.out 2>&1 &
fio_pid=$!
sleep 2
ktap_check "fio is writing when the device is suspended" kill -0 $fio_pid
ktap_check "suspend with fio writing" dmsetup suspend sd
dd if=/tmp/pattern of=/dev/mapper/sd bs=1M seek=64 2>/dev/null &
dd_pid=$!

# An unprivileged user's DISK_GET dumps (disk show, disk list, stats) in a
# loop, counted.
rm -f /tmp/nl.ok /tmp/nl.bad
(
	while [ ! -e /tmp/nl.stop ]; do
		for c in "-j disk show sd" "disk list" "stats"; do
			# shellcheck disable=SC2086 # words on purpose
			if nobody vaioctl $c >/dev/null 2>>/tmp/nl.err; then
				echo . >>/tmp/nl.ok
			else
				echo "$c" >>/tmp/nl.bad
			fi
		done
	done
) &
nl_pid=$!

# Memory pressure: a process that takes and touches nearly all the memory
# that can be had (dd's buffer of bs bytes, filled from /dev/zero), and the
# clean page cache dropped, again and again. Not more: the dirty pages of
# the suspended device cannot be reclaimed, and an OOM kill would print a
# call trace, which fails the test.
hog_mib() {
	awk '/^(MemAvailable|Dirty|Writeback):/ { m[$1] = $2 }
		END { print int((m["MemAvailable:"] - m["Dirty:"] - m["Writeback:"]) / 1024) - 96 }' \
		/proc/meminfo
}
ktap_diag "the hog takes $(hog_mib) MiB at first"
(
	while [ ! -e /tmp/nl.stop ]; do
		n=$(hog_mib)
		[ "$n" -gt 0 ] && dd if=/dev/zero of=/dev/null bs="${n}M" count=1 2>/dev/null
		echo 1 >/proc/sys/vm/drop_caches
	done
) &
hog_pid=$!

sleep 20
touch /tmp/nl.stop
wait "$nl_pid" "$hog_pid"
rm -f /tmp/nl.stop
ok=$(wc -l </tmp/nl.ok 2>/dev/null || echo 0)
ktap_diag "$ok netlink requests answered while suspended"
ktap_match "requests were answered while suspended" "$ok" '^[1-9]'
ktap_eq "none failed" "$(cat /tmp/nl.bad 2>/dev/null)" ""
[ -s /tmp/nl.bad ] && ktap_diag "$(sort /tmp/nl.bad | uniq -c)" "$(tail -n 5 /tmp/nl.err)"
ktap_eq "still suspended" "$(dmsetup info -c --noheadings -o suspended sd)" Suspended

ktap_check "resume" dmsetup resume sd
wait "$fio_pid" && rc=0 || rc=$?
ktap_eq "fio verified the writes made across the suspend" "$rc" 0
[ "$rc" = 0 ] || ktap_diag "$(cat /tmp/fio.out)"
wait "$dd_pid" && rc=0 || rc=$?
ktap_eq "the buffered writer finished" "$rc" 0
ktap_check "its data reached the disk (sync)" sync
echo 3 >/proc/sys/vm/drop_caches
ktap_eq "the disk holds what was written into the page cache while suspended" \
	"$(dd if=/dev/mapper/sd bs=1M skip=64 count=32 iflag=direct 2>/dev/null | md5sum)" \
	"$(md5sum </tmp/pattern)"
ktap_eq "no error counted" "$(vaio_stat sd errors)" 0
dm_remove sd
rm -f /tmp/nl.* /tmp/pattern /tmp/fio.out
ktap_finish
