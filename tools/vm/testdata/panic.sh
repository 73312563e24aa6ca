#!/bin/sh
# Harness self-test: the guest kernel panics mid-test.
echo "about to crash"
echo c >/proc/sysrq-trigger
