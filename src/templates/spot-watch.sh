#!/bin/bash
# annex Spot interruption watcher (installed by annex's boot script as
# /usr/local/libexec/annex/spot-watch, run by annex-spot-watch.service on
# Spot instances): spot-watch POLL_SECONDS. Each round it asks the metadata
# service for spot/instance-action and, until one came, the rebalance
# recommendation; an error is no notice. A recommendation stops new jobs; an
# interruption notice stops new jobs, vacates the running ones (graceful,
# then -fast after ANNEX_SPOT_VACATE_S) so that they are requeued at once,
# and ends the watcher. Each acts once (marked in /var/lib/annex) and says so
# in one line. docs/bootscript.md tells why.
set -u
PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck disable=SC1091 # installed beside this program (say, imds_get)
. "$(dirname "${BASH_SOURCE[0]}")/watch-lib.sh" || exit 1
state_dir=/var/lib/annex
drain_config=/etc/condor/config.d/99-annex-spot.config
vacate_s=${ANNEX_SPOT_VACATE_S:-60}
poll=${1:-}
case "$poll" in
'' | *[!0-9]* | 0)
	echo "spot-watch: usage: spot-watch POLL_SECONDS" >&2
	exit 2
	;;
esac

# field NAME JSON: NAME's string value in a flat JSON object (only the
# characters of a time or an action: it goes into the log).
field() {
	sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9:.+-]*\)".*/\1/p' <<<"$2" | head -n 1
}

# no_new_jobs WHY: START = False, now (reconfig) and after a restart (the
# file stays). Prints what failed.
no_new_jobs() {
	mkdir -p "${drain_config%/*}" &&
		printf '# Written by annex'"'"'s spot-watch: %s. The node takes no new jobs.\nSTART = False\n' "$1" \
			>"$drain_config.tmp" && mv -f "$drain_config.tmp" "$drain_config" || printf '; cannot write %s' "$drain_config"
	admin condor_reconfig -daemon startd || printf '; condor_reconfig failed'
}

# admin COMMAND...: an HTCondor administrator command to the local daemons,
# as root with the node's configuration; if that identity (FS: root@...)
# is refused, once more authenticated with the pool password
# (condor_pool@..., an administrator on the node, as for condor_off -annex).
admin() {
	"$@" >/dev/null 2>&1 || _CONDOR_SEC_CLIENT_AUTHENTICATION_METHODS=PASSWORD "$@" >/dev/null 2>&1
}

# mark NAME: this was acted on, also for a restarted watcher (the variable
# rebalance_seen covers a state directory that cannot be written).
mark() { mkdir -p "$state_dir" && : >"$state_dir/$1"; }

interrupted() { # JSON
	local action when failed
	action=$(field action "$1")
	when=$(field time "$1")
	case "$action" in
	terminate | stop | hibernate) ;;
	*) return 1 ;;
	esac
	mark spot-interrupted
	failed=$(no_new_jobs "Spot interruption notice ($action at $when)")
	admin condor_vacate || failed="$failed; condor_vacate failed"
	say "Spot interruption notice: $action at ${when:-an unknown time}; the startd takes no new jobs and its jobs are vacated (requeued now; hard-killed in ${vacate_s}s)$failed"
	sleep "$vacate_s"
	admin condor_vacate -fast
	return 0
}

rebalanced() { # JSON
	local when failed
	when=$(field noticeTime "$1")
	[ -n "$when" ] || return 1
	mark spot-rebalance
	rebalance_seen=1
	failed=$(no_new_jobs "rebalance recommendation at $when")
	say "Spot rebalance recommendation at $when: the startd takes no new jobs; running jobs go on$failed"
}

[ -e "$state_dir/spot-interrupted" ] && exit 0
while :; do
	if notice=$(imds_get meta-data/spot/instance-action) && interrupted "$notice"; then
		exit 0
	fi
	if [ -z "${rebalance_seen:-}" ] && [ ! -e "$state_dir/spot-rebalance" ] && notice=$(imds_get meta-data/events/recommendations/rebalance); then
		rebalanced "$notice"
	fi
	sleep "$poll"
done
