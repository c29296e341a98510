# shellcheck shell=bash
# annex node watchers' shared helpers, installed by annex's boot script as
# /usr/local/libexec/annex/watch-lib.sh and sourced by lease-watch,
# join-watch and spot-watch. They run as root: the metadata service is
# closed to every other user (imds-block).
imds=http://169.254.169.254

# say MESSAGE: a timestamped line, named after the program, on standard
# output (the journal) and on the serial console (EC2's console output)
# when it is writable.
say() {
	local line
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) annex: ${0##*/}: $*"
	printf '%s\n' "$line"
	if [ -w /dev/console ]; then printf '%s\n' "$line" >>/dev/console 2>/dev/null || :; fi
}

# imds_get PATH: PATH under latest/ (e.g. meta-data/instance-id), asked with
# an IMDSv2 session token, on standard output. Fails, printing nothing, on
# any error: no token, a 404 (the item does not exist), a 5xx, a timeout.
imds_get() {
	local token
	token=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token" 2>/dev/null) || return 1
	curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/$1" 2>/dev/null
}

# power_off_or_wait END ROUND WHY: from END (epoch s) on, says WHY (%s:
# END's time) and powers off; before it, sleeps ROUND s at most.
power_off_or_wait() {
	local end=$1 round=$2 now wait_s
	now=$(date -u +%s)
	if [ "$now" -ge "$end" ]; then
		say "${3/\%s/$(date -u -d "@$end" +%Y-%m-%dT%H:%M:%SZ)}"
		shutdown -h now || poweroff
		exit 0
	fi
	wait_s=$((end - now))
	[ "$wait_s" -le "$round" ] || wait_s=$round
	sleep "$wait_s"
}
