#!/bin/bash
# annex lease backstop (installed by annex's boot script as
# /usr/local/libexec/annex/lease-watch, run by annex-lease.service):
#   lease-watch LEASE_END_EPOCH
# Powers the instance off (which terminates it) once the lease has ended.
# The lease end is the instance's own htcondor:LeaseExpiration tag, read from
# the metadata service on every round so that `annex -duration` is followed;
# the last value read (at first the launch's LEASE_END_EPOCH) stands in when
# the tag cannot be read. ANNEX_LEASE_POLL_S sets the round (default 60 s).
set -u
PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091 # installed beside this program (say, imds_get)
. "$(dirname "${BASH_SOURCE[0]}")/watch-lib.sh" || exit 1
tag_path=meta-data/tags/instance/htcondor:LeaseExpiration
poll=${ANNEX_LEASE_POLL_S:-60}
lease_end=${1:-}
case "$lease_end" in
'' | *[!0-9]*)
	echo "lease-watch: usage: lease-watch LEASE_END_EPOCH" >&2
	exit 2
	;;
esac

while :; do
	if tag=$(imds_get "$tag_path") && [ -n "$tag" ]; then
		if end=$(date -u -d "$tag" +%s 2>/dev/null); then
			if [ "$end" != "$lease_end" ]; then
				say "lease end is now $tag"
			fi
			lease_end=$end
		else
			say "ignoring unreadable htcondor:LeaseExpiration '$tag'" >&2
		fi
	fi
	power_off_or_wait "$lease_end" "$poll" "the lease ended at %s; powering off"
done
