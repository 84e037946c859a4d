#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the initiator-loss suite: open-iscsi writes numbered 32 KiB chunks with
# O_DIRECT (each chunk's number is logged once its write has returned, i.e. was
# acknowledged) when the initiator dies: iscsid is killed with SIGKILL and the loopback
# link goes down until the initiator's NOP-Out timeout fails the connection. Then the
# link comes back, iscsid starts again and recovers the session (a new login, session
# reinstatement on the target); the writer finishes. After a logout and a fresh login
# every acknowledged chunk must read back as written.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
impl=${LIO_RS_IMPL:-?}
IQN=iqn.2003-01.org.linux-iscsi.lio-rs:loss
P=/iscsi/$IQN/tpg1
INAME=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
OUT=${OUT:-/tmp}
CHUNKS=1536 # 48 MiB of 32 KiB chunks

tcli() { targetcli "$@" >>"$OUT/targetcli.log" 2>&1; }
check "[$impl] a 64M ramdisk" tcli /backstores/ramdisk create name=rd0 size=64M
check "[$impl] the iSCSI target" tcli /iscsi create $IQN
check "[$impl] LUN 0" tcli $P/luns create /backstores/ramdisk/rd0
tcli $P/portals delete 0.0.0.0 3260
check "[$impl] portal 127.0.0.1:3260" tcli $P/portals create 127.0.0.1 3260
check "[$impl] an ACL for $INAME" tcli $P/acls create "$INAME"
check "[$impl] no authentication" tcli $P set attribute authentication=0

mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
modprobe iscsi_tcp
check "[$impl] iscsid starts" iscsid
sleep 1
iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null 2>&1
# Fail the connection quickly when the link is gone; recover within the replacement time.
iscsiadm -m node -T $IQN -p 127.0.0.1 -o update -n node.conn[0].timeo.noop_out_interval -v 2
iscsiadm -m node -T $IQN -p 127.0.0.1 -o update -n node.conn[0].timeo.noop_out_timeout -v 2
iscsiadm -m node -T $IQN -p 127.0.0.1 -o update -n node.session.timeo.replacement_timeout -v 300

disk() {
	local i d
	for i in $(seq 100); do
		for d in /sys/class/iscsi_session/session*/device/target*/*:0:0:0/block/*; do
			[ -e "$d" ] && { echo "/dev/${d##*/}"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
check "[$impl] open-iscsi logs in" iscsiadm -m node -T $IQN -p 127.0.0.1 --login
if ! dev=$(disk); then
	not_ok "[$impl] the disk appears"
	exit 1
fi
ok "[$impl] the disk appears ($dev)"

# The writer: chunk i holds "chunk i" and a pattern of i; its number goes to done.log
# after os.write() returned.
cat >"$OUT/writer.py" <<'PY'
import mmap, os, struct, sys
dev, chunks, done = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fd = os.open(dev, os.O_WRONLY | os.O_DIRECT)
log = os.open(done, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
buf = mmap.mmap(-1, 32768)
for i in range(chunks):
    buf.seek(0)
    buf.write((struct.pack(">I", i) + b"lio-rs chunk" + bytes([i & 0xFF]) * 16) * 1024)
    os.pwrite(fd, buf, i * 32768)
    os.write(log, b"%d\n" % i)
PY
: >"$OUT/done.log"
python3 "$OUT/writer.py" "$dev" $CHUNKS "$OUT/done.log" 2>"$OUT/writer.err" &
writer=$!
for i in $(seq 600); do
	[ "$(wc -l <"$OUT/done.log")" -ge 200 ] && break
	sleep 0.1
done
before=$(wc -l <"$OUT/done.log")
echo "# chunks acknowledged before the initiator dies: $before"

# The initiator dies: iscsid killed, the connection severed.
kill -9 $(pidof iscsid)
ip link set lo down
sleep 12
grep -h . /sys/class/iscsi_session/session*/state >"$OUT/state-during.txt" 2>&1
check "[$impl] the session failed while the link was down" grep -q FAILED "$OUT/state-during.txt"
during=$(wc -l <"$OUT/done.log")
ip link set lo up
sleep 1
check "[$impl] iscsid starts again and recovers the session" iscsid
for i in $(seq 300); do
	grep -q LOGGED_IN /sys/class/iscsi_session/session*/state 2>/dev/null && break
	sleep 0.2
done
check "[$impl] the session is logged in again" sh -c "grep -q LOGGED_IN /sys/class/iscsi_session/session*/state"
for i in $(seq 600); do
	kill -0 $writer 2>/dev/null || break
	sleep 0.5
done
if kill -0 $writer 2>/dev/null; then
	not_ok "[$impl] the writer finishes after the recovery"
	kill -9 $writer
else
	wait $writer
	check_eq "[$impl] the writer finishes after the recovery without an error" 0 "$?"
fi
after=$(wc -l <"$OUT/done.log")
echo "# chunks acknowledged: $before before, $during while down, $after at the end"
sed 's/^/# writer: /' "$OUT/writer.err" | head -n 5

check "[$impl] logout" iscsiadm -m node -T $IQN -p 127.0.0.1 --logout
check "[$impl] a fresh login" iscsiadm -m node -T $IQN -p 127.0.0.1 --login
if dev=$(disk); then
	python3 - "$dev" "$OUT/done.log" >"$OUT/compare.txt" 2>&1 <<'PY'
import os, struct, sys
dev, done = sys.argv[1], sys.argv[2]
acked = [int(x) for x in open(done).read().split()]
fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
import mmap
buf = mmap.mmap(-1, 32768)
bad = []
for i in acked:
    os.preadv(fd, [buf], i * 32768)
    want = (struct.pack(">I", i) + b"lio-rs chunk" + bytes([i & 0xFF]) * 16) * 1024
    if buf[:] != want:
        bad.append(i)
print(f"{len(acked)} acknowledged chunks read back, {len(bad)} differ: {bad[:20]}")
sys.exit(1 if bad or not acked else 0)
PY
	rc=$?
	sed 's/^/# /' "$OUT/compare.txt"
	check_eq "[$impl] every acknowledged chunk reads back as written" 0 "$rc"
else
	not_ok "[$impl] the disk appears after the fresh login"
fi
check "[$impl] logout at the end" iscsiadm -m node -T $IQN -p 127.0.0.1 --logout
iscsiadm -m node -o delete >/dev/null 2>&1
iscsiadm -k 0 >/dev/null 2>&1
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
