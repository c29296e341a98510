/* setupnames.h - the deterministic names of what -setup creates (SPEC.md
 * section 5), shared by setup, check-setup and launch. */
#ifndef ANNEX_SETUPNAMES_H
#define ANNEX_SETUPNAMES_H

#define SETUP_LEASE_ROLE        "HTCondorAnnex-LeaseFunctionRole"
#define SETUP_LEASE_POLICY      "HTCondorAnnex-LeaseFunctionPolicy"
#define SETUP_LEASE_FUNCTION    "HTCondorAnnex-LeaseFunction"
#define SETUP_LEASE_PERMISSION  "HTCondorAnnex-EventsInvoke"
#define SETUP_NODE_ROLE         "HTCondorAnnex-NodeRole"
#define SETUP_NODE_POLICY       "HTCondorAnnex-NodePolicy"
#define SETUP_INSTANCE_PROFILE  "HTCondorAnnex-InstanceProfile"
#define SETUP_FLEET_ROLE        "HTCondorAnnex-SpotFleetRole"
#define SETUP_FLEET_POLICY      "HTCondorAnnex-SpotFleetPolicy"
#define SETUP_SECURITY_GROUP    "HTCondorAnnex-SecurityGroup"
/* the connectivity function (issue 19): its role may only write its logs */
#define SETUP_CONN_ROLE         "HTCondorAnnex-ConnectivityFunctionRole"
#define SETUP_CONN_POLICY       "HTCondorAnnex-ConnectivityFunctionPolicy"
#define SETUP_CONN_FUNCTION     "HTCondorAnnex-ConnectivityFunction"

/* "htcondor-annex-<account>-<region>" (malloc'd). */
char *setup_bucket_name(const char *account, const char *region);

#endif
