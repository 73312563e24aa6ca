#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod's connect decision (every rule of vaio_repl_decide()), handshake (right and wrong secrets, hostile input, secret-file rules), vaio-ackwriter's checks, and libvaio's cache pool tables, statuses and records, as unit tests"
HOST=1
TIMEOUT=120
# Runs on the host: plain userspace, no kernel needed.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

for t in repl-decide-test repl-handshake-test vaio-ackwriter-test.sh pool-conf-test; do
	bin=${VAIO_USERSPACE:-$top/userspace}/tests/$t
	out=$("$bin" 2>&1) && rc=0 || rc=$?
	n_ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	n_bad=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" = 0 ] && [ "$n_bad" = 0 ] && [ "$n_ok" -gt 0 ]; then
		ktap_ok "$t: $n_ok cases"
	else
		ktap_diag "$out"
		ktap_fail "$t: exit $rc, $n_bad of $((n_ok + n_bad)) cases failed"
	fi
done
ktap_finish
