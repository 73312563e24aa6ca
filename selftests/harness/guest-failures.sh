#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="the guest runner fails fast, with the console tail, on a panic, a hang or a kernel warning; a sanitizer report of our programs fails a test; a boot hang or a panic before /init is retried once; a test that checks nothing fails"
HOST=1
CHECK=full                 # the test runner itself, not dm-vaio (about 330 s of guest boots beside both slots): make check-full
TIMEOUT=600
# Runs on the host: it boots guests whose tests go wrong on purpose.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/vm/vaio-vm

# expect DESC SCRIPT TIMEOUT WANT_RC MAX_SECS REGEX...: running SCRIPT exits
# with WANT_RC within MAX_SECS and prints lines matching every REGEX.
# VM_EXTRA: more vaio-vm options.
VM_EXTRA=()
expect() {
	local desc="$1" script="$2" timeout="$3" want="$4" max="$5" out rc start secs re bad=
	shift 5
	start=$(date +%s)
	out=$("$vm" --run "tools/vm/testdata/$script" --timeout "$timeout" --smp 1 "${VM_EXTRA[@]}" 2>&1) && rc=0 || rc=$?
	secs=$(($(date +%s) - start))
	[ "$rc" = "$want" ] && [ "$secs" -le "$max" ] || bad="exit $rc after ${secs}s, want $want within $max s"
	for re in "$@"; do
		grep -Eq -- "$re" <<<"$out" || bad="$bad; no line matches '$re'"
	done
	if [ -n "$bad" ]; then
		ktap_diag "$script: $bad" "$(tail -n 15 <<<"$out")"
		ktap_fail "$desc"
	else
		ktap_ok "$desc (${secs}s)"
	fi
}

# ktap_finish itself: a test that checks nothing, or not what it planned,
# cannot pass.
ktap_rc() { bash -c ". '$top/selftests/lib/ktap.sh'; $1" >/dev/null 2>&1; echo $?; }
ktap_eq "ktap: no test point fails" "$(ktap_rc 'ktap_finish')" 1
ktap_eq "ktap: fewer than planned fails" "$(ktap_rc 'ktap_plan 2; ktap_ok a; ktap_finish')" 1
ktap_eq "ktap: as planned passes" "$(ktap_rc 'ktap_plan 1; ktap_ok a; ktap_finish')" 0
ktap_eq "ktap: all skipped is a skip" "$(ktap_rc 'ktap_skip a; ktap_finish')" 4

expect "kernel panic: reported with the console tail" panic.sh 60 125 40 \
	'guest a died' 'Kernel panic - not syncing: sysrq triggered crash'
expect "hang: a timeout that names the blocked task" hang.sh 10 143 60 \
	'TIMEOUT: .*hang.sh still running after 10s' 'task:dd .*state:D'
expect "kernel warning fails a passing script" warn.sh 30 1 40 \
	'KERNEL PROBLEM' 'planted_by_harness_test'
expect "a sanitizer report of our programs fails a passing script" sanitizer.sh 30 1 40 \
	'USERSPACE PROBLEM' 'planted_sanitizer_report'
expect "a UBSan report it printed fails a passing script" ubsan.sh 30 1 40 \
	'USERSPACE PROBLEM.*UBSan' 'planted_ubsan_report'
# A boot that hangs before /init costs the boot timeout, not the test's:
# booted again once, and reported; twice is a failure.
# (30 s: this test runs beside two others, whose guests slow a boot.)
VM_EXTRA=(--boot-timeout 30 --env BOOT_HANG=1)
expect "boot hang: killed after the boot timeout, booted again, test runs" \
	warn.sh 30 1 100 'BOOT HANG: guest a did not reach /init within 30s \(attempt 1 of 2\)' \
	'planted_by_harness_test'
VM_EXTRA=(--boot-timeout 30 --env BOOT_HANG=2)
expect "boot hang twice: the guest is given up" warn.sh 30 125 100 \
	'attempt 2 of 2' 'hung or died in boot twice'
# A kernel that dies before /init (planted: a crash where the hang is):
# booted again once, and reported; twice is a failure.
VM_EXTRA=(--env BOOT_PANIC=1)
expect "boot panic: booted again, test runs" warn.sh 30 1 100 \
	'BOOT PANIC: guest a died before /init \(attempt 1 of 2\)' \
	'sysrq triggered crash' 'planted_by_harness_test'
VM_EXTRA=(--env BOOT_PANIC=2)
expect "boot panic twice: the guest is given up" warn.sh 30 125 100 \
	'BOOT PANIC: .*attempt 2 of 2' 'hung or died in boot twice'
# Two guests, b hangs in its first boot while a already ran its test and
# planted a warning: that boot's console is scanned too, the retry's pass
# does not hide it.
VM_EXTRA=(--hosts 2 --boot-timeout 40 --env BOOT_HANG=1 --env BOOT_HANG_ROLE=b)
expect "a problem in a boot given up still fails the test" warn-first-boot.sh 30 1 150 \
	'BOOT HANG: guest b did not reach /init' \
	'KERNEL PROBLEM on guest a.boot1' 'planted_in_first_boot'
# The same, the test failing in the boot given up: it fails.
expect "a test failed in a boot given up still fails" fail-first-boot.sh 30 1 150 \
	'BOOT HANG: guest b did not reach /init' \
	'KERNEL PROBLEM on guest a.boot1' 'planted_failure_in_first_boot'
# Two guests, a test that waits on vaio-b past its timeout: the report has
# what it waited for and the network as both guests' QEMU sees it.
VM_EXTRA=(--hosts 2)
expect "two guests, a timeout: the network report" net-wait.sh 20 143 90 \
	'TIMEOUT: .*net-wait.sh still running after 20s' 'vaio_peer|wget' \
	'QEMU monitor of guest b \(2 of 2\)' 'queue_index: +1' 'last_avail_idx' \
	'console tail of guest b' 'digest of the timeout' \
	'a pings vaio-b: 2 packets transmitted, 2 packets received' \
	'guest b virtio-net used/avail: rx [0-9]+/[0-9]+ tx [0-9]+/[0-9]+ -> rx'
ktap_finish
