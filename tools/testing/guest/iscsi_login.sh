#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the iSCSI login suite: targetcli makes an iSCSI target with a ramdisk LUN,
# portals on 127.0.0.1:3260 and [::1]:3260 and an ACL for open-iscsi's initiator name;
# open-iscsi (iscsid started here) discovers it, logs in without authentication, with
# CHAP, mutual CHAP and header/data digests, the disk passes fio verification, logout
# and login again work; wrong secrets, unknown targets and initiators without an ACL are
# refused; libiscsi's iscsi-ls/iscsi-inq reach the target in demo mode; a write-protected
# mapped LUN, and any LUN in demo mode under demo_mode_write_protect, fails writes with
# DATA PROTECT. Runs against whichever modules `modprobe`
# finds (lio-rs with --impl rust, the C LIO with --impl c).
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
IQN=iqn.2003-01.org.linux-iscsi.lio-rs:login
P=/iscsi/$IQN/tpg1
cfs=/sys/kernel/config/target/iscsi/$IQN/tpgt_1
INAME=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
OUT=${OUT:-/tmp}

tcli() { targetcli "$@" >>"$OUT/targetcli.log" 2>&1; }
node() { iscsiadm -m node -T "$IQN" -p "$1" "${@:2}"; }
setn() { node "$1" -o update -n "$2" -v "$3" >/dev/null; }
logout_all() { iscsiadm -m node -u >/dev/null 2>&1; }
# Fresh node records (no credentials left from an earlier test).
fresh() {
	logout_all
	iscsiadm -m node -o delete >/dev/null 2>&1
	iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null 2>&1
}

# The disk of the (single) iSCSI session's LUN 0.
session_disk() {
	local i d
	for i in $(seq 100); do
		for d in /sys/class/iscsi_session/session*/device/target*/*:0:0:0/block/*; do
			if [ -e "$d" ]; then
				echo "/dev/${d##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

check "[$impl] targetcli creates a 64M ramdisk" tcli /backstores/ramdisk create name=rd0 size=64M
check "[$impl] targetcli creates the iSCSI target" tcli /iscsi create $IQN
check "[$impl] targetcli maps the ramdisk as LUN 0" tcli $P/luns create /backstores/ramdisk/rd0
tcli $P/portals delete 0.0.0.0 3260
check "[$impl] portal 127.0.0.1:3260" tcli $P/portals create 127.0.0.1 3260
check "[$impl] portal [::1]:3260" tcli $P/portals create ::1 3260
check "[$impl] an ACL for $INAME" tcli $P/acls create "$INAME"
check "[$impl] no authentication" tcli $P set attribute authentication=0
check "[$impl] the portals are directories" test -d "$cfs/np/127.0.0.1:3260" -a -d "$cfs/np/[::1]:3260"

# A port another socket holds cannot be a portal.
python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 3262)); s.listen(); time.sleep(30)' &
holder=$!
# Python starts slowly under TCG: wait until the port is really held.
for i in $(seq 300); do
	ss -ltn 2>/dev/null | grep -q '127.0.0.1:3262 ' && break
	sleep 0.1
done
# (lio-rs returns EADDRINUSE, the C LIO EINVAL.)
check_fails "[$impl] a portal on a port in use is refused" "cannot create directory" \
	mkdir "$cfs/np/127.0.0.1:3262"
kill $holder 2>/dev/null
wait $holder 2>/dev/null

# Junk and vanishing connections do not harm the portal.
junk() {
	exec 3<>/dev/tcp/127.0.0.1/3260 || return 1
	head -c 300 /dev/urandom >&3
	exec 3>&-
	exec 3<>/dev/tcp/127.0.0.1/3260 || return 1
	exec 3>&-
	exec 3<>/dev/tcp/127.0.0.1/3260 || return 1
	printf '\x43\x87\x00\x00\x00\x00\x10\x00' >&3 # half a Login Request, then gone
	exec 3>&-
}
check "[$impl] junk and half-sent PDUs are sent to the portal" junk

mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
modprobe iscsi_tcp
check "[$impl] iscsid starts" iscsid
sleep 1

disc=$(iscsiadm -m discovery -t st -p 127.0.0.1 2>&1)
echo "$disc" >"$OUT/discovery.txt"
check "[$impl] SendTargets lists 127.0.0.1:3260,1" grep -qx "127.0.0.1:3260,1 $IQN" "$OUT/discovery.txt"
check "[$impl] SendTargets lists [::1]:3260,1" grep -qx "\[::1\]:3260,1 $IQN" "$OUT/discovery.txt"

check "[$impl] login without authentication" node 127.0.0.1 --login
if dev=$(session_disk); then
	ok "[$impl] the LUN appears as a disk ($dev)"
	check_eq "[$impl] the disk has 64 MiB" 67108864 "$(blockdev --getsize64 "$dev")"
	check "[$impl] fio randrw verify=crc32c iodepth=16 passes" \
		fio --name=verify --filename="$dev" --ioengine=libaio --direct=1 --rw=randrw \
		--bs=4k --iodepth=16 --size=16M --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output="$OUT/fio-verify.txt"
	check "[$impl] fio 1 MiB sequential writes verify (R2T sequences)" \
		fio --name=seq --filename="$dev" --ioengine=libaio --direct=1 --rw=write \
		--bs=1M --iodepth=4 --size=16M --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output="$OUT/fio-seq.txt"
	cat "$cfs/acls/$INAME/info" >"$OUT/info.txt" 2>&1
	check "[$impl] the ACL's info shows the session" grep -q "^LIO Session ID: .*SessionType: Normal" "$OUT/info.txt"
	check "[$impl] the ACL's info shows the connection" grep -q "TARG_CONN_STATE_LOGGED_IN" "$OUT/info.txt"
	check_eq "[$impl] the session's ErrorRecoveryLevel" 0 "$(cat "$cfs/acls/$INAME/param/ErrorRecoveryLevel")"
	check_eq "[$impl] the session's MaxConnections" 1 "$(cat "$cfs/acls/$INAME/param/MaxConnections")"
	targetcli sessions detail >"$OUT/sessions.txt" 2>&1
	check "[$impl] targetcli sessions lists the initiator" grep -q "$INAME" "$OUT/sessions.txt"
	# Write protection of the mapped LUN: DATA PROTECT.
	echo 1 >"$cfs/acls/$INAME/lun_0/write_protect"
	sg_raw -s 512 -i /dev/zero "$dev" 2a 00 00 00 00 00 00 00 01 00 >"$OUT/wp.txt" 2>&1
	check "[$impl] a write to a write-protected mapped LUN fails with DATA PROTECT" \
		grep -qi "data protect" "$OUT/wp.txt"
	echo 0 >"$cfs/acls/$INAME/lun_0/write_protect"
else
	not_ok "[$impl] the LUN appears as a disk"
fi
check "[$impl] logout" node 127.0.0.1 --logout
check "[$impl] no session left in the ACL's info" grep -q "^No active iSCSI Session" "$cfs/acls/$INAME/info"
check "[$impl] login again" node 127.0.0.1 --login
check "[$impl] the disk is back" session_disk
check "[$impl] logout again" node 127.0.0.1 --logout
check "[$impl] login over IPv6 ([::1]:3260)" node "[::1]:3260" --login
check "[$impl] the disk appears over IPv6" session_disk
check "[$impl] logout over IPv6" node "[::1]:3260" --logout

# Header and data digests.
setn 127.0.0.1 node.conn[0].iscsi.HeaderDigest CRC32C
setn 127.0.0.1 node.conn[0].iscsi.DataDigest CRC32C
check "[$impl] login with header and data digests" node 127.0.0.1 --login
iscsiadm -m session -P 2 >"$OUT/digests.txt" 2>&1
check "[$impl] HeaderDigest CRC32C negotiated" grep -q "HeaderDigest: CRC32C" "$OUT/digests.txt"
check "[$impl] DataDigest CRC32C negotiated" grep -q "DataDigest: CRC32C" "$OUT/digests.txt"
if dev=$(session_disk); then
	check "[$impl] fio verify with digests" \
		fio --name=dig --filename="$dev" --ioengine=libaio --direct=1 --rw=randrw \
		--bs=16k --iodepth=8 --size=8M --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output="$OUT/fio-digests.txt"
else
	not_ok "[$impl] the disk appears with digests"
fi
check "[$impl] logout (digests)" node 127.0.0.1 --logout
setn 127.0.0.1 node.conn[0].iscsi.HeaderDigest None
setn 127.0.0.1 node.conn[0].iscsi.DataDigest None

# CHAP, one way and mutual.
tcli $P/acls/$INAME set auth userid=lio-user password=lio-secret-0123
tcli $P set attribute authentication=1
setn 127.0.0.1 node.session.auth.authmethod CHAP
setn 127.0.0.1 node.session.auth.username lio-user
setn 127.0.0.1 node.session.auth.password lio-secret-0123
check "[$impl] login with CHAP" node 127.0.0.1 --login
check "[$impl] the disk appears with CHAP" session_disk
check "[$impl] logout (CHAP)" node 127.0.0.1 --logout
setn 127.0.0.1 node.session.auth.password wrong-secret-999
check_fails "[$impl] a wrong CHAP secret is refused" "authorization failure" node 127.0.0.1 --login
fresh
check_fails "[$impl] no CHAP when the target enforces it is refused" "authorization failure" node 127.0.0.1 --login
fresh
setn 127.0.0.1 node.session.auth.authmethod CHAP
setn 127.0.0.1 node.session.auth.username lio-user
setn 127.0.0.1 node.session.auth.password lio-secret-0123
tcli $P/acls/$INAME set auth mutual_userid=lio-target mutual_password=lio-target-secret1
setn 127.0.0.1 node.session.auth.username_in lio-target
setn 127.0.0.1 node.session.auth.password_in lio-target-secret1
check "[$impl] login with mutual CHAP" node 127.0.0.1 --login
check "[$impl] the disk appears with mutual CHAP" session_disk
check "[$impl] logout (mutual CHAP)" node 127.0.0.1 --logout
setn 127.0.0.1 node.session.auth.password_in wrong-target-secret
check_fails "[$impl] a wrong target secret is refused by the initiator" "Could not log" node 127.0.0.1 --login
tcli $P set attribute authentication=0
fresh

# Refused logins.
iscsiadm -m node -o new -T iqn.2003-01.org.example:no-such-target -p 127.0.0.1 >/dev/null 2>&1
check_fails "[$impl] an unknown target is refused" "Could not log" \
	iscsiadm -m node -T iqn.2003-01.org.example:no-such-target -p 127.0.0.1 --login
iscsiadm -m node -o delete -T iqn.2003-01.org.example:no-such-target >/dev/null 2>&1
tcli $P/acls delete "$INAME"
check_fails "[$impl] an initiator without an ACL is refused (demo mode off)" "authorization failure" \
	node 127.0.0.1 --login

# Demo mode, and libiscsi's tools (their own initiator names).
tcli $P set attribute generate_node_acls=1 demo_mode_write_protect=0
check "[$impl] login in demo mode" node 127.0.0.1 --login
check "[$impl] the disk appears in demo mode" session_disk
grep -q "$INAME" "$cfs/dynamic_sessions" && ok "[$impl] dynamic_sessions lists the initiator" ||
	not_ok "[$impl] dynamic_sessions lists the initiator"
check "[$impl] a write in demo mode without demo_mode_write_protect succeeds" \
	sg_raw -s 512 -i /dev/zero "$(session_disk)" 2a 00 00 00 00 00 00 00 01 00
check "[$impl] logout (demo mode)" node 127.0.0.1 --logout
# demo_mode_write_protect=1 (LIO's default) makes a new dynamic ACL's disks read-only.
# generate_node_acls=1 turns cache_dynamic_acls on, so the ACL made at the first login
# stays after its logout with its access: a write still succeeds. An explicit ACL of
# that name takes its place; once deleted, the next login gets a new, read-only one.
tcli $P set attribute demo_mode_write_protect=1
check "[$impl] login again in demo mode (cached dynamic ACL)" node 127.0.0.1 --login
check "[$impl] the cached dynamic ACL keeps its write access" \
	sg_raw -s 512 -i /dev/zero "$(session_disk)" 2a 00 00 00 00 00 00 00 01 00
check "[$impl] logout (cached dynamic ACL)" node 127.0.0.1 --logout
check "[$impl] an explicit ACL replaces the cached dynamic one" tcli $P/acls create "$INAME"
check "[$impl] deleting it drops the dynamic ACL" tcli $P/acls delete "$INAME"
check "[$impl] login in write-protected demo mode" node 127.0.0.1 --login
# -R: the disk is read-only for Linux too (MODE SENSE's WP bit), so open it read-only.
sg_raw -R -s 512 -i /dev/zero "$(session_disk)" 2a 00 00 00 00 00 00 00 01 00 >"$OUT/demo-wp.txt" 2>&1
check "[$impl] a write in write-protected demo mode fails with DATA PROTECT" \
	grep -qi "data protect" "$OUT/demo-wp.txt"
check "[$impl] logout (write-protected demo mode)" node 127.0.0.1 --logout
tcli $P set attribute demo_mode_write_protect=0
iscsi-ls -s iscsi://127.0.0.1 >"$OUT/iscsi-ls.txt" 2>&1
check "[$impl] iscsi-ls lists the target" grep -q "$IQN" "$OUT/iscsi-ls.txt"
iscsi-inq "iscsi://127.0.0.1/$IQN/0" >"$OUT/iscsi-inq.txt" 2>&1
check "[$impl] iscsi-inq reads the standard INQUIRY" grep -q "LIO-ORG" "$OUT/iscsi-inq.txt"
iscsi-inq "iscsi://[::1]/$IQN/0" >"$OUT/iscsi-inq6.txt" 2>&1
check "[$impl] iscsi-inq over IPv6" grep -q "LIO-ORG" "$OUT/iscsi-inq6.txt"

# A session survives until its portal goes: rmdir of the portals tears it down.
node 127.0.0.1 --login >/dev/null 2>&1
check "[$impl] rmdir of a portal with a session" rmdir "$cfs/np/127.0.0.1:3260"
check "[$impl] rmdir of the IPv6 portal" rmdir "$cfs/np/[::1]:3260"
logout_all
iscsiadm -m node -o delete >/dev/null 2>&1
iscsiadm -k 0 >/dev/null 2>&1
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
unload_target_stack "$impl"
exit 0
