#!/bin/sh
# annex: HTCondor's DEFAULT_MASTER_SHUTDOWN_SCRIPT on an annex node. The
# condor_master runs it when it exits (idle shutdown, `condor_off -annex`):
# powering off terminates the instance (InstanceInitiatedShutdownBehavior).
PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
shutdown -h now || poweroff
