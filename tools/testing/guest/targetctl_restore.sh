#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the save/restore suite, second boot: `targetctl restore` of the first
# boot's $OUT/saved.json (as the target service does at boot) must rebuild the same
# configuration: saving it again gives the same JSON, and the LUNs are disks again.
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
check "[$impl] targetctl restore" targetctl restore "$OUT/saved.json"
check "[$impl] targetctl save after restore" targetctl save "$OUT/restored.json"
targetcli ls >"$OUT/ls-restored.txt" 2>&1
n=0
for i in $(seq 100); do
	n=$(ls -d /sys/devices/tcm_loop_0/tcm_loop_adapter_*/host*/target*/*:*/block/* 2>/dev/null | wc -l)
	[ "$n" -ge 2 ] && break
	sleep 0.1
done
check_eq "[$impl] both restored LUNs are disks" 2 "$n"
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
