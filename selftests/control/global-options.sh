#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl's global options after the object (-j, -p, -C) are taken only where getopt sees an option: never the value of a command's option (a mark or a sort key -j)"
HOST=1
TIMEOUT=60
# Runs on the host: each command here stops at its options, before it asks
# the kernel anything (or fails for want of the module, exit 1, not 2).
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# make check: the sanitizer build (VAIO_USERSPACE).
vaioctl=${VAIO_USERSPACE:-$top/userspace}/vaioctl/vaioctl
VAIO_CONFDIR=$(mktemp -d)
export VAIO_CONFDIR
trap 'rm -rf "$VAIO_CONFDIR"' EXIT

# said DESC REGEX ARGS...: vaioctl ARGS fails with a message matching
# REGEX on stderr.
said() {
	local desc=$1 re=$2 err
	shift 2
	err=$("$vaioctl" "$@" 2>&1 >/dev/null)
	if grep -qE -- "$re" <<<"$err"; then
		ktap_ok "$desc"
	else
		ktap_diag "vaioctl $*" "stderr: $err" "expected: $re"
		ktap_fail "$desc"
	fi
}

# The value of an option that takes one: long, shortened, short, last of
# a run of short options, whatever the global option it looks like.
said "--uuid -j: the uuid -j" "--uuid '-j': not a UUID" \
	cache pool create --uuid -j p /dev/nonexistent
said "-m -p: the memory -p" "--memory '-p': give a whole number" \
	cache pool create p /dev/nonexistent -m -p
said "--timeout -j" "--timeout: '-j' is not a number of seconds" \
	repl wait d0 --timeout -j
said "--tim (shortened) -C" "--timeout: '-C' is not a number of seconds" \
	repl wait d0 --tim -C
said "-t -p" "--timeout: '-p' is not a number of seconds" repl demote d0 -t -p
said "-ft --pretty (-f -t)" "--timeout: '--pretty' is not a number of seconds" \
	repl demote d0 -ft --pretty
said "--sort -jp" "--sort: unknown key '-jp'" stats --sort -jp
said "-rt -j (-r -t)" "--top needs a positive number, not '-j'" stats -rt -j
said "--count --json" "--count needs a positive number, not '--json'" monitor --count --json
err=$("$vaioctl" repl promote d0 --mark -j 2>&1 >/dev/null) && rc=0 || rc=$?
ktap_eq "promote --mark -j: the mark -j, no usage error ($err)" "$rc" 1

# Where getopt sees an option they are still the global ones: after an
# option without a value, or with an optional one, and after a value.
said "monitor -t -j: -j is global (-t takes no value)" \
	"--count needs a positive number, not '0'" monitor -t -j -c 0
said "stats --watch -j: -j is global (--watch's value is optional)" \
	"--sort: unknown key 'x'" stats --watch -j --sort x
said "stats --top 3 -p: -p is global" "--sort: unknown key 'x'" stats --top 3 -p --sort x
said "cache pool create -m 4 -C DIR: -C is global, DIR its value" \
	"--uuid 'u': not a UUID" cache pool create -m 4 -C /nonexistent p /dev/x --uuid u
ktap_finish
