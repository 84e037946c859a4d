#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the save/restore suite, first boot: targetcli builds a configuration
# and saves it to $OUT/saved.json (what `targetctl save` writes at shutdown).
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
wwn=naa.50014050aabbcc02
check "[$impl] targetcli creates ramdisk rd0" targetcli /backstores/ramdisk create name=rd0 size=32M
check "[$impl] targetcli creates nullio ramdisk rd1" \
	targetcli /backstores/ramdisk create name=rd1 size=16M nullio=true
check "[$impl] targetcli sets an attribute" targetcli /backstores/ramdisk/rd0 set attribute emulate_write_cache=1
check "[$impl] targetcli creates a loopback target" targetcli /loopback create $wwn
check "[$impl] targetcli maps rd0 as LUN 0" targetcli /loopback/$wwn/luns create /backstores/ramdisk/rd0
check "[$impl] targetcli maps rd1 as LUN 3" \
	targetcli /loopback/$wwn/luns create /backstores/ramdisk/rd1 lun=3
check "[$impl] targetctl save" targetctl save "$OUT/saved.json"
targetcli ls >"$OUT/ls-saved.txt" 2>&1
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
check_eq "[$impl] nothing is left after clearconfig" "" \
	"$(ls /sys/kernel/config/target/core | grep -v alua)"
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
