#!/bin/bash
# annex join watchdog (installed by annex's boot script as
# /usr/local/libexec/annex/join-watch, run by annex-join-watch.service):
#   join-watch DEADLINE_EPOCH
# Powers the instance off (which terminates it) when it has not joined the
# pool by DEADLINE_EPOCH (boot + ANNEX_JOIN_TIMEOUT). Joined means what
# `annex -status` counts as in-pool: the collector holds a startd ad whose
# EC2InstanceID is this instance's id (from the metadata service), asked with
# the node's own condor_status and configuration. Once joined it records so
# in /var/lib/annex/joined and exits for good. ANNEX_JOIN_POLL_S sets the
# round (default 30 s).
set -u
PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091 # installed beside this program (say, imds_get)
. "$(dirname "${BASH_SOURCE[0]}")/watch-lib.sh" || exit 1
joined_file=/var/lib/annex/joined
poll=${ANNEX_JOIN_POLL_S:-30}
deadline=${1:-}
case "$deadline" in
'' | *[!0-9]*)
	echo "join-watch: usage: join-watch DEADLINE_EPOCH" >&2
	exit 2
	;;
esac

joined() {
	local id ads
	command -v condor_status >/dev/null 2>&1 || return 1
	id=$(imds_get meta-data/instance-id) && [[ "$id" =~ ^i-[0-9a-f]{8,32}$ ]] || return 1
	ads=$(timeout 60 condor_status -startd -constraint "EC2InstanceID == \"$id\"" -af EC2InstanceID 2>/dev/null) ||
		return 1
	grep -qxF -- "$id" <<<"$ads"
}

[ -e "$joined_file" ] && exit 0
while :; do
	if joined; then
		mkdir -p "${joined_file%/*}" && : >"$joined_file"
		say "this instance is in the pool; the join watchdog ends"
		exit 0
	fi
	power_off_or_wait "$deadline" "$poll" "not in the pool by %s (ANNEX_JOIN_TIMEOUT): powering off"
done
