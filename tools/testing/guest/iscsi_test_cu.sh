#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the libiscsi conformance suite over iSCSI: targetcli makes an iSCSI target
# on 127.0.0.1:3260 with a 64 MiB ramdisk as LUN 0 and ACLs for libiscsi's two initiator
# names (iscsi-test-cu logs in a second session as the second name for the
# two-nexus tests), then `iscsi-test-cu -d -x -t TESTS iscsi://127.0.0.1/IQN/0`.
# Writes into $OUT: iscsi-test-cu.log, CUnitAutomated-Results.xml, targetcli.log.
# Runs against whichever modules `modprobe` finds.
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
tests=${1:-ALL}
limit=${2:-900}
IQN=iqn.2003-01.org.linux-iscsi.lio-rs:test-cu
P=/iscsi/$IQN/tpg1
I1=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test
I2=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2
OUT=${OUT:-/tmp}

tcli() { targetcli "$@" >>"$OUT/targetcli.log" 2>&1; }
check "[$impl] targetcli creates a 64M ramdisk" tcli /backstores/ramdisk create name=rd0 size=64M
check "[$impl] targetcli creates the iSCSI target" tcli /iscsi create $IQN
check "[$impl] targetcli maps the ramdisk as LUN 0" tcli $P/luns create /backstores/ramdisk/rd0
tcli $P/portals delete 0.0.0.0 3260
check "[$impl] portal 127.0.0.1:3260" tcli $P/portals create 127.0.0.1 3260
check "[$impl] an ACL for $I1" tcli $P/acls create $I1
check "[$impl] an ACL for $I2" tcli $P/acls create $I2
check "[$impl] no authentication" tcli $P set attribute authentication=0
targetcli ls >>"$OUT/targetcli.log" 2>&1

dpkg-query -W -f='${Package} ${Version}\n' libiscsi-bin >"$OUT/libiscsi-version.txt"
cd "$OUT" || exit 1
start=$(date +%s)
timeout "$limit" iscsi-test-cu -d -x -t "$tests" "iscsi://127.0.0.1/$IQN/0" \
	>"$OUT/iscsi-test-cu.log" 2>&1
rc=$?
echo "exit=$rc seconds=$(($(date +%s) - start))" >>"$OUT/iscsi-test-cu.log"
echo "# [$impl] iscsi-test-cu -t $tests: exit $rc after $(($(date +%s) - start)) s"
# 124: timeout; 255: iscsi-test-cu's own error; above 128: killed by a signal (SIGPIPE
# when the target resets a connection libiscsi is still writing to).
if [ "$rc" -ge 124 ] || [ ! -s "$OUT/CUnitAutomated-Results.xml" ]; then
	not_ok "[$impl] iscsi-test-cu ran to its end (exit $rc)"
else
	ok "[$impl] iscsi-test-cu ran to its end"
fi
cd /
# The target still serves after the whole suite.
check "[$impl] iscsi-inq works after the suite" sh -c \
	"iscsi-inq -i $I1 iscsi://127.0.0.1/$IQN/0 | grep -q LIO-ORG"
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
