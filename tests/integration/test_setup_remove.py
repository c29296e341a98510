#!/usr/bin/env python3
"""annex -setup -remove against moto with signature checking on.

It asks first (on a terminal; `no` keeps everything; no terminal and no
-yes is refused), -yes skips the question; it deletes exactly what -setup
made (every resource gone; the test's own bucket, role, instance profile,
function and security group untouched), removes annex's knob block and keeps
every other line, and a second -remove is harmless. An interrupted removal
is finished by the next one. Runs in a private network namespace; as root
the knobs live in LOCAL_CONFIG_DIR/50-annex-setup.
"""
import io
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

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
OWN = {"bucket": "my-own-render-bucket", "role": "MyOwnRole", "profile": "MyOwnProfile",
       "function": "my-own-function", "group": "my-own-group"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "lambda.amazonaws.com"}}]})
BEFORE_LINES = "# my own settings\nMY_KNOB = before\n"
AFTER_LINES = "OTHER_KNOB = after\n"


def inventory(m):
    """Everything in the account that setup could have made or the test owns."""
    iam, ec2 = m.client("iam"), m.client("ec2")
    return {
        "buckets": sorted(b["Name"] for b in m.client("s3").list_buckets()["Buckets"]),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
        "profiles": sorted(p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]),
        "functions": sorted(f["FunctionName"] for f in m.client("lambda").list_functions()["Functions"]),
        "groups": sorted(g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                         if g["GroupName"] != "default"),
        "role_policies": {r["RoleName"]: sorted(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])
                          for r in iam.list_roles()["Roles"]},
    }


def own_resources(m):
    iam = m.client("iam")
    m.client("s3").create_bucket(Bucket=OWN["bucket"])
    arn = iam.create_role(RoleName=OWN["role"], AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=OWN["role"], PolicyName="own", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName=OWN["profile"])
    iam.add_role_to_instance_profile(InstanceProfileName=OWN["profile"], RoleName=OWN["role"])
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("main.py", "def handler(e, c):\n    return 1\n")
    m.client("lambda").create_function(FunctionName=OWN["function"], Runtime="python3.12", Role=arn,
                                       Handler="main.handler", Code={"ZipFile": z.getvalue()})
    vpc = m.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    m.client("ec2").create_security_group(GroupName=OWN["group"], Description="mine", VpcId=vpc)


def setup_ok(m, pool, what):
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("setup (%s)" % what, rc == 0 and "Setup successful." in out, out + err)
    text = open(pool.setup_file()).read()
    if not text.startswith(BEFORE_LINES):
        text = BEFORE_LINES + text
    if AFTER_LINES not in text:
        text += AFTER_LINES
    with open(pool.setup_file(), "w") as f:
        f.write(text)
    return inventory(m)


def user_adds_node_policies(m):
    """SPEC.md section 5: the node role has no policy unless the user adds
    some. Add an inline one and attach a managed one of the user's own."""
    iam = m.client("iam")
    doc = json.dumps({"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    iam.put_role_policy(RoleName=NAMES["node_role"], PolicyName="user-added", PolicyDocument=doc)
    try:
        arn = iam.create_policy(PolicyName="my-managed", PolicyDocument=doc)["Policy"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "my-managed"][0]
    iam.attach_role_policy(RoleName=NAMES["node_role"], PolicyArn=arn)
    return arn


def without_annex(inv, account):
    """What inventory() must show once annex's setup is gone."""
    bucket = "htcondor-annex-%s-us-east-1" % account
    return {
        "buckets": [b for b in inv["buckets"] if b != bucket],
        "roles": [r for r in inv["roles"] if r not in NAMES.values()],
        "profiles": [p for p in inv["profiles"] if p != NAMES["profile"]],
        "functions": [f for f in inv["functions"] if f not in (NAMES["function"], NAMES["conn_function"])],
        "groups": [g for g in inv["groups"] if g != NAMES["group"]],
        "role_policies": {r: p for r, p in inv["role_policies"].items() if r not in NAMES.values()},
    }


def test_asks_first(m, pool, made):
    rc, out, err = T.run_annex(["-setup", "-remove"], pool.env())
    T.check("no terminal and no -yes: refused, nothing deleted",
            rc == 1 and "-yes" in err and inventory(m) == made, (out, err))
    rc, out, _ = T.run_annex(["-setup", "-remove"], pool.env(), answer="no")
    T.check("the question names what goes", "HTCondorAnnex-LeaseFunction" in out and "htcondor-annex-" in out and
            "HTCondorAnnex-SecurityGroup" in out and "Is that OK?  (Type 'yes' or 'no'): no" in out, out)
    T.check("'no' keeps everything", rc == 1 and "Not removing the setup; user did not confirm." in out and
            inventory(m) == made, out)
    T.check("'no' keeps the knob block", "ANNEX_DEFAULT_S3_BUCKET" in open(pool.setup_file()).read())


def check_removed(m, pool, made, account, rc, out, err, how):
    T.check("remove (%s) exits 0 and says so" % how, rc == 0 and "Setup removed." in out, out + err)
    now = inventory(m)
    want = without_annex(made, account)
    T.check("remove (%s): every resource setup made is gone, everything else untouched" % how, now == want,
            (now, want))
    for k, v in OWN.items():
        T.check("remove (%s): the test's own %s is still there" % (how, k),
                any(v in now[kind] for kind in ("buckets", "roles", "profiles", "functions", "groups")), now)
    T.check("remove (%s): the own role keeps its inline policy" % how,
            now["role_policies"].get(OWN["role"]) == ["own"], now["role_policies"])
    T.check("remove (%s): the own profile keeps its role" % how,
            [r["RoleName"] for r in m.client("iam").get_instance_profile(
                InstanceProfileName=OWN["profile"])["InstanceProfile"]["Roles"]] == [OWN["role"]])
    text = open(pool.setup_file()).read() if os.path.exists(pool.setup_file()) else ""
    T.check("remove (%s): annex's knob block gone, the other lines kept" % how,
            "ANNEX_DEFAULT" not in text and "Generated by annex" not in text and
            text == BEFORE_LINES + AFTER_LINES, text)


def test_remove_yes_on_terminal(m, pool, made, account):
    rc, out, _ = T.run_annex(["-setup", "-remove"], pool.env(), answer="yes")
    check_removed(m, pool, made, account, rc, out, "", "answered yes")
    rc, out, err = T.run_annex(["-check-setup"], pool.env())
    T.check("check-setup after remove reports the setup incomplete", rc == 1, out + err)


def test_remove_flag_yes(m, pool, account):
    made = setup_ok(m, pool, "again, after a removal")
    managed = user_adds_node_policies(m)
    made = inventory(m)
    rc, out, err = T.run_annex(["-setup", "-remove", "-yes"], pool.env())
    check_removed(m, pool, made, account, rc, out, err, "-yes")
    T.check("-yes does not ask", "Is that OK?" not in out, out)
    T.check("the node role went with the policies the user added; their managed policy stays",
            NAMES["node_role"] not in inventory(m)["roles"] and
            m.client("iam").get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"] == 0, out + err)
    before = inventory(m)
    rc, out, err = T.run_annex(["-setup", "-remove", "-yes"], pool.env())
    T.check("a second -remove is harmless", rc == 0 and inventory(m) == before and
            open(pool.setup_file()).read() == BEFORE_LINES + AFTER_LINES, (out, err))


def test_interrupted_remove(m, pool, account):
    """Fail the k-th mutating call of the removal, for every k; the next
    removal finishes the job."""
    made = setup_ok(m, pool, "for the interrupted removals")
    k = 1
    while k <= 30:
        with T.FaultProxy([{"call": "mutating", "nth": k, "fault": "500"}]) as fp:
            rc, out, err = T.run_annex(["-setup", "-remove", "-yes"], pool.env(ANNEX_MAX_ATTEMPTS="1", **fp.env()))
            mutating = [c for c in fp.calls() if c["mutating"]]
        if len(mutating) < k:
            T.check("removal makes %d mutating calls and survived each failing" % (k - 1), rc == 0, out + err)
            break
        T.check("failing mutating call %d (%s) fails the removal with AWS's message" %
                (k, mutating[k - 1]["operation"]), rc == 1 and "InternalError" in err, out + err)
        rc, out, err = T.run_annex(["-setup", "-remove", "-yes"], pool.env())
        T.check("after failure %d the next removal completes" % k,
                rc == 0 and inventory(m) == without_annex(made, account), (out + err, inventory(m)))
        made = setup_ok(m, pool, "after interrupted removal %d" % k)
        k += 1
    else:
        T.check("removal's mutating calls are bounded", False)


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        own_resources(m)
        account = m.client("sts").get_caller_identity()["Account"]
        made = setup_ok(m, pool, "first")
        T.check("setup made its resources beside the test's own",
                NAMES["function"] in made["functions"] and OWN["function"] in made["functions"] and
                made["role_policies"].get(NAMES["lease_role"]) and made["role_policies"].get(OWN["role"]), made)
        T.guarded(test_asks_first, m, pool, made)
        T.guarded(test_remove_yes_on_terminal, m, pool, made, account)
        T.guarded(test_remove_flag_yes, m, pool, account)
        T.guarded(test_interrupted_remove, m, pool, account)
    return T.summary()


sys.exit(main())
