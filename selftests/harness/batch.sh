#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="tests batched in one guest (vaio-test --batch): each gets a guest as boot left it, its own verdict (exit status, kernel warning), and one that holds a device or panics ends the batch, the rest not counted as run"
HOST=1
TIMEOUT=400
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
# Runs on the host: batches of planted scripts (tools/vm/testdata/batch-*).
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/vm/vaio-vm
logs=$(mktemp -d /tmp/vaio-batch.XXXXXX)
trap 'rm -rf "$logs"' EXIT
d=tools/vm/testdata

# batch NAME SCRIPT...: run them as one batch (30 s each); the logs in
# $logs/NAME.
batch() {
	local name=$1 run='' limits='' s
	shift
	for s in "$@"; do
		run+=${run:+:}$d/$s
		limits+=${limits:+:}30
	done
	"$vm" --run "$run" --timeout "$limits" --smp 1 --logdir "$logs/$name" \
		>"$logs/$name.out" 2>&1
}
# rc NAME I: test I's exit status, "none" if it did not run.
rc() { cat "$logs/$1/test-$2.rc" 2>/dev/null || echo none; }

batch one batch-leave.sh warn.sh batch-fresh.sh batch-fail.sh batch-fresh.sh
ktap_eq "batch: vaio-vm itself succeeds" "$?" 0
ktap_eq "a passing test that left devices, modules, mounts behind passes" "$(rc one 1)" 0
ktap_eq "a kernel warning fails its own test" "$(rc one 2)" 1
ktap_check "... named in its problems" grep -q planted_by_harness_test "$logs/one/test-2.problems"
ktap_eq "the next test finds the guest as boot left it" "$(rc one 3)" 0
ktap_check "... it says so" grep -q '^fresh$' "$logs/one/test-3.log"
ktap_eq "a failing test keeps its exit status" "$(rc one 4)" 3
ktap_eq "the test after a failure runs, in a fresh guest" "$(rc one 5)" 0
ktap_check "the warning is not in the others' problems" \
	bash -c "! grep -q planted '$logs/one/test-1.problems' '$logs/one/test-3.problems'"

batch two batch-hold.sh batch-fresh.sh
ktap_eq "a test holding a device open passes" "$(rc two 1)" 0
ktap_eq "... and the batch ends: the next is not run" "$(rc two 2)" none
ktap_check "... the reason on the result log" grep -q 'batch: dm devices left' "$logs/two/test-1.log"

batch three batch-fresh.sh panic.sh batch-fresh.sh
ktap_eq "a test before a panic passes" "$(rc three 1)" 0
ktap_eq "the test that panicked fails" "$(rc three 2)" 125
ktap_check "... with the console tail" grep -q 'sysrq triggered crash' "$logs/three/test-2.problems"
ktap_eq "the test after the panic is not run" "$(rc three 3)" none

ktap_finish
