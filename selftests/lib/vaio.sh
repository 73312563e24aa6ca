# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for dm-vaio selftests, sourced after ktap.sh. They run inside the
# test guest (tools/vm/vaio-vm), as root, with no udev.

# brd_setup SIZE_MIB [COUNT]: COUNT (default 1) RAM disks /dev/ram0..
brd_setup() {
	modprobe brd rd_nr="${2:-1}" rd_size=$(($1 * 1024))
}

# nullb_mem NAME SIZE_MIB [ATTR=VALUE...]: a memory-backed null_blk made
# through configfs (null_blk keeps data only then), /dev/NAME. Attributes:
# e.g. discard=1, cache_size=16 (MiB of volatile cache: flushes matter),
# blocksize=4096.
nullb_mem() {
	local name="$1" size="$2" d a
	shift 2
	modprobe null_blk nr_devices=0 || return 1
	d=/sys/kernel/config/nullb/$name
	mkdir "$d" || return 1
	echo "$size" >"$d/size"
	echo 1 >"$d/memory_backed"
	for a in "$@"; do
		echo "${a#*=}" >"$d/${a%%=*}" || return 1
	done
	echo 1 >"$d/power"
	# 6.1 names a configfs-made disk after its directory.
	[ -b "/dev/$name" ]
}

# dm_create NAME TABLE: creates /dev/mapper/NAME (dmsetup mknodes: no udev).
# dio_fill DEV OFFSET LEN BYTE: one O_DIRECT write of LEN bytes of BYTE
# (0x..) at byte OFFSET of DEV. (Not dd: busybox's falls back to the page
# cache, a 4 KiB read-modify-write, for O_DIRECT blocks under a page.)
dio_fill() {
	fio --name=dio --filename="$1" --rw=write --bs="$3" --size="$3" \
		--offset="$2" --direct=1 --ioengine=psync --buffer_pattern="$4" \
		--scramble_buffers=0 --eta=never --output=/dev/null
}

dm_create() {
	echo "$2" | dmsetup create "$1" && dmsetup mknodes "$1"
}

dm_remove() { dmsetup remove "$@"; }

# wait_until TENTHS CMD...: CMD run every 0.1 s until it succeeds, at most
# TENTHS times; its last status.
wait_until() {
	local n="$1"
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# table_refused DESC TABLE MESSAGE: a KTAP result. Creating a device with
# TABLE must fail, the kernel log (or dmsetup) must name MESSAGE (the
# target's ti->error), and no device may be left behind.
table_refused() {
	local out log
	dmesg -c >/dev/null
	if out=$(echo "$2" | dmsetup create bad 2>&1); then
		ktap_diag "table accepted: $2"
		dmsetup remove bad
		ktap_fail "$1"
		return
	fi
	log=$(dmesg -c)
	if ! printf '%s\n%s\n' "$out" "$log" | grep -qF -- "$3"; then
		ktap_diag "table: $2" "expected error: $3" "dmsetup: $out" "kernel: $log"
		ktap_fail "$1"
	elif dmsetup info bad >/dev/null 2>&1; then
		ktap_diag "device 'bad' left behind"
		ktap_fail "$1"
	else
		ktap_ok "$1"
	fi
}

# ms_now: milliseconds since boot, for timing a command (busybox's date
# has no %N).
ms_now() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# median: the middle one of the numbers on stdin, one a line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# filter_rates DEV TYPE N COUNTER...: N rates per second of the sum of
# these status counters of filter TYPE on DEV, each over about a second.
# Their median is a rate that one second in which the host did not run
# the guest (TCG on a busy host) does not decide.
filter_rates() {
	local dev="$1" type="$2" n="$3" v0 t0 v1 t1
	shift 3
	v0=$(filter_count "$dev" "$type" "$@")
	t0=$(ms_now)
	for _ in $(seq "$n"); do
		sleep 1
		v1=$(filter_count "$dev" "$type" "$@")
		t1=$(ms_now)
		echo $(((v1 - v0) * 1000 / (t1 - t0)))
		v0=$v1
		t0=$t1
	done
}
# filter_count DEV TYPE COUNTER...: the sum of these status counters.
filter_count() {
	local dev="$1" type="$2" n=0 w
	shift 2
	for w; do n=$((n + $(vaio_filter_get "$dev" "$type" "$w"))); done
	echo "$n"
}

# dev_sectors DEV
dev_sectors() { blockdev --getsz "$1"; }

# dm_queue NAME ATTR: the queue limit ATTR (discard_max_bytes, ...) of the
# dm device NAME, as sysfs shows it.
dm_queue() {
	cat "/sys/block/dm-$(dmsetup info -c --noheadings -o minor "$1")/queue/$2"
}

# fio_verify DEV [FIO OPTIONS...]: writes, then reads back and checks every
# block (crc32c and its header: offset, length, sequence). Fails on any I/O
# error or mismatch. Default: 4k..64k random writes over the whole device.
fio_verify() {
	local dev="$1" out rc a n args=
	shift
	# The debug kernel is many times slower: same tests, less data.
	if [ "${VAIO_DEBUG:-0}" = 1 ]; then
		for a in "$@"; do
			case $a in
			--size=*m)
				n=${a#--size=}
				n=$((${n%m} / 4))
				[ "$n" -ge 4 ] || n=4
				a=--size=${n}m
				;;
			--loops=*) a=--loops=1 ;;
			esac
			args="$args $a"
		done
		# shellcheck disable=SC2086 # the arguments have no spaces
		set -- $args
	fi
	out=$(fio --name=verify --filename="$dev" --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 \
		--output-format=json "$@" 2>/tmp/fio.err) && rc=0 || rc=$?
	if [ "$rc" != 0 ] || ! printf '%s' "$out" | fio_json_ok; then
		echo "fio exit $rc on $dev $*" >&2
		tail -n 20 /tmp/fio.err >&2
		printf '%s' "$out" | sed -n '/^{/,$p' |
			jq -r '.jobs[] | "job \(.jobname): error \(.error), wrote \(.write.io_kbytes) KiB, read \(.read.io_kbytes) KiB"' >&2
		return 1
	fi
}

# fio_json_ok: stdin is fio's JSON; true when every job has error 0.
fio_json_ok() {
	sed -n '/^{/,$p' | jq -e '[.jobs[].error] | all(. == 0)' >/dev/null
}

# vaio_peer CMD...: runs a shell command on the second guest (vaio-b) and
# prints its output; returns its exit status (125: the peer did not answer).
# Needs TOPOLOGY=2host. (busybox wget crashes with -T: none given.)
# VAIO_PEER_TIMEOUT=S: give up after S seconds (default 300). busybox's
# wget has no timeout of its own, and a call whose answer vaio-b's reset
# cut, after its request was acknowledged, would wait for ever. A call
# that gives up after the default (or with VAIO_PEER_REPORT=1) says so on
# stderr, with the command and whether vaio-b answers a ping.
vaio_peer() {
	local out rc req t="${VAIO_PEER_TIMEOUT:-300}"
	req=$(mktemp)
	printf '%s\n' "$*" >"$req"
	out=$(timeout -s KILL "$t" wget -q -O - --post-file="$req" http://vaio-b:7777/cgi-bin/run)
	rc=$?
	rm -f "$req"
	if [ "$rc" = 137 ] && { [ -z "$VAIO_PEER_TIMEOUT" ] || [ "${VAIO_PEER_REPORT:-0}" = 1 ]; }; then
		echo "vaio_peer: no answer from vaio-b within $t s: $(printf '%s\n' "$*" | head -n1 | cut -c1-100)"
		echo "vaio_peer: ping vaio-b: $(ping -c 2 -W 1 vaio-b 2>&1 | grep -m1 'packets\|bad\|unknown')"
	fi >&2
	[ "$rc" = 0 ] || return 125
	rc=$(printf '%s\n' "$out" | sed -n 's/^@@RC \([0-9]*\)@@$/\1/p' | tail -n1)
	printf '%s\n' "$out" | grep -v '^@@RC '
	[ -n "$rc" ] || return 125
	return "$rc"
}

# vaio_wait_peer: waits up to 30 s for the second guest's agent.
vaio_wait_peer() {
	for _ in $(seq 1 60); do
		vaio_peer true >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# vaio status INFO: <disk_id> <reads> <writes> <flushes> <discards> <errors>
#   <#filters> then per filter: <type> <class> <state> <#words> <words...>

# vaio_stat DEV FIELD: a core counter (disk_id reads writes flushes discards
# errors filters).
vaio_stat() {
	dmsetup status "$1" | awk -v f="$2" '{
		split("disk_id reads writes flushes discards errors filters", k, " ")
		for (i = 1; i <= 7; i++) if (k[i] == f) { print $(i + 3); exit }
	}'
}

# vaio_filter_words DEV TYPE: "<class> <state> <words...>" of one filter.
vaio_filter_words() {
	dmsetup status "$1" | awk -v t="$2" '{
		i = 11
		for (k = 0; k < $10; k++) {
			nw = $(i + 3)
			if ($i == t) {
				out = $(i + 1) " " $(i + 2)
				for (j = 0; j < nw; j++) out = out " " $(i + 4 + j)
				print out
				exit
			}
			i += 4 + nw
		}
	}'
}

# vaio_filter_state DEV TYPE: active, bypassed or failed.
vaio_filter_state() { vaio_filter_words "$1" "$2" | cut -d' ' -f2; }

# kunit_suite MODULE SUITE PREFIX MIN: the KUnit suite SUITE built into
# MODULE runs when it loads (kernels with KUnit: make check-debug); as
# KTAP results: it ran, no case failed, it plans at least MIN cases and
# all of them passed (their names start with PREFIX), MODULE unloads. On a
# kernel without KUnit, one skip.
kunit_suite() {
	local mod="$1" suite="$2" prefix="$3" min="$4" k=/sys/kernel/debug/kunit
	local r plan
	modprobe "$mod"
	if [ ! -d $k ]; then
		ktap_skip "KUnit suite $suite" "this kernel has no KUnit; make check-debug runs it"
		return 0
	fi
	r=$k/$suite/results
	ktap_check "suite $suite ran at module load" test -f "$r"
	sed 's/^/# /' "$r"
	ktap_fails "no case failed" grep -q 'not ok' "$r"
	plan=$(sed -n 's/^ *1\.\.\([0-9]*\)$/\1/p' "$r" | tail -n 1)
	ktap_check "the suite plans at least $min cases ($plan)" \
		test "${plan:-0}" -ge "$min"
	ktap_eq "all $plan cases passed" \
		"$(grep -c "^ *ok [0-9]* $prefix" "$r")" "$plan"
	ktap_check "module unloads" rmmod "$mod"
}

# vaio_filter_get DEV TYPE KEY: the value after KEY in the filter's words.
vaio_filter_get() {
	vaio_filter_words "$1" "$2" | awk -v k="$3" '{
		for (i = 3; i < NF; i++) if ($i == k) { print $(i + 1); exit }
	}'
}

# vaio_filters DEV: the filter types of DEV's status, in chain order.
vaio_filters() {
	dmsetup status "$1" | awk '{
		i = 11; out = ""
		for (k = 0; k < $10; k++) { out = out (k ? " " : "") $i; i += 4 + $(i + 3) }
		print out
	}'
}

# dev_sum_cmd DEV MIB: a shell command (for sh -c, or vaio_peer on the
# other guest) printing the md5 of DEV's first MIB MiB, read past the page
# cache: writes through dm reach the device below DEV's cache, which may
# hold what was read before. The cache is dropped first (BLKFLSBUF, which
# writes back a dirty page first, as a direct read would), then DEV read
# through it: md5sum reading a device of MIB MiB or less itself costs a
# third of dd's direct reads piped into sha256sum under TCG (2 s for 128
# MiB, not 6). A device that cannot be read prints a line that matches no
# other. dev_sum DEV MIB runs it here.
dev_sum_cmd() {
	printf '%s' "s=\$(blockdev --getsize64 $1) && blockdev --flushbufs $1 &&
		if [ \"\$s\" -le $(($2 << 20)) ]; then
			md5sum <$1
		else
			dd if=$1 bs=1M count=$2 iflag=direct 2>/dev/null | md5sum
		fi | cut -d' ' -f1 ||
		echo \"$1 unreadable \$(cat /proc/sys/kernel/random/uuid)\""
}
dev_sum() { sh -c "$(dev_sum_cmd "$1" "$2")"; }

# blk4k DEV N: the md5sum of 4 KiB block N of DEV, read around any page
# cache. put4k FILE DEV N: 4 KiB of FILE written to block N of DEV, direct.
blk4k() { dd if="$1" bs=4k skip="$2" count=1 iflag=direct 2>/dev/null | md5sum; }
put4k() { dd if="$1" of="$2" bs=4k seek="$3" count=1 oflag=direct conv=notrunc 2>/dev/null; }

# vaio_reactivate DEV FILTER: reactivates FILTER with DEV suspended, as a
# bypassed filter must be (vaioctl filter reactivate does the same); the
# message's exit status.
vaio_reactivate() {
	local rc
	dmsetup suspend "$1" || return 1
	dmsetup message "$1" 0 reactivate "$2" && rc=0 || rc=$?
	dmsetup resume "$1" || return 1
	return $rc
}

# slow SECS: a wait of SECS, five times as long under the debug kernel
# (as the harness's test timeouts are), for waits on work that runs at
# its pace (a resync of the whole disk).
slow() {
	if [ "${VAIO_DEBUG:-0}" = 1 ]; then echo $(($1 * 5)); else echo "$1"; fi
}

# vaio_reload DEV TABLE: replace DEV's table live (load, suspend, resume).
vaio_reload() {
	echo "$2" | dmsetup load "$1" && dmsetup suspend "$1" && dmsetup resume "$1"
}

# The control plane: vaioctl with a configuration of the test's own.
vaioctl_setup() {
	modprobe dm-vaio || return 1
	export VAIO_CONFDIR=/tmp/vaio-conf
	rm -rf "$VAIO_CONFDIR"
}

# vaio_conf_state: what an operation must leave as it was when it fails:
# the configuration files and every device-mapper table.
vaio_conf_state() {
	(cd "$VAIO_CONFDIR" 2>/dev/null && find . -type f ! -name .lock | sort |
		xargs -r md5sum)
	dmsetup table 2>/dev/null | sort
}

# vaioctl_bad DESC REGEX CMD...: CMD is refused with a one-line error
# matching REGEX, a non-zero exit status, and nothing changed.
vaioctl_bad() {
	local desc="$1" re="$2" before err rc
	shift 2
	before=$(vaio_conf_state)
	err=$("$@" 2>&1 >/dev/null) && rc=0 || rc=$?
	if [ "$rc" = 0 ]; then
		ktap_diag "accepted: $*"
		ktap_fail "$desc"
	elif [ "$(printf '%s\n' "$err" | wc -l)" != 1 ] ||
	     ! printf '%s\n' "$err" | grep -qE -- "$re"; then
		ktap_diag "command: $*" "stderr: $err" "expected one line matching: $re"
		ktap_fail "$desc"
	elif [ "$(vaio_conf_state)" != "$before" ]; then
		ktap_diag "command: $*" "changed the configuration or a table"
		ktap_fail "$desc"
	else
		ktap_ok "$desc (exit $rc: $err)"
	fi
}

# vaio_table_filters DEV: "type:arg,arg" per filter of DEV's table line.
vaio_table_filters() {
	dmsetup table "$1" | awk '{
		out = ""
		for (i = 5; i <= NF; i++) {
			if ($i != "filter") continue
			f = $(i + 1) ":" $(i + 2); n = $(i + 3)
			for (j = 0; j < n; j++) f = f "," $(i + 4 + j)
			out = out (out ? " " : "") f
			i += 3 + n
		}
		print out
	}'
}

# vaioctl_filters DISK: the same, from vaioctl -j disk show.
vaioctl_filters() {
	vaioctl -j disk show "$1" | jq -r '[.filters[] |
		([.type + ":fail_" + .fail] + .args | join(","))] | join(" ")'
}
