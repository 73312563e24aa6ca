#!/bin/sh
# Harness self-test: the script passes but the kernel logged a problem.
echo "WARNING: CPU: 0 PID: 1 at fake.c:1 planted_by_harness_test" >/dev/kmsg
exit 0
