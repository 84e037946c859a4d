#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the target_core configfs root suite. Runs against whichever
# target_core_mod `modprobe` finds (lio-rs or C LIO) and writes the observed tree to
# $OUT/tree-$LIO_RS_IMPL.txt for the host to compare the two.
set -u
. "$(dirname "$0")/../lib.sh"
T=/sys/kernel/config/target
impl=${LIO_RS_IMPL:-?}

check "[$impl] modprobe target_core_mod" modprobe target_core_mod
if [ ! -d $T ]; then
	not_ok "[$impl] $T exists after loading"
	exit 1
fi

# The tree as a listing: type, mode and path of everything under target/.
(cd $T && find . -mindepth 1 -printf '%y %m %P\n' | sort) >"$OUT/tree-$impl.txt"

check "[$impl] version text" \
	grep -Eq "^Target Engine Core ConfigFS Infrastructure v5\.0 on $(uname -s)/$(uname -m) on $(uname -r)\$" $T/version
check_eq "[$impl] version is one line" 1 "$(wc -l <$T/version)"
check_eq "[$impl] dbroot prefers /etc/target when it exists" /etc/target "$(cat $T/dbroot)"
# Writes go through bash, whose echo reports the errno (dash's says "I/O error").
put() { bash -c 'echo "$1" > "$2"' put "$1" "$2"; }

check "[$impl] dbroot accepts a directory" put /tmp $T/dbroot
check_eq "[$impl] dbroot reads back without the newline" /tmp "$(cat $T/dbroot)"
check "[$impl] dbroot accepts a path without newline" sh -c "printf /etc/target > $T/dbroot"
check_eq "[$impl] dbroot reads back" /etc/target "$(cat $T/dbroot)"
check_fails "[$impl] dbroot rejects a missing directory" "No such file or directory" put /no/such/dir $T/dbroot
check "[$impl] dbroot refusal is logged" sh -c "dmesg | grep -q 'db_root: cannot open: /no/such/dir'"
check_fails "[$impl] dbroot rejects a regular file" "Not a directory" put /etc/hostname $T/dbroot
check "[$impl] a regular file is logged as not a directory" \
	sh -c "dmesg | grep -q 'db_root: not a directory: /etc/hostname'"
check_eq "[$impl] dbroot unchanged after refusals" /etc/target "$(cat $T/dbroot)"
# A shorter path written without a newline. The C LIO copies it with strncpy() bounded
# by its length, so no NUL is copied and the old path's tail survives: a C defect that
# lio-rs does not share. The check records each implementation's behaviour.
printf /tmp >$T/dbroot
if [ "$impl" = c ]; then
	check_eq "[$impl] dbroot after printf /tmp (C LIO keeps the old tail)" /tmp/target "$(cat $T/dbroot)"
else
	check_eq "[$impl] dbroot after printf /tmp" /tmp "$(cat $T/dbroot)"
fi
put /etc/target $T/dbroot
check_fails "[$impl] version is read-only" "Permission denied" put x $T/version

G=$T/core/alua/lu_gps/default_lu_gp
check "[$impl] core/alua/lu_gps/default_lu_gp exists" test -d $G
check_eq "[$impl] default_lu_gp lu_gp_id" 0 "$(cat $G/lu_gp_id)"
check_eq "[$impl] default_lu_gp has no members" "" "$(cat $G/members)"
check_fails "[$impl] default_lu_gp keeps its ID" "Invalid argument" put 5 $G/lu_gp_id
check_fails "[$impl] lu_gp_id rejects a non-number" "Invalid argument" put abc $G/lu_gp_id
check_fails "[$impl] lu_gp_id rejects more than 16 bits" "Invalid argument" put 65536 $G/lu_gp_id
check_fails "[$impl] rmdir of a default group is refused" "Operation not permitted" rmdir $G

# HBAs: core/<plugin>_<N>.
C=$T/core
check "[$impl] mkdir core/rd_mcp_0" mkdir $C/rd_mcp_0
check_eq "[$impl] hba_info of the first HBA" "HBA Index: 1 plugin: rd_mcp version: v5.0" "$(cat $C/rd_mcp_0/hba_info)"
check_eq "[$impl] hba_mode" 0 "$(cat $C/rd_mcp_0/hba_mode)"
check_fails "[$impl] rd_mcp has no hba_mode" "Invalid argument" put 1 $C/rd_mcp_0/hba_mode
check_fails "[$impl] an HBA name needs a _" "Invalid argument" mkdir $C/rdmcp
check_fails "[$impl] an HBA index is a number" "Invalid argument" mkdir $C/rd_mcp_x
check_fails "[$impl] an unknown backend is refused" "Invalid argument" mkdir $C/nosuch_0
check_fails "[$impl] an HBA name is shorter than 64" "File name too long" \
	mkdir $C/rd_mcp_$(printf '1%.0s' $(seq 60))
check "[$impl] mkdir core/rd_mcp_0x10 (hex index)" mkdir $C/rd_mcp_0x10
check_eq "[$impl] refused HBAs take no index" "HBA Index: 2 plugin: rd_mcp version: v5.0" \
	"$(cat $C/rd_mcp_0x10/hba_info)"
check "[$impl] dmesg names the missing _" \
	sh -c "dmesg | grep -q 'Unable to locate \"_\" for \\\$SUBSYSTEM_PLUGIN_\\\$HOST_ID'"
(cd $T && find . -mindepth 1 -printf '%y %m %P\n' | sort) >"$OUT/tree-hba-$impl.txt"
check "[$impl] rmdir the HBAs" rmdir $C/rd_mcp_0 $C/rd_mcp_0x10
check "[$impl] mkdir after rmdir" mkdir $C/rd_mcp_1
check_eq "[$impl] HBA indexes are not reused" "HBA Index: 3 plugin: rd_mcp version: v5.0" "$(cat $C/rd_mcp_1/hba_info)"
check "[$impl] rmmod is refused while an HBA exists" sh -c "! rmmod target_core_mod 2>/dev/null"
check "[$impl] rmdir core/rd_mcp_1" rmdir $C/rd_mcp_1
check "[$impl] an HBA with a long name (allocated by configfs)" \
	sh -c "mkdir $C/rd_mcp_00000000000000000000000000042 && rmdir $C/rd_mcp_00000000000000000000000000042"

# Reading every readable attribute works (no oops, no error).
readable=$(find $T -type f -perm -0444)
for f in $readable; do
	cat "$f" >/dev/null 2>&1 || not_ok "[$impl] read $f"
done
ok "[$impl] every readable attribute reads"

# target_core_mod and the backend modules the first HBA loaded.
unload_target() {
	local m
	for m in $(ls /sys/module/target_core_mod/holders 2>/dev/null); do
		rmmod "$m" || return 1
	done
	rmmod target_core_mod
}
check "[$impl] unload target_core_mod and its backends" unload_target
check "[$impl] the tree is gone after rmmod" test ! -e $T
check "[$impl] modprobe again" modprobe target_core_mod
check "[$impl] rmmod again" rmmod target_core_mod
exit $((LIO_TESTS_FAILED > 0))
