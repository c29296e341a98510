#!/usr/bin/env python3
"""Drift (issue 18 item 5): after -setup, each piece is changed behind
annex's back with boto3; -check-setup names the difference and fails with
"run annex -setup to bring it in line"; -setup -dry-run lists the calls that
would correct it and changes nothing; -setup corrects exactly that;
-check-setup then passes, and a further -setup makes no mutating call
(asserted on the wire, through the recording proxy).

moto (5.x) as annex sees it, checked here: GetFunction's CodeSha256 is
base64(SHA-256) of the zip as sent, as on AWS; GetRole and GetRolePolicy
return the documents URL-encoded, as on AWS; a new security group has the
one egress rule all traffic to 0.0.0.0/0, as on AWS.
"""
import base64
import hashlib
import io
import json
import os
import sys
import urllib.parse
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

ROOT = T.ROOT
FN = "HTCondorAnnex-LeaseFunction"
CONN_FN = "HTCondorAnnex-ConnectivityFunction"
LEASE_ROLE, LEASE_POLICY = "HTCondorAnnex-LeaseFunctionRole", "HTCondorAnnex-LeaseFunctionPolicy"
NODE_ROLE, FLEET_ROLE = "HTCondorAnnex-NodeRole", "HTCondorAnnex-SpotFleetRole"
GROUP = "HTCondorAnnex-SecurityGroup"
ADVICE = "run annex -setup to bring it in line"


def policy_file(name, account):
    text = open(os.path.join(ROOT, "policies", name)).read()
    text = text.replace("${Partition}", "aws").replace("${Region}", "us-east-1").replace("${AccountId}", account)
    return json.loads(text)


def other_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lease.py", "def handler(event, context):\n    return 'not annex'\n")
    return buf.getvalue()


def group_id(m):
    ec2 = m.client("ec2")
    return ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [GROUP]}])["SecurityGroups"][0]["GroupId"]


def second_setup_quiet(pool, what):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(**fp.env()))
        mutating = [c["operation"] for c in fp.calls() if c["mutating"]]
    T.check("%s: a further -setup makes no mutating call" % what, rc == 0 and mutating == [], (mutating, out + err))


def round_trip(m, pool, what, change, named, drifted, fixed, calls):
    """change() breaks one piece; named: what -check-setup must print;
    drifted()/fixed(): the state before/after; calls: the corrections."""
    change()
    T.check("%s: moto shows the change" % what, drifted())
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("%s: -check-setup fails (exit 1) naming the difference" % what,
            rc == 1 and all(n in out for n in named) and "difference" in out and ADVICE in err, out + err)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup", "-dry-run"], pool.env(**fp.env()))
        mutating = [c["operation"] for c in fp.calls() if c["mutating"]]
    T.check("%s: -setup -dry-run lists the corrections (%s), sends none" % (what, ", ".join(calls)),
            rc == 0 and all("would call " + c in out for c in calls) and mutating == [] and drifted(),
            (mutating, out + err))
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(**fp.env()))
        sent = [c["operation"] for c in fp.calls() if c["mutating"]]
    T.check("%s: -setup corrects it, saying so" % what, rc == 0 and "corrected: " in out and fixed(), out + err)
    T.check("%s: -setup's mutating calls are only the corrections" % what, len(sent) == len(calls), sent)
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("%s: -check-setup then passes" % what, rc == 0 and "Your setup looks OK." in out, out + err)
    second_setup_quiet(pool, what)


def test_drift(m, pool):
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("setup exits 0", rc == 0, out + err)
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("check-setup passes after setup", rc == 0 and "Your setup looks OK." in out, out + err)
    second_setup_quiet(pool, "no drift")
    iam, lam, ec2, ev = m.client("iam"), m.client("lambda"), m.client("ec2"), m.client("events")
    account = m.client("sts").get_caller_identity()["Account"]
    sha = lam.get_function(FunctionName=FN)["Configuration"]["CodeSha256"]
    zip_other = other_zip()
    T.check("moto: CodeSha256 is base64(SHA-256) of the zip as sent",
            base64.b64encode(hashlib.sha256(zip_other).digest()).decode() != sha)

    def code_drifted():
        return lam.get_function(FunctionName=FN)["Configuration"]["CodeSha256"] != sha
    round_trip(m, pool, "function code",
               lambda: lam.update_function_code(FunctionName=FN, ZipFile=zip_other),
               ["function %s: code differs" % FN, base64.b64encode(hashlib.sha256(zip_other).digest()).decode()],
               code_drifted, lambda: not code_drifted(), ["Lambda UpdateFunctionCode"])

    own_env = {"NODE_PROFILE_ARNS": "arn:aws:iam::%s:instance-profile/HTCondorAnnex-InstanceProfile" % account,
               "FLEET_ROLE_ARNS": "arn:aws:iam::%s:role/%s" % (account, FLEET_ROLE)}

    def fn_env():
        return lam.get_function(FunctionName=FN)["Configuration"].get("Environment", {}).get("Variables", {})
    T.check("setup gives the lease function its environment (what it takes as annex's own)",
            fn_env() == own_env, fn_env())

    def config_drifted():
        c = lam.get_function(FunctionName=FN)["Configuration"]
        return c["Handler"] != "lease.handler" or fn_env() != own_env
    round_trip(m, pool, "function configuration",
               lambda: lam.update_function_configuration(FunctionName=FN, Handler="evil.handler",
                                                         Environment={"Variables": {"EVIL": "1"}}),
               ["Handler is evil.handler", "environment variables (EVIL)"],
               config_drifted, lambda: not config_drifted(), ["Lambda UpdateFunctionConfiguration"])

    # the connectivity function (issue 19): its own handler and timeout, no
    # environment, the same zip; compared and corrected like the lease function
    conn_sha = lam.get_function(FunctionName=CONN_FN)["Configuration"]["CodeSha256"]
    T.check("the connectivity function runs the lease function's zip", conn_sha == sha, (conn_sha, sha))

    def conn_drifted():
        c = lam.get_function(FunctionName=CONN_FN)["Configuration"]
        return (c["Handler"], c["Timeout"], c["CodeSha256"]) != ("connectivity.handler", 75, sha)

    def conn_change():
        lam.update_function_configuration(FunctionName=CONN_FN, Handler="lease.handler", Timeout=3)
        lam.update_function_code(FunctionName=CONN_FN, ZipFile=zip_other)
    T.check("the connectivity function is as this version makes it", not conn_drifted())
    round_trip(m, pool, "connectivity function's handler, timeout and code", conn_change,
               ["function %s: Handler is lease.handler, this version's is connectivity.handler" % CONN_FN,
                "function %s: Timeout is 3 s, this version's is 75 s" % CONN_FN,
                "function %s: code differs" % CONN_FN],
               conn_drifted, lambda: not conn_drifted(),
               ["Lambda UpdateFunctionConfiguration", "Lambda UpdateFunctionCode"])

    sid = "HTCondorAnnex-EventsInvoke"

    def permission():
        return [st for st in json.loads(lam.get_policy(FunctionName=FN)["Policy"])["Statement"] if st["Sid"] == sid]

    def permission_change():
        lam.remove_permission(FunctionName=FN, StatementId=sid)
        lam.add_permission(FunctionName=FN, StatementId=sid, Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com")
    round_trip(m, pool, "function permission (any account's rules)", permission_change,
               ["function %s: permission %s differs" % (FN, sid)],
               lambda: "Condition" not in permission()[0],
               lambda: permission()[0].get("Condition") == {
                   "ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:%s:rule/*" % account},
                   "StringEquals": {"AWS:SourceAccount": account}},
               ["Lambda RemovePermission", "Lambda AddPermission"])

    wide = {"Version": "2012-10-17", "Statement": [{"Sid": "TerminateAnnexInstances", "Effect": "Allow",
                                                    "Action": "ec2:TerminateInstances", "Resource": "*"}]}

    def lease_policy():
        return iam.get_role_policy(RoleName=LEASE_ROLE, PolicyName=LEASE_POLICY)["PolicyDocument"]
    round_trip(m, pool, "lease role's inline policy",
               lambda: iam.put_role_policy(RoleName=LEASE_ROLE, PolicyName=LEASE_POLICY,
                                           PolicyDocument=json.dumps(wide)),
               ["inline policy %s differs" % LEASE_POLICY, "statement TerminateAnnexInstances changed",
                "statements FindAnnexResources, CancelAnnexSpotFleets"],
               lambda: lease_policy() == wide,
               lambda: lease_policy() == policy_file("lease-function-policy.json", account),
               ["IAM PutRolePolicy"])

    # an account set up by the previous version (issue 18 item 2): the lease
    # role may terminate any instance tagged htcondor:AnnexName (no
    # ec2:InstanceProfile condition) and the function has no environment
    old_policy = policy_file("lease-function-policy.json", account)
    for st in old_policy["Statement"]:
        if st["Sid"] == "TerminateAnnexInstances":
            T.check("this version's TerminateAnnexInstances names annex's node profile",
                    st["Condition"].pop("ArnEquals") == {"ec2:InstanceProfile": own_env["NODE_PROFILE_ARNS"]}, st)

    def previous_version():
        iam.put_role_policy(RoleName=LEASE_ROLE, PolicyName=LEASE_POLICY, PolicyDocument=json.dumps(old_policy))
        lam.update_function_configuration(FunctionName=FN, Environment={"Variables": {}})
    round_trip(m, pool, "a setup by the previous version (no profile condition, no environment)", previous_version,
               ["inline policy %s differs" % LEASE_POLICY, "statement TerminateAnnexInstances changed",
                "environment variable NODE_PROFILE_ARNS is missing (this version's is %s)" % own_env["NODE_PROFILE_ARNS"],
                "environment variable FLEET_ROLE_ARNS is missing (this version's is %s)" % own_env["FLEET_ROLE_ARNS"]],
               lambda: lease_policy() == old_policy and fn_env() == {},
               lambda: lease_policy() == policy_file("lease-function-policy.json", account) and fn_env() == own_env,
               ["IAM PutRolePolicy", "Lambda UpdateFunctionConfiguration"])
    lam.update_function_configuration(FunctionName=FN, Environment={"Variables": {}})
    rc, out, err = T.run_annex(["-setup", "-dry-run"], pool.env())
    T.check("-setup -dry-run shows the environment it would set",
            rc == 0 and "would call Lambda UpdateFunctionConfiguration" in out and
            own_env["NODE_PROFILE_ARNS"] in out and own_env["FLEET_ROLE_ARNS"] in out and fn_env() == {}, out + err)
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("-setup sets it again", rc == 0 and fn_env() == own_env, out + err)

    arn = iam.create_policy(PolicyName="Broad", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]

    def fleet_extras():
        return (iam.list_attached_role_policies(RoleName=FLEET_ROLE)["AttachedPolicies"],
                iam.list_role_policies(RoleName=FLEET_ROLE)["PolicyNames"])

    def fleet_change():
        iam.attach_role_policy(RoleName=FLEET_ROLE, PolicyArn=arn)
        iam.put_role_policy(RoleName=FLEET_ROLE, PolicyName="Extra", PolicyDocument=json.dumps(wide))
    round_trip(m, pool, "fleet role's attached and extra policies", fleet_change,
               ["managed policy %s is attached" % arn, "inline policy Extra is not this version's"],
               lambda: fleet_extras() != ([], ["HTCondorAnnex-SpotFleetPolicy"]),
               lambda: fleet_extras() == ([], ["HTCondorAnnex-SpotFleetPolicy"]),
               ["IAM DetachRolePolicy", "IAM DeleteRolePolicy"])

    lambda_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

    def node_trust():
        return iam.get_role(RoleName=NODE_ROLE)["Role"]["AssumeRolePolicyDocument"]
    round_trip(m, pool, "node role's trust policy",
               lambda: iam.update_assume_role_policy(RoleName=NODE_ROLE, PolicyDocument=json.dumps(lambda_trust)),
               ["role %s: trust policy differs" % NODE_ROLE],
               lambda: node_trust() == lambda_trust,
               lambda: node_trust() == policy_file("node-trust.json", account), ["IAM UpdateAssumeRolePolicy"])

    iam.create_role(RoleName="Other", AssumeRolePolicyDocument=json.dumps(policy_file("node-trust.json", account)))

    def profile_roles():
        return [r["RoleName"] for r in iam.get_instance_profile(
            InstanceProfileName="HTCondorAnnex-InstanceProfile")["InstanceProfile"]["Roles"]]

    def profile_change():
        iam.remove_role_from_instance_profile(InstanceProfileName="HTCondorAnnex-InstanceProfile", RoleName=NODE_ROLE)
        iam.add_role_to_instance_profile(InstanceProfileName="HTCondorAnnex-InstanceProfile", RoleName="Other")
    round_trip(m, pool, "instance profile's role", profile_change,
               ["instance profile HTCondorAnnex-InstanceProfile: holds the role Other, not %s" % NODE_ROLE],
               lambda: profile_roles() == ["Other"], lambda: profile_roles() == [NODE_ROLE],
               ["IAM RemoveRoleFromInstanceProfile", "IAM AddRoleToInstanceProfile"])

    gid = group_id(m)

    def perms():
        g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        ing = [(p["IpProtocol"], p.get("FromPort"), r["CidrIp"]) for p in g["IpPermissions"] for r in p["IpRanges"]]
        egr = [(p["IpProtocol"], r["CidrIp"]) for p in g["IpPermissionsEgress"] for r in p["IpRanges"]]
        return ing, egr
    T.check("moto: a new group has the one egress rule all traffic to 0.0.0.0/0, no ingress",
            perms() == ([], [("-1", "0.0.0.0/0")]), perms())

    def group_change():
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    round_trip(m, pool, "security group rules", group_change,
               ["rule ingress tcp 80 from 0.0.0.0/0 is not this version's",
                "rule egress all traffic to 0.0.0.0/0 is missing"],
               lambda: perms() == ([("tcp", 80, "0.0.0.0/0")], []),
               lambda: perms() == ([], [("-1", "0.0.0.0/0")]),
               ["EC2 RevokeSecurityGroupIngress", "EC2 AuthorizeSecurityGroupEgress"])

    # an annex's lease rule as launch makes it (docs/lease-function.md)
    rule, fn_arn = "drifty_0a1b2c3d-0000-4000-8000-000000000001", lam.get_function(FunctionName=FN)["Configuration"]["FunctionArn"]
    ev.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)", State="ENABLED",
                Description="annex drifty: lease ends 2030-01-01T00:00:00Z")
    want_input = {"AnnexName": "drifty", "AnnexId": rule, "LeaseExpiration": "2030-01-01T00:00:00Z"}
    ev.put_targets(Rule=rule, Targets=[{"Id": rule, "Arn": fn_arn, "Input": json.dumps(want_input)}])
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("a lease rule as launch makes it is no drift", rc == 0, out + err)

    def targets():
        return [(t["Id"], t["Arn"], json.loads(t.get("Input", "{}"))) for t in ev.list_targets_by_rule(Rule=rule)["Targets"]]

    def rule_change():
        ev.remove_targets(Rule=rule, Ids=[rule])
        ev.disable_rule(Name=rule)
    round_trip(m, pool, "lease rule target", rule_change,
               ["lease rule %s: no target invokes the lease function" % rule, "lease rule %s: is DISABLED" % rule],
               lambda: targets() == [], lambda: targets() == [(rule, fn_arn, want_input)] and
               ev.describe_rule(Name=rule)["State"] == "ENABLED", ["Events PutTargets", "Events EnableRule"])
    # a rule of someone else's, not named like an annex id, is left alone
    ev.put_rule(Name="not-annex", ScheduleExpression="rate(5 minutes)", Description="annex lookalike")
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("rules not named like an annex id are not annex's", rc == 0, out + err)

    # -ssh-cidr's inbound rule is setup's own: no drift, before or after
    rc, out, err = T.run_annex(["-setup", "-ssh-cidr", "192.0.2.0/24"], pool.env())
    T.check("-setup -ssh-cidr adds the SSH rule", rc == 0 and ("tcp", 22, "192.0.2.0/24") in perms()[0], out + err)
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("-ssh-cidr's rule is no drift for -check-setup", rc == 0, out + err)
    second_setup_quiet(pool, "-ssh-cidr's rule")
    T.check("a plain -setup keeps -ssh-cidr's rule", ("tcp", 22, "192.0.2.0/24") in perms()[0], perms())


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        T.guarded(test_drift, m, pool)
    return T.summary()


sys.exit(main())
