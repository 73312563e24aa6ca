#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-bench.sh: the guest side of tools/bench/bench (busybox sh).
#
# Runs every workload x device x config of tools/bench/matrix and leaves each
# run's fio JSON in /outbox/r<REP>.<DEVICE>.<WORKLOAD>.<CONFIG>.json; a table
# that does not load leaves <same>.na with the reason instead. Settings come
# from the host (vaio-vm --env): VAIO_REPEAT, VAIO_RUNTIME, VAIO_RAMP, and
# VAIO_DEVICES, VAIO_WORKLOADS, VAIO_CONFIGS (comma separated; default all).
#
# Order: for each repeat, for each workload, for each device, every config
# back to back, the configs' order rotated by one each repeat.
# Any fio failure stops the run with a non-zero exit.
#
# shellcheck shell=dash disable=SC2086 # the lists of names are split on purpose
set -u
# shellcheck source=../../selftests/lib/vaio.sh
. /vaio/selftests/lib/vaio.sh
# shellcheck source=lib.sh
. /vaio/tools/bench/lib.sh

MATRIX=/vaio/tools/bench/matrix
OUT=/outbox
DM=vbench
REPEAT=${VAIO_REPEAT:-3}
RUNTIME=${VAIO_RUNTIME:-4}
RAMP=${VAIO_RAMP:-1}

mkdir -p "$OUT"
# init hands /outbox back on the virtio disk with serial vaio-outbox, but
# does not load virtio_blk (a module in the cloud kernel; no udev to do it).
modprobe virtio_blk 2>/dev/null

# names KIND [LIST]: the LIST (commas) if given, else every NAME of KIND.
names() {
	if [ -n "${2:-}" ]; then
		echo "$2" | tr ',' ' '
	else
		awk -v k="$1" '$1 == k { printf "%s%s", s, $2; s = " " }' "$MATRIX"
	fi
}
# item KIND NAME: the rest of that line.
item() {
	awk -v k="$1" -v n="$2" '$1 == k && $2 == n {
		sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]*/, ""); print; exit }' "$MATRIX"
}
count() { echo $#; }
now() { cut -d. -f1 /proc/uptime; }

trap dm_gone EXIT

DEVICES=$(names device "${VAIO_DEVICES:-}")
WORKLOADS=$(names workload "${VAIO_WORKLOADS:-}")
CONFIGS=$(names config "${VAIO_CONFIGS:-}")
TOTAL=$((REPEAT * $(count $DEVICES) * $(count $WORKLOADS) * $(count $CONFIGS)))

{
	guest_meta
	echo "devices=$DEVICES"
	echo "workloads=$WORKLOADS"
	echo "configs=$CONFIGS"
} >"$OUT/meta"

MODULES=$(awk '$1 == "modules" { $1 = ""; print }' "$MATRIX")
for m in $MODULES; do
	modprobe "$m" 2>/dev/null || echo "bench: note: module $m not loaded"
done
for d in $DEVICES; do
	setup=$(item device "$d")
	[ -n "$setup" ] || { echo "bench: FAIL: no device '$d' in the matrix"; exit 1; }
	echo "bench: setting up $d: ${setup#* }"
	sh -c "${setup#* }" || { echo "bench: FAIL: setting up $d"; exit 1; }
	path=${setup%% *}
	[ -b "$path" ] || { echo "bench: FAIL: $d: no $path"; exit 1; }
done

# run_one REP DEVICE WORKLOAD CONFIG
run_one() {
	local tag="r$1.$2.$3.$4" path sectors table fio_args rc err stats el
	path=$(item device "$2")
	path=${path%% *}
	sectors=$(dev_sectors "$path")
	table=$(item config "$4" | sed "s|{N}|$sectors|g; s|{DEV}|$path|g")
	fio_args=$(item workload "$3")
	if [ -z "$table" ] || [ -z "$fio_args" ]; then
		echo "bench: FAIL: $tag: not in the matrix"
		exit 1
	fi
	N=$((N + 1))

	if ! err=$(dm_create "$DM" "$table" 2>&1); then
		err="$(echo "$err" | head -n1 | sed 's/  */ /g') ($(dmesg |
			sed -n 's/^\[[ 0-9.]*\] device-mapper: table: //p' | tail -n1))"
		echo "$table: $err" >"$OUT/$tag.na"
		printf '[%3d/%d] r%s %-8s %-17s %-12s n/a: %s\n' "$N" "$TOTAL" "$1" "$2" "$3" "$4" "$err"
		dm_gone
		return 0
	fi
	fio --name="$tag" --filename="/dev/mapper/$DM" --ioengine=libaio --direct=1 \
		--numjobs=1 --time_based --runtime="$RUNTIME" --ramp_time="$RAMP" \
		$fio_args --output-format=json >/tmp/fio.out 2>/tmp/fio.err && rc=0 || rc=$?
	dm_gone
	if [ "$rc" != 0 ] || ! fio_json_ok </tmp/fio.out; then
		echo "bench: FAIL: fio exit $rc on $tag ($table; $fio_args)"
		sed 's/^/  | /' /tmp/fio.err | tail -n 20
		sed -n '/^{/,$p' /tmp/fio.out |
			jq -r '.jobs[] | "  | job \(.jobname): error \(.error)"' 2>/dev/null
		exit 1
	fi
	sed -n '/^{/,$p' /tmp/fio.out >"$OUT/$tag.json"
	stats=$(jq -r '.jobs[0] | [.read, .write] | max_by(.io_bytes) |
		"\(.iops | floor) \(.clat_ns.percentile["99.000000"] / 1000 | floor)"' "$OUT/$tag.json")
	el=$(($(now) - START))
	printf '[%3d/%d] r%s %-8s %-17s %-12s %8s IOPS  p99 %6s us   (%dm%02ds, ~%dm left)\n' \
		"$N" "$TOTAL" "$1" "$2" "$3" "$4" "${stats% *}" "${stats#* }" \
		$((el / 60)) $((el % 60)) $((((TOTAL - N) * el / N + 30) / 60))
}

echo "bench: $TOTAL runs: $REPEAT repeats x workloads ($WORKLOADS) x devices ($DEVICES) x configs ($CONFIGS), ${RUNTIME}s + ${RAMP}s ramp each"
N=0
START=$(now)
r=1
while [ "$r" -le "$REPEAT" ]; do
	order=$(rotate $((r - 1)) $CONFIGS)
	for w in $WORKLOADS; do
		for d in $DEVICES; do
			for c in $order; do
				run_one "$r" "$d" "$w" "$c"
			done
		done
	done
	r=$((r + 1))
done
echo "bench: done, $N runs in $(($(now) - START))s"
