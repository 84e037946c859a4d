#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the tcm_loop reference run: a 64 MiB ramdisk LUN on tcm_loop made with
# targetcli, probed with sg3_utils, then libiscsi's iscsi-test-cu -t SCSI on its sg node.
# Writes into $OUT: probes/*.txt, iscsi-test-cu.log, CUnitAutomated-Results.xml,
# libiscsi-version.txt. Runs against whichever modules `modprobe` finds.
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
tests=${1:-SCSI}
xml=${2:-}   # "xml": also run with -x and keep CUnitAutomated-Results.xml

check "[$impl] targetcli creates a ramdisk" targetcli /backstores/ramdisk create name=rd0 size=64M
check "[$impl] targetcli creates a loopback target" targetcli /loopback create naa.50014050aabbccdd
check "[$impl] targetcli creates a LUN" targetcli /loopback/naa.50014050aabbccdd/luns create /backstores/ramdisk/rd0
targetcli ls >"$OUT/targetcli-ls.txt" 2>&1

sg=""
for i in $(seq 50); do
	for d in /sys/class/scsi_generic/sg*; do
		[ -e "$d/device/vendor" ] || continue
		if grep -q LIO-ORG "$d/device/vendor"; then
			sg=/dev/${d##*/}
		fi
	done
	[ -n "$sg" ] && break
	sleep 0.2
done
if [ -z "$sg" ]; then
	not_ok "[$impl] the LUN appears as a LIO-ORG SCSI device"
	exit 1
fi
ok "[$impl] the LUN appears as a LIO-ORG SCSI device ($sg)"

mkdir -p "$OUT/probes"
probe() { # probe NAME COMMAND...
	local name=$1
	shift
	"$@" >"$OUT/probes/$name.txt" 2>&1
	echo "exit=$?" >>"$OUT/probes/$name.txt"
}
probe sg_inq sg_inq "$sg"
probe sg_vpd_a sg_vpd -a "$sg"
probe sg_readcap_l sg_readcap -l "$sg"
probe sg_modes_a sg_modes -a "$sg"
probe sg_luns sg_luns "$sg"
ok "[$impl] sg3_utils probes recorded"

dpkg-query -W -f='${Package} ${Version}\n' libiscsi-bin >"$OUT/libiscsi-version.txt"
cd "$OUT" || exit 1
if [ "$xml" = xml ]; then
	timeout 1500 iscsi-test-cu -d -x -t "$tests" "$sg" >"$OUT/iscsi-test-cu-xml.log" 2>&1
	echo "exit=$?" >>"$OUT/iscsi-test-cu-xml.log"
fi
timeout 1500 iscsi-test-cu -d -t "$tests" "$sg" >"$OUT/iscsi-test-cu.log" 2>&1
rc=$?
echo "exit=$rc" >>"$OUT/iscsi-test-cu.log"
if [ "$rc" = 255 ] || [ "$rc" = 124 ]; then
	not_ok "[$impl] iscsi-test-cu ran (exit $rc)"
else
	ok "[$impl] iscsi-test-cu ran"
fi
cd /
check "[$impl] targetcli deletes the loopback target" targetcli /loopback delete naa.50014050aabbccdd
check "[$impl] targetcli deletes the ramdisk" targetcli /backstores/ramdisk delete rd0
# rtslib's clearconfig loads iscsi_target_mod: lio-rs has none until issue 4.
if modinfo iscsi_target_mod >/dev/null 2>&1; then
	check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
fi
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
