#!/bin/sh
# annex: HTCondor's DEFAULT_MASTER_SHUTDOWN_SCRIPT on an annex node. The
# condor_master runs it whenever it exits. It powers the instance off (which
# terminates it: InstanceInitiatedShutdownBehavior) when the master ended by
# itself: the idle shutdown (the startd leaves after STARTD_NOCLAIM_SHUTDOWN,
# then MASTER.DAEMON_SHUTDOWN_FAST fires) or `condor_off -annex` from the
# pool. It does not when systemd is stopping or restarting condor.service
# (an admin's `systemctl restart condor`, a package upgrade, the machine's
# own shutdown): condor.service is then "deactivating".
PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
say() {
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) annex: master-shutdown: $*"
	printf '%s\n' "$line"
	if [ -w /dev/console ]; then printf '%s\n' "$line" >>/dev/console 2>/dev/null || :; fi
}
state=$(systemctl show -p ActiveState --value condor.service 2>/dev/null)
if [ "$state" = deactivating ]; then
	say "condor.service is being stopped or restarted: not powering off"
	exit 0
fi
say "the condor_master ended by itself (idle shutdown or condor_off): powering off"
shutdown -h now || poweroff
