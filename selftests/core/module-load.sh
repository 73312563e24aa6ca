#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="dm-vaio loads, registers the vaio target, and unloads"
TIMEOUT=60
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

ktap_check "modprobe dm-vaio" modprobe dm-vaio
ktap_match "vaio target registered" "$(dmsetup targets)" '^vaio +v[0-9]+\.[0-9]+\.[0-9]+'
ktap_match "module listed" "$(lsmod)" '^dm_vaio '
ktap_check "rmmod dm-vaio" rmmod dm-vaio
ktap_fails "vaio target gone after unload" sh -c 'dmsetup targets | grep -q "^vaio "'
# dm core loads the target by name ("dm-vaio") on first use.
brd_setup 4
ktap_check "table load autoloads the module" dm_create auto "0 8192 vaio /dev/ram0"
ktap_check "device removed" dm_remove auto
ktap_check "module unloads after use" rmmod dm-vaio
ktap_finish
