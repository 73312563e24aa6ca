#!/bin/sh
# Harness self-test: a kernel problem only in the first boot (vaio-vm's
# attempt 1); the script passes in every boot.
if [ "${VAIO_ATTEMPT:-1}" = 1 ]; then
	echo "WARNING: CPU: 0 PID: 1 at fake.c:1 planted_in_first_boot" >/dev/kmsg
fi
exit 0
