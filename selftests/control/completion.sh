#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="bash completion of vaioctl: every object, command and option its usage texts list is offered where it goes (so that an option without completion fails here)"
HOST=1
TIMEOUT=60
# Runs on the host: vaioctl --help needs no kernel. Drives _vaioctl as
# bash does (COMP_LINE, COMP_WORDS...) and reads COMPREPLY.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# make check: the sanitizer build (VAIO_USERSPACE).
vaioctl=${VAIO_USERSPACE:-$top/userspace}/vaioctl/vaioctl
# shellcheck source=../../userspace/vaioctl/vaioctl.bash-completion
. "$top/userspace/vaioctl/vaioctl.bash-completion"
# No records, no devices of the host's: only the words themselves.
VAIO_CONFDIR=$(mktemp -d)
export VAIO_CONFDIR
trap 'rm -rf "$VAIO_CONFDIR"' EXIT

# offered WORD...: what completing the last WORD ("" for a new one)
# offers, one a line.
offered() {
	COMP_WORDS=("$vaioctl" "$@")
	COMP_CWORD=$#
	COMP_LINE="$vaioctl $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vaioctl 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}"
}

# check_offered DESC WANTED... -- WORD...: each of WANTED is offered.
check_offered() {
	local desc=$1 want=() w missing='' got
	shift
	while [[ $1 != -- ]]; do want+=("$1"); shift; done
	shift
	got=$(offered "$@")
	for w in "${want[@]}"; do
		grep -qxF -- "$w" <<<"$got" || missing+=" $w"
	done
	if [[ -z $missing ]]; then
		ktap_ok "$desc"
	else
		ktap_diag "vaioctl $*<TAB> offers:" "$got" "missing:$missing"
		ktap_fail "$desc"
	fi
}

main=$("$vaioctl" --help)
objects=$(sed -n 's/^OBJECT := //p' <<<"$main" | tr -d '|')
ktap_eq "the main usage lists the objects" "$(wc -w <<<"$objects")" 11
# shellcheck disable=SC2086 # a list
check_offered "objects" $objects -- ""
# shellcheck disable=SC2046
check_offered "global options" $(sed -n 's/^OPTIONS := //p' <<<"$main" | grep -o -- '--[a-z-]*') -- "-"
after=()
grep -q -- '-j, -p and -C also after OBJECT' <<<"$main" && after=(--json --pretty --confdir)

# Each object's usage: a line per command ("Usage: vaioctl OBJECT COMMAND
# ..." or "       vaioctl ..."; cache: "cache pool COMMAND"; stats,
# monitor, apply: no command), continued on lines that begin with
# blanks and "[". Its options are the --words of its lines.
n=0
for obj in $objects; do
	cmds=$(  "$vaioctl" "$obj" --help | awk -v obj="$obj" '
		/^(Usage: | +)vaioctl / {
			if (line != "") print line
			sub(/^(Usage: | +)vaioctl /, ""); line = $0; next }
		/^ +\[/ { line = line " " $0; next }
		{ if (line != "") print line; line = "" }
		END { if (line != "") print line }')
	while read -r o rest; do
		[[ $o == "$obj" ]] || continue
		words=("$obj")
		[[ $obj == cache ]] && { words+=(pool); rest=${rest#pool }; }
		cmd=${rest%% *}
		cmd=${cmd#[}
		if [[ $cmd =~ ^[a-z][a-z-]*$ ]]; then
			check_offered "$obj: command $cmd" "$cmd" -- "${words[@]}" ""
			words+=("$cmd")
		fi
		# shellcheck disable=SC2207 # words
		opts=($(grep -o -- '--[a-z][a-z-]*' <<<"$rest" | sort -u))
		check_offered "${words[*]}: options ${opts[*]:+${opts[*]} }--help ${after[*]}" \
			"${opts[@]}" --help "${after[@]}" -- "${words[@]}" "-"
		n=$((n + 1))
	done <<<"$cmds"
done
# filter 3, policy 7, disk 4, cache 4, stats, event, monitor, apply, repl 9,
# crypt 6, cbt 3
ktap_eq "every usage line was read" "$n" 40

# Option values the usage texts name.
keys=$("$vaioctl" stats --help | sed -n '/^KEY :=/,/default/p' | sed 's/^KEY :=//; s/(default.*//' | tr -d '|')
# shellcheck disable=SC2086
check_offered "stats --sort: every KEY" $keys -- stats --sort ""
states=$("$vaioctl" repl --help | sed -n 's/^STATE := //p' | tr -d '|')
# shellcheck disable=SC2086
check_offered "repl wait --conn: every STATE" $states -- repl wait d0 --conn ""
ktap_finish
