#!/bin/bash
# annex: only root may reach the EC2 instance metadata service (IPv4
# 169.254.169.254, IPv6 fd00:ec2::254): the node's user-data there holds the
# pool password, and jobs run as other users. Installed by annex's boot
# script as /usr/local/libexec/annex/imds-block; run by the boot script and,
# at every boot, by annex-imds-block.service (before condor.service).
# With nft when it works: a table of annex's own (inet annex_imds), whose
# reject no other table's accept can undo. Else iptables and ip6tables: each
# rule inserted at the top of its chain. Local traffic (OUTPUT) is rejected
# when a socket not root's sends it (packets of no socket, such as the
# kernel's own replies, pass); forwarded traffic (FORWARD, containers)
# always; and in Docker's DOCKER-USER chain when it exists. Running it again
# replaces its rules. Exits 1 when the rules could not be put in place.
set -u
PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
v4=169.254.169.254
v6=fd00:ec2::254

# say MESSAGE: a timestamped line on standard output and on the serial
# console when writable.
say() {
	local line
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) annex: imds-block: $*"
	printf '%s\n' "$line"
	if [ -w /dev/console ]; then printf '%s\n' "$line" >>/dev/console 2>/dev/null || :; fi
}

by_nft() {
	command -v nft >/dev/null 2>&1 || return 1
	nft -f - <<EOF
table inet annex_imds
delete table inet annex_imds
table inet annex_imds {
	chain output {
		type filter hook output priority -300; policy accept;
		ip daddr $v4 meta skuid != 0 reject
		ip6 daddr $v6 meta skuid != 0 reject
	}
	chain forward {
		type filter hook forward priority -300; policy accept;
		ip daddr $v4 reject
		ip6 daddr $v6 reject
	}
}
EOF
}

# top TOOL CHAIN RULE...: RULE once, first in CHAIN (earlier copies removed).
top() {
	local t=$1 c=$2
	shift 2
	while "$t" -w -D "$c" "$@" 2>/dev/null; do :; done
	"$t" -w -I "$c" 1 "$@"
}

# by_iptables TOOL ADDRESS
by_iptables() {
	local t=$1 a=$2
	command -v "$t" >/dev/null 2>&1 || return 1
	top "$t" OUTPUT -d "$a" -m owner --socket-exists ! --uid-owner 0 -j REJECT &&
		top "$t" FORWARD -d "$a" -j REJECT || return 1
	docker_user "$t" "$a"
}

# docker_user TOOL ADDRESS: the same in DOCKER-USER, which Docker jumps to
# before its own FORWARD rules, when Docker made that chain.
docker_user() {
	command -v "$1" >/dev/null 2>&1 || return 0
	"$1" -w -n -L DOCKER-USER >/dev/null 2>&1 || return 0
	top "$1" DOCKER-USER -d "$2" -j REJECT
}

if by_nft; then
	docker_user iptables "$v4" && docker_user ip6tables "$v6" || exit 1
	say "non-root access to $v4 and $v6 rejected (nft table inet annex_imds)"
elif by_iptables iptables "$v4"; then
	if by_iptables ip6tables "$v6"; then
		say "non-root access to $v4 and $v6 rejected (iptables, ip6tables)"
	elif [ -e /proc/net/if_inet6 ]; then
		say "ip6tables failed: $v6 is not blocked"
		exit 1
	else
		say "non-root access to $v4 rejected (iptables; IPv6 is off)"
	fi
else
	say "neither nft nor iptables could install the rules"
	exit 1
fi
