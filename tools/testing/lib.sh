# SPDX-License-Identifier: GPL-2.0
# Test helpers for lio-rs suites, on the host and in the guest. Sourced.
# Results are TAP-like lines: "ok - NAME" / "not ok - NAME", counted by run-all.

LIO_TESTS_FAILED=${LIO_TESTS_FAILED:-0}

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	LIO_TESTS_FAILED=$((LIO_TESTS_FAILED + 1))
}

# check NAME COMMAND...: one result from a command's exit status; its output is shown
# only on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		printf '%s\n' "$out" | sed 's/^/    # /' | head -n 20
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "    # expected: $(printf '%q' "$2")"
		echo "    # actual:   $(printf '%q' "$3")"
	fi
}

# check_fails NAME ERRNO-TEXT COMMAND...: the command must fail and print ERRNO-TEXT
# (e.g. "Invalid argument").
check_fails() {
	local name=$1 want=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		not_ok "$name (succeeded, expected: $want)"
	elif [[ "$out" == *"$want"* ]]; then
		ok "$name"
	else
		not_ok "$name (expected: $want)"
		printf '%s\n' "$out" | sed 's/^/    # /' | head -n 10
	fi
}

# unload_target_stack IMPL: in the guest, remove what targetcli leaves in configfs (the
# fabric directories) and unload target_core_mod with every module that uses it, one
# result per module.
unload_target_stack() {
	local impl=$1 d m users pass
	for d in /sys/kernel/config/target/*/; do
		case $d in */core/) continue ;; esac
		rmdir "$d/discovery_auth" 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	for pass in 1 2 3 4; do
		users=$(awk '$1 == "target_core_mod" {print $4}' /proc/modules | tr ',' ' ' | tr -d -)
		for m in $users; do
			check "[$impl] rmmod $m" rmmod "$m"
		done
		[ -z "$users" ] && break
	done
	if grep -q '^target_core_mod ' /proc/modules; then
		check "[$impl] rmmod target_core_mod" rmmod target_core_mod
	fi
}

# record_probes NAME DEV (guest): the sg3_utils answers of a LUN into $OUT/probes-NAME/,
# which compare_probes compares between lio-rs and the C LIO.
record_probes() {
	local name=$1 dev=$2 p
	mkdir -p "$OUT/probes-$name"
	for p in "sg_inq sg_inq" "sg_vpd_a sg_vpd -a" "sg_readcap_l sg_readcap -l" \
		"sg_modes_a sg_modes -a" "sg_luns sg_luns"; do
		set -- $p
		local file=$1
		shift
		"$@" "$dev" >"$OUT/probes-$name/$file.txt" 2>&1
		echo "exit=$?" >>"$OUT/probes-$name/$file.txt"
	done
}

# ext4_round_trip DEV MNT (guest): mkfs.ext4 on DEV, a 16 MiB random file written through
# MNT, unmounted, caches dropped, mounted again: the file must read back with the same
# sha256. Uses $impl in the check names.
ext4_round_trip() {
	local dev=$1 mnt=$2 want
	head -c 16M /dev/urandom >/tmp/pattern
	want=$(sha256sum </tmp/pattern)
	check "[$impl] mkfs.ext4 on the LUN" mkfs.ext4 -q -F "$dev"
	mkdir -p "$mnt"
	check "[$impl] mount the LUN" mount "$dev" "$mnt"
	cp /tmp/pattern "$mnt/pattern" && sync
	check "[$impl] umount after writing" umount "$mnt"
	echo 3 >/proc/sys/vm/drop_caches
	check "[$impl] mount again" mount "$dev" "$mnt"
	check_eq "[$impl] the file reads back with the same sha256" "$want" "$(sha256sum <"$mnt/pattern")"
	check "[$impl] umount" umount "$mnt"
}

# compare_probes DIR NAME (host): the probes NAME of DIR/c and DIR/rust must be the same
# after normalising generated serials and NAA designators; one result per probe.
compare_probes() {
	local dir=$1 name=$2 p probe r
	local norm
	norm=$(dirname "${BASH_SOURCE[0]}")/normalise-probe
	for p in "$dir"/c/probes-$name/*.txt; do
		[ -e "$p" ] || { not_ok "[c] $name probes recorded"; return; }
		probe=$(basename "$p" .txt)
		r=$dir/rust/probes-$name/$probe.txt
		if [ ! -f "$r" ]; then
			not_ok "[rust] $name $probe recorded"
			continue
		fi
		if diff -u <("$norm" <"$p") <("$norm" <"$r") >"$dir/$name-$probe.diff"; then
			ok "$name LUN: $probe of lio-rs matches the C LIO's"
		else
			not_ok "$name LUN: $probe of lio-rs matches the C LIO's"
			sed 's/^/    # /' "$dir/$name-$probe.diff" | head -n 30
		fi
	done
}
