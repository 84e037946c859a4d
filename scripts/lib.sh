# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for lio-rs scripts. Sourced, not executed.

LIO_RS_T0=${LIO_RS_T0:-$(date +%s)}
export LIO_RS_T0

# Print a progress line with the elapsed time since the first script started.
stage() {
	local now
	now=$(date +%s)
	printf '[lio-rs %4ds] %s\n' "$((now - LIO_RS_T0))" "$*" >&2
}

die() {
	printf 'lio-rs: error: %s\n' "$*" >&2
	exit 1
}

export PATH="$HOME/.cargo/bin:$PATH"

LIO_RS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kernel builds live outside the repository so that fresh clones reuse them.
LIO_RS_CACHE=${LIO_RS_CACHE:-/var/cache/lio-rs}
