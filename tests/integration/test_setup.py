#!/usr/bin/env python3
"""annex -setup and -check-setup against moto with signature checking on.

Runs inside a private network namespace (annextest.enter_netns) so that the
collector address 198.51.100.7:9618 can be probed without leaving the host.
As root (CI), setup records its knobs in LOCAL_CONFIG_DIR/50-annex-setup.
"""
import base64
import hashlib
import io
import json
import os
import re
import stat
import sys
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

ROOT = T.ROOT
NAMES = {
    "lease_role": "HTCondorAnnex-LeaseFunctionRole",
    "function": "HTCondorAnnex-LeaseFunction",
    "node_role": "HTCondorAnnex-NodeRole",
    "profile": "HTCondorAnnex-InstanceProfile",
    "fleet_role": "HTCondorAnnex-SpotFleetRole",
    "group": "HTCondorAnnex-SecurityGroup",
    "conn_role": "HTCondorAnnex-ConnectivityFunctionRole",
    "conn_function": "HTCondorAnnex-ConnectivityFunction",
}
EXPECTED_SETUP = [
    "Creating configuration bucket.. complete.",
    "Creating Lambda functions.. complete.",
    "Creating connectivity function.. complete.",
    "Creating instance profile.. complete.",
    "Creating Spot Fleet role.. complete.",
    "Creating security group.. complete.",
    "Setup successful.",
]
EXPECTED_CHECK = [
    "Checking security configuration... OK.",
    "Checking for configuration bucket... OK.",
    "Checking for Lambda functions... OK.",
    "Checking for instance profile... OK.",
    "Checking for security group... OK.",
    "Checking for Spot Fleet role... OK.",
    "Checking permissions for launching... OK.",
    "Checking collector address... OK.",
    # the listener accepts and closes (a FIN or, with the query unread, a
    # reset): no instance id from here (issue 19; test_connectivity.py has
    # every outcome); matched as a pattern
    re.compile(r"Checking the collector from AWS \(198\.51\.100\.7:9618\)\.\.\. OK\. Note: the collector did not "
               r"answer here \(198\.51\.100\.7:9618: (the connection was closed without an answer|Connection "
               r"reset by peer after 0 bytes of the answer)\), so the instance id AWS saw \(00112233445566aa\) could "
               r"not be compared with its own\."),
    "Checking schedds... skipped: condor_status is not on PATH (or set ANNEX_CONDOR_STATUS to it).",
    "Your setup looks OK.",
]
REACHABLE = json.dumps({"reachable": True, "instance_id": "00112233445566aa", "description": "answered"})


def knobs(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def counts(m):
    """What exists; "roles" counts annex's four and EC2 Spot's service-linked role."""
    iam, ec2 = m.client("iam"), m.client("ec2")
    return {
        "buckets": len(m.client("s3").list_buckets()["Buckets"]),
        "roles": len(iam.list_roles()["Roles"]),
        "profiles": len(iam.list_instance_profiles()["InstanceProfiles"]),
        "functions": len(m.client("lambda").list_functions()["Functions"]),
        "groups": len([g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] == NAMES["group"]]),
    }


def functions_zip_sha256():
    """base64(sha256) of the Lambda zip made from src/functions/*.py as
    scripts/embed.py makes it (sorted, flat, fixed date and mode, deflated):
    what GetFunction's CodeSha256 says of the deployed code. moto keeps no
    downloadable copy of the code, so the hash stands for it."""
    d = os.path.join(ROOT, "src", "functions")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(os.path.join("src/functions", n) for n in os.listdir(d) if n.endswith(".py")):
            info = zipfile.ZipInfo(os.path.basename(f), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(ROOT, f), "rb") as fh:
                z.writestr(info, fh.read())
    return base64.b64encode(hashlib.sha256(buf.getvalue()).digest()).decode()


def policy_file(name, account):
    text = open(os.path.join(ROOT, "policies", name)).read()
    text = text.replace("${Partition}", "aws").replace("${Region}", "us-east-1").replace("${AccountId}", account)
    return json.loads(text)


def test_fresh_setup(m, pool):
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("setup exits 0", rc == 0, out + err)
    T.check("setup prints condor_annex's progress lines", out.splitlines() == EXPECTED_SETUP, out + err)
    path = pool.setup_file()
    k = knobs(path)
    T.check("root setup writes 50-annex-setup mode 0644", os.path.exists(path) and
            stat.S_IMODE(os.stat(path).st_mode) == 0o644, path)
    account = m.client("sts").get_caller_identity()["Account"]
    bucket = "htcondor-annex-%s-us-east-1" % account
    T.check("bucket knob is the deterministic name", k.get("us_east_1.ANNEX_DEFAULT_S3_BUCKET") == bucket, k)
    T.check("bucket exists", bucket in [b["Name"] for b in m.client("s3").list_buckets()["Buckets"]])
    iam = m.client("iam")
    for role, trust, pol in (("lease_role", "lease-function-trust.json", "lease-function-policy.json"),
                             ("conn_role", "connectivity-function-trust.json", "connectivity-function-policy.json"),
                             ("fleet_role", "spot-fleet-trust.json", "spot-fleet-policy.json")):
        r = iam.get_role(RoleName=NAMES[role])["Role"]
        T.check("%s trust policy is the repo's" % role,
                r["AssumeRolePolicyDocument"] == policy_file(trust, account), r["AssumeRolePolicyDocument"])
        names = iam.list_role_policies(RoleName=NAMES[role])["PolicyNames"]
        docs = [iam.get_role_policy(RoleName=NAMES[role], PolicyName=n)["PolicyDocument"] for n in names]
        T.check("%s inline policy is the repo's" % role, docs == [policy_file(pol, account)], docs)
        T.check("%s has no managed policy" % role,
                iam.list_attached_role_policies(RoleName=NAMES[role])["AttachedPolicies"] == [])
    fn = m.client("lambda").get_function(FunctionName=NAMES["function"])["Configuration"]
    T.check("lease function: python3.12, lease.handler, the lease role",
            fn["Runtime"] == "python3.12" and fn["Handler"] == "lease.handler"
            and fn["Role"].endswith("/" + NAMES["lease_role"]), fn)
    T.check("the deployed lease function's code is the tree's src/functions (CodeSha256 of the zip built "
            "from it as the build does)", fn["CodeSha256"] == functions_zip_sha256(), fn["CodeSha256"])
    T.check("both lease-function knobs name it", k.get("us_east_1.ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN") ==
            fn["FunctionArn"] == k.get("us_east_1.ANNEX_DEFAULT_SFR_LEASE_FUNCTION_ARN"), k)
    cfn = m.client("lambda").get_function(FunctionName=NAMES["conn_function"])["Configuration"]
    T.check("connectivity function: python3.12, connectivity.handler, its own role, the same zip",
            cfn["Runtime"] == "python3.12" and cfn["Handler"] == "connectivity.handler" and
            cfn["Role"].endswith("/" + NAMES["conn_role"]) and cfn["CodeSha256"] == functions_zip_sha256() and
            cfn["Timeout"] > 60, cfn)
    T.check("the connectivity knob names it",
            k.get("us_east_1.ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN") == cfn["FunctionArn"], k)
    pol = json.loads(m.client("lambda").get_policy(FunctionName=NAMES["function"])["Policy"])
    st = pol["Statement"][0]
    T.check("lease function may be invoked by CloudWatch Events for annex's rules",
            "events.amazonaws.com" in json.dumps(st["Principal"]) and
            "arn:aws:events:us-east-1:%s:rule/*" % account in json.dumps(st.get("Condition", {})) and
            '"AWS:SourceAccount": "%s"' % account in json.dumps(st.get("Condition", {})), st)
    prof = iam.get_instance_profile(InstanceProfileName=NAMES["profile"])["InstanceProfile"]
    T.check("instance profile holds the node role",
            [r["RoleName"] for r in prof["Roles"]] == [NAMES["node_role"]], prof)
    T.check("profile knob", k.get("us_east_1.ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN") == prof["Arn"], k)
    # issue 18: the lease function may terminate only instances of annex's node profile
    lease_doc = iam.get_role_policy(RoleName=NAMES["lease_role"],
                                    PolicyName="HTCondorAnnex-LeaseFunctionPolicy")["PolicyDocument"]
    term = [st for st in lease_doc["Statement"] if st["Action"] == "ec2:TerminateInstances"]
    T.check("the lease role's TerminateInstances is bound by ec2:InstanceProfile to the profile setup made",
            len(term) == 1 and term[0]["Condition"].get("ArnEquals") == {"ec2:InstanceProfile": prof["Arn"]}, term)
    env = fn.get("Environment", {}).get("Variables", {})
    T.check("the lease function's environment names annex's node profile and fleet role",
            env.get("NODE_PROFILE_ARNS") == prof["Arn"] and env.get("FLEET_ROLE_ARNS") ==
            iam.get_role(RoleName=NAMES["fleet_role"])["Role"]["Arn"], env)
    T.check("fleet role knob", k.get("us_east_1.ANNEX_DEFAULT_SFR_FLEET_ROLE_ARN") ==
            iam.get_role(RoleName=NAMES["fleet_role"])["Role"]["Arn"], k)
    slr = iam.list_roles(PathPrefix="/aws-service-role/spot.amazonaws.com/")["Roles"]
    # moto names it AWSServiceRoleForspot (AWS: AWSServiceRoleForEC2Spot); the path is the same on both
    T.check("EC2 Spot's service-linked role exists (CreateServiceLinkedRole spot.amazonaws.com)",
            len(slr) == 1, slr)
    ec2 = m.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [NAMES["group"]]}])["SecurityGroups"]
    T.check("one security group in the default VPC, no inbound rule",
            len(groups) == 1 and groups[0]["VpcId"] == vpc and groups[0]["IpPermissions"] == [], groups)
    T.check("group knob", groups and k.get("us_east_1.ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS") == groups[0]["GroupId"], k)
    return counts(m)


def test_second_run(m, pool, before):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(**fp.env()))
        mutating = [c["operation"] for c in fp.calls() if c["mutating"]]
    T.check("second setup exits 0", rc == 0, out + err)
    T.check("second setup only looks: no mutating call", mutating == [], mutating)
    T.check("second setup creates nothing", counts(m) == before, (before, counts(m)))
    T.check("second setup keeps one block in 50-annex-setup",
            open(pool.setup_file()).read().count("# Generated by annex -setup for region us_east_1.") == 1)


def test_check_setup(m, pool):
    lst = T.Listener()
    m.lambda_replies([REACHABLE])
    try:
        rc, out, err = T.run_annex(["-check-setup"], pool.env())
    finally:
        lst.close()
    lines = out.splitlines()
    T.check("check-setup OK", rc == 0 and len(lines) == len(EXPECTED_CHECK) and
            all(w.fullmatch(g) if hasattr(w, "fullmatch") else g == w for g, w in zip(lines, EXPECTED_CHECK)),
            out + err)
    m.lambda_replies([REACHABLE])
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("collector not answering is a warning, not a failure",
            rc == 0 and "WARNING" in out and "Your setup looks OK." in out, out + err)


def test_each_piece_deleted(m, pool):
    iam, ec2 = m.client("iam"), m.client("ec2")
    k = knobs(pool.setup_file())

    def del_bucket():
        m.client("s3").delete_bucket(Bucket=k["us_east_1.ANNEX_DEFAULT_S3_BUCKET"])

    def del_function():
        m.client("lambda").delete_function(FunctionName=NAMES["function"])

    def del_conn_function():
        m.client("lambda").delete_function(FunctionName=NAMES["conn_function"])

    def del_profile():
        iam.remove_role_from_instance_profile(InstanceProfileName=NAMES["profile"], RoleName=NAMES["node_role"])
        iam.delete_instance_profile(InstanceProfileName=NAMES["profile"])

    def del_group():
        ec2.delete_security_group(GroupId=k["us_east_1.ANNEX_DEFAULT_ODI_SECURITY_GROUP_IDS"])

    def del_spot_slr():
        for r in iam.list_roles(PathPrefix="/aws-service-role/spot.amazonaws.com/")["Roles"]:
            iam.delete_role(RoleName=r["RoleName"])

    def del_fleet_role():
        for n in iam.list_role_policies(RoleName=NAMES["fleet_role"])["PolicyNames"]:
            iam.delete_role_policy(RoleName=NAMES["fleet_role"], PolicyName=n)
        iam.delete_role(RoleName=NAMES["fleet_role"])

    for what, fn, line in (("bucket", del_bucket, "Checking for configuration bucket... FAILED"),
                           ("function", del_function, "Checking for Lambda functions... FAILED"),
                           ("connectivity function", del_conn_function,
                            "Checking the collector from AWS (198.51.100.7:9618)... FAILED: the connectivity "
                            "function HTCondorAnnex-ConnectivityFunction does not exist; run 'annex -setup'."),
                           ("profile", del_profile, "Checking for instance profile... FAILED"),
                           ("group", del_group, "Checking for security group... FAILED"),
                           ("fleet role", del_fleet_role, "Checking for Spot Fleet role... FAILED"),
                           ("Spot service-linked role", del_spot_slr, "Checking for Spot Fleet role... FAILED")):
        fn()
        rc, out, err = T.run_annex(["-check-setup"], pool.env())
        T.check("check-setup fails naming the deleted %s" % what,
                rc == 1 and line in out and "annex -setup" in out + err, out + err)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        T.check("setup recreates the deleted %s" % what, rc == 0, out + err)


def test_errors(m, pool):
    env = pool.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    rc, out, err = T.run_annex(["-check-setup"], env)
    T.check("no credentials: the sources tried are listed",
            rc == 1 and "AWS_ACCESS_KEY_ID" in err and "credentials" in err.lower() and
            len(T.without_region_line(err).splitlines()) == 1,
            out + err)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup", "-aws-region", "us-east-one"], pool.env(**fp.env()))
        T.check("bad region: clear error before any call",
                rc == 1 and "us-east-one" in err and fp.calls() == [], (out, err, fp.calls()))
    rc, out, err = T.run_annex(["-setup"], pool.env(AWS_SECRET_ACCESS_KEY="wrong-secret"))
    T.check("wrong secret: AWS's error code", rc == 1 and ("SignatureDoesNotMatch" in err or
                                                        "InvalidClientTokenId" in err), out + err)


def test_interrupted_setup(m, pool):
    """Fail the k-th mutating call, for every k; the next run finishes."""
    k = 1
    while True:
        m.reset()
        if os.path.exists(pool.setup_file()):
            os.unlink(pool.setup_file())
        with T.FaultProxy([{"call": "mutating", "nth": k, "fault": "500"}]) as fp:
            rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_MAX_ATTEMPTS="1", **fp.env()))
            mutating = [c for c in fp.calls() if c["mutating"]]
        if len(mutating) < k:
            T.check("setup makes %d mutating calls and survived each failing" % (k - 1), rc == 0, out + err)
            break
        T.check("failing mutating call %d (%s) fails setup with AWS's message" % (k, mutating[k - 1]["operation"]),
                rc == 1 and "InternalError" in err, out + err)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        c = counts(m)
        T.check("after failure %d the next setup completes without duplicates" % k,
                rc == 0 and c["buckets"] == 1 and c["functions"] == 2 and c["groups"] == 1 and c["profiles"] == 1
                and c["roles"] == 5, (out + err, c))
        k += 1
        if k > 40:
            T.check("setup's mutating calls are bounded", False)
            break


def test_chains_at_once(m, pool):
    """Setup's independent chains (the bucket; the lease role then the
    function; the node role then the instance profile; the fleet role; the
    security group) run side by side after GetCallerIdentity: with every
    call slowed by the proxy, the round trips on the critical path are those
    of the longest chain, not the sum of all calls."""
    m.reset()
    if os.path.exists(pool.setup_file()):
        os.unlink(pool.setup_file())
    # The delay must dwarf the jitter of a loaded machine (moto's and the
    # proxy's own time per call, threads scheduled late): the measure below
    # chains calls by their times, and once one chain runs a whole call
    # ahead of another it can chain across them. With 0.1 s, on 2 loaded
    # cores, moto's 0.1-0.3 s per call gave paths of 10, 13 and 14 (3 runs
    # in 50); with 0.5 s, 40 of 40 gave 8.
    delay = 0.5
    slow = [{"call": "any", "nth": 1, "times": 0, "fault": "delay", "seconds": delay}]
    with T.FaultProxy(slow) as fp:
        start = time.time()
        rc, out, err = T.run_annex(["-setup"], pool.env(**fp.env()))
        wall = time.time() - start
        calls, path = fp.calls(), fp.critical_path()
    T.check("slowed setup succeeds with the usual lines in the usual order",
            rc == 0 and out.splitlines() == EXPECTED_SETUP, out + err)
    # the lease chain: its role's calls and its function's; of the two
    # CreateFunction calls (POST .../functions, the name is in the body),
    # one is the connectivity chain's
    lambda_calls = [c for c in calls if "/2015-03-31" in c["url"] and NAMES["conn_function"] not in c["url"]]
    lease = [c for c in calls if c["params"].get("RoleName") == NAMES["lease_role"]] + lambda_calls[:-1] \
        if sum(c["url"].endswith("/functions") for c in lambda_calls) == 2 else lambda_calls
    # the measure chains calls by their times, so a call of another chain
    # that happens to start as one ends may stretch it by one
    T.check("critical path: GetCallerIdentity and the lease chain (%d calls), not all %d calls" %
            (len(lease), len(calls)), 1 + len(lease) <= path <= 2 + len(lease) and path < len(calls) / 2,
            (path, len(calls)))
    T.check("wall time follows the critical path, not the number of calls",
            wall < delay * len(calls), (wall, len(calls)))
    c = counts(m)
    T.check("everything made once", c["buckets"] == 1 and c["functions"] == 2 and c["groups"] == 1 and
            c["profiles"] == 1 and c["roles"] == 5, c)


def main():
    with MotoServer() as m:
        m.lambda_simple()     # canned Invoke replies for the connectivity check
        pool = T.Pool(m)
        before = T.guarded(test_fresh_setup, m, pool)
        T.guarded(test_second_run, m, pool, before)
        T.guarded(test_check_setup, m, pool)
        T.guarded(test_each_piece_deleted, m, pool)
        T.guarded(test_errors, m, pool)
        T.guarded(test_interrupted_setup, m, pool)
        T.guarded(test_chains_at_once, m, pool)
    return T.summary()


sys.exit(main())
