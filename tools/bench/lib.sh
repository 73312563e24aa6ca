# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers of the guest sides of tools/bench (busybox sh), sourced after
# selftests/lib/vaio.sh. Some use the script's variables: DM (the device
# under test), OUT (where results go), FILTER, BENCH (its name).

# rotate N WORD...: the words, rotated left N times (the order of the
# configurations in repeat N).
rotate() {
	local n="$1"
	shift
	n=$((n % $#))
	while [ "$n" -gt 0 ]; do
		set -- "$@" "$1"
		shift
		n=$((n - 1))
	done
	echo "$*"
}

# dm_gone [DEV...]: removes each device (by default $DM) that is there,
# retrying while it is busy; exits the run if one cannot go.
dm_gone() {
	local d i
	[ $# -gt 0 ] || set -- "$DM"
	for d in "$@"; do
		dmsetup info "$d" >/dev/null 2>&1 || continue
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ "$i" -gt 1 ] && sleep 0.5
			dmsetup remove "$d" 2>/dev/null && continue 2
		done
		echo "bench: FAIL: cannot remove $d"
		dmsetup info "$d"
		exit 1
	done
	return 0
}

# log MSG...: a progress line, stamped with the guest's uptime.
log() { echo "# $(cut -d' ' -f1 /proc/uptime)s: $*"; }

# fail MSG...: "$BENCH: FAIL: MSG" (BENCH: the script's name, e.g.
# bench-crypt), and the run ends (exit 1).
fail() { echo "${BENCH:-bench}: FAIL: $*"; exit 1; }

# wanted WORD...: true when the words match $FILTER (an extended regex;
# empty: every run is wanted).
wanted() { [ -z "$FILTER" ] || echo "$*" | grep -Eq -- "$FILTER"; }

# dmdev NAME: the block device of device-mapper device NAME (dm-<minor>),
# as under /sys/block.
dmdev() { echo "dm-$(dmsetup info -c --noheadings -o minor "$1")"; }

# fio_keep RC FILE TAG ROW: the end of a fio run that exited RC, its
# JSON in FILE and its stderr in FILE.err. A failed run (exit status or
# a job's error) ends the bench with fio's last lines; else its JSON is
# kept as $OUT/TAG.json and "ROW IOPS BW_BYTES P50_US P99_US" of its
# first job (reads, or writes if it read nothing) appended to
# $OUT/results.tsv.
fio_keep() {
	local rc="$1" f="$2" t="$3" row="$4"
	if [ "$rc" != 0 ] || ! fio_json_ok <"$f"; then
		sed 's/^/  | /' "$f.err" | tail -n 20
		fail "$t: fio exit $rc"
	fi
	sed -n '/^{/,$p' "$f" >"$OUT/$t.json"
	jq -r --arg p "$row" '.jobs[0] |
		(if .read.total_ios > 0 then .read else .write end) as $d |
		"\($p) \($d.iops) \($d.bw_bytes) \($d.clat_ns.percentile["50.000000"] / 1000) \($d.clat_ns.percentile["99.000000"] / 1000)"' \
		"$OUT/$t.json" >>"$OUT/results.tsv"
	rm -f "$f" "$f.err"
}

# log_row REP DEV WORKLOAD: one progress line of what every config made
# of this row in $OUT/results.tsv (fio_keep's), MB/s for the workloads
# named seq*, IOPS for the others; nothing if none ran.
log_row() {
	grep -q "^$1 $2 $3 " "$OUT/results.tsv" 2>/dev/null || return 0
	log "$1 $2 $3: $(awk -v r="$1" -v d="$2" -v w="$3" '$1 == r && $2 == d && $3 == w {
		printf "%s %.0f  ", $4, ($3 ~ /^seq/ ? $6 / 1e6 : $5) }' "$OUT/results.tsv")"
}

# guest_meta: the first lines of a guest's meta file: kernel, fio, CPUs,
# memory, and the run's REPEAT, RUNTIME and (if set) RAMP.
guest_meta() {
	echo "kernel=$(uname -r)"
	echo "fio=$(fio --version)"
	echo "cpus=$(nproc)"
	echo "mem_mib=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024))"
	echo "repeat=$REPEAT"
	echo "runtime=$RUNTIME"
	[ -z "${RAMP:-}" ] || echo "ramp=$RAMP"
}
