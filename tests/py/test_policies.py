"""test_policies.py - least privilege of annex's IAM policy files.

moto's IAM ignores conditions, so no emulator run can prove least
privilege (CORRECTIONS.md, issue 3); this test reads every policies/*.json
and holds each to the rules docs/iam.md states:

- no wildcard in any action (`*`, `ec2:*`, `ec2:Describe*`), no NotAction
  or NotResource, Effect Allow only;
- a bare `"Resource": "*"` only when every action of the statement is in
  this test's own table of actions that accept nothing but `*` (a tag
  condition does not excuse it: the statement must name ARNs too);
- every other resource is an ARN of the action's own service that names a
  resource type (never `arn:...:*`);
- every action exists (checked against botocore's service models), every
  condition operator is one IAM knows;
- placeholders are only those docs/iam.md defines, and every ARN is well
  formed once they are filled in;
- trust policies (`*-trust.json`) let exactly one service principal
  `sts:AssumeRole` and nothing else;
- the specific grants docs/iam.md promises (tag conditions on every
  mutating lease action, PassRole only for the node role and only to EC2).
"""
import glob
import json
import os
import re

import botocore.session
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
POLICY_DIR = os.path.join(ROOT, "policies")
FILES = sorted(glob.glob(os.path.join(POLICY_DIR, "*.json")))
PERMISSION_FILES = [f for f in FILES if not f.endswith("-trust.json")]
TRUST_FILES = [f for f in FILES if f.endswith("-trust.json")]

# Actions that support no resource-level permission: IAM accepts only
# "Resource": "*" for them (AWS's Service Authorization Reference).
STAR_ONLY_ACTIONS = {
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeSpotFleetRequests",
    "ec2:DescribeSpotFleetInstances",
    "ec2:DescribeFleets",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeImages",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeTags",
    "sts:GetCallerIdentity",
}

# IAM actions that are permissions, not API operations.
PERMISSION_ONLY_ACTIONS = {"iam:PassRole"}

# Service prefix in an action -> botocore service model name.
BOTOCORE_SERVICE = {"ec2": "ec2", "events": "events", "logs": "logs", "iam": "iam", "sts": "sts",
                    "lambda": "lambda", "s3": "s3"}

CONDITION_OPERATORS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Bool", "Null", "NumericEquals", "NumericLessThan", "NumericGreaterThan", "DateLessThan",
    "DateGreaterThan", "IpAddress", "NotIpAddress",
}

PLACEHOLDERS = {"${Partition}": "aws", "${AccountId}": "123456789012"}
ARN_RE = re.compile(r"^arn:aws:([a-z0-9-]+):([a-z0-9*-]*):([0-9]{12})?:(.+)$")
TAG_CONDITION_RE = re.compile(r"^aws:(ResourceTag|RequestTag)/htcondor:")


def load(path):
    with open(path) as f:
        doc = json.load(f)
    assert doc.get("Version") == "2012-10-17", path
    assert isinstance(doc.get("Statement"), list) and doc["Statement"], path
    return doc


def as_list(value):
    return value if isinstance(value, list) else [value]


def filled(text):
    for name, value in PLACEHOLDERS.items():
        text = text.replace(name, value)
    return text


def tag_conditioned(statement):
    """True when a condition of the statement names an htcondor: tag and
    requires it to be present and non-empty (StringLike/StringEquals on a
    pattern other than "*", or Null false)."""
    for operator, keys in statement.get("Condition", {}).items():
        for key, value in keys.items():
            if not TAG_CONDITION_RE.match(key):
                continue
            if operator == "Null" and value in ("false", False):
                return True
            if operator in ("StringLike", "StringEquals") and all(v not in ("", "*") for v in as_list(value)):
                return True
    return False


def operations(service):
    model = botocore.session.get_session().get_service_model(BOTOCORE_SERVICE[service])
    return set(model.operation_names)


def ids(paths):
    return [os.path.basename(p) for p in paths]


def test_policy_files_exist():
    names = set(ids(FILES))
    for expected in ("lease-function-trust.json", "lease-function-policy.json", "node-trust.json",
                     "connectivity-function-trust.json", "connectivity-function-policy.json",
                     "spot-fleet-trust.json", "spot-fleet-policy.json"):
        assert expected in names
    # The node role carries no inline policy by design (docs/iam.md): the
    # nodes call no AWS API; their lease tag comes from instance metadata.
    assert "node-policy.json" not in names


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_placeholders_known_and_no_managed_policy(path):
    text = open(path).read()
    for placeholder in re.findall(r"\$\{[^}]*\}", text):
        assert placeholder in PLACEHOLDERS, "%s: unknown placeholder %s" % (path, placeholder)
    assert ":iam::aws:policy/" not in text, "annex attaches no AWS-managed policy"
    json.loads(filled(text))


@pytest.mark.parametrize("path", PERMISSION_FILES, ids=ids(PERMISSION_FILES))
def test_least_privilege(path):
    doc = json.loads(filled(open(path).read()))
    sids = [s.get("Sid") for s in doc["Statement"]]
    assert all(sids) and len(set(sids)) == len(sids), "every statement has its own Sid"
    for st in doc["Statement"]:
        where = "%s: %s" % (os.path.basename(path), st["Sid"])
        assert st["Effect"] == "Allow", where
        assert "NotAction" not in st and "NotResource" not in st and "Principal" not in st, where
        actions = as_list(st["Action"])
        resources = as_list(st["Resource"])
        for action in actions:
            assert "*" not in action and "?" not in action, "%s: wildcard action %s" % (where, action)
            service, _, name = action.partition(":")
            assert service in BOTOCORE_SERVICE and name, "%s: %s" % (where, action)
            assert action in PERMISSION_ONLY_ACTIONS or name in operations(service), \
                "%s: no such action %s" % (where, action)
        for operator in st.get("Condition", {}):
            assert operator in CONDITION_OPERATORS, "%s: unknown operator %s" % (where, operator)
        if "*" in resources:
            assert resources == ["*"], where
            unlisted = [a for a in actions if a not in STAR_ONLY_ACTIONS]
            assert not unlisted, "%s: Resource * for %s, which accept resource ARNs" % (where, unlisted)
            continue
        services = {a.split(":")[0] for a in actions}
        for arn in resources:
            m = ARN_RE.match(arn)
            assert m, "%s: not an ARN: %s" % (where, arn)
            assert m.group(1) in services, "%s: %s is not of %s" % (where, arn, services)
            rest = m.group(4)
            assert not rest.startswith("*"), "%s: %s names no resource type" % (where, arn)
            if m.group(1) != "iam":
                assert m.group(3) or rest.startswith(("image/", "snapshot/")), \
                    "%s: %s names no account" % (where, arn)


@pytest.mark.parametrize("path", TRUST_FILES, ids=ids(TRUST_FILES))
def test_trust_policy_names_one_service(path):
    doc = load(path)
    principals = []
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        assert as_list(st["Action"]) == ["sts:AssumeRole"]
        assert set(st["Principal"]) == {"Service"}, "only a service principal"
        principals.extend(as_list(st["Principal"]["Service"]))
    assert len(principals) == 1, principals
    assert re.fullmatch(r"[a-z0-9-]+\.amazonaws\.com", principals[0])


def statements(name):
    doc = json.loads(filled(open(os.path.join(POLICY_DIR, name)).read()))
    return {st["Sid"]: st for st in doc["Statement"]}


def actions_of(name):
    return {a for st in statements(name).values() for a in as_list(st["Action"])}


def test_trust_principals():
    def principal(name):
        return load(os.path.join(POLICY_DIR, name))["Statement"][0]["Principal"]["Service"]
    assert principal("lease-function-trust.json") == "lambda.amazonaws.com"
    assert principal("connectivity-function-trust.json") == "lambda.amazonaws.com"
    assert principal("node-trust.json") == "ec2.amazonaws.com"
    assert principal("spot-fleet-trust.json") == "spotfleet.amazonaws.com"


def test_lease_function_may_do_exactly_what_it_calls():
    # The calls src/functions/lease.py makes, and nothing else beyond its logs.
    src = open(os.path.join(ROOT, "src", "functions", "lease.py")).read()
    called = set(re.findall(r"self\.(ec2|events)\.([a-z_]+)", src))
    expected = {"%s:%s" % (svc, "".join(w.capitalize() for w in op.split("_"))) for svc, op in called}
    assert expected == actions_of("lease-function-policy.json") - {
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_lease_function_mutations_are_tag_conditioned():
    for st in statements("lease-function-policy.json").values():
        mutating = [a for a in as_list(st["Action"]) if a.split(":")[0] in ("ec2", "events")
                    and not a.startswith("ec2:Describe")]
        if mutating:
            assert tag_conditioned(st), st["Sid"]
    logs = statements("lease-function-policy.json")["WriteOwnLogs"]
    for arn in logs["Resource"]:
        assert ":log-group:/aws/lambda/HTCondorAnnex-LeaseFunction" in arn
        assert arn.endswith(("LeaseFunction", "LeaseFunction:*"))


def test_connectivity_function_may_only_write_its_own_logs():
    # src/functions/connectivity.py calls no AWS API (issue 19): its role
    # may write the function's own log group and nothing else
    sts = statements("connectivity-function-policy.json")
    assert list(sts) == ["WriteOwnLogs"]
    assert set(as_list(sts["WriteOwnLogs"]["Action"])) == {
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    for arn in as_list(sts["WriteOwnLogs"]["Resource"]):
        assert ":log-group:/aws/lambda/HTCondorAnnex-ConnectivityFunction" in arn
        assert arn.endswith(("ConnectivityFunction", "ConnectivityFunction:*"))


def test_spot_fleet_role_passes_only_the_node_role_to_ec2():
    sts = statements("spot-fleet-policy.json")
    passing = [st for st in sts.values() if "iam:PassRole" in as_list(st["Action"])]
    assert len(passing) == 1
    st = passing[0]
    assert as_list(st["Resource"]) == ["arn:aws:iam::123456789012:role/HTCondorAnnex-NodeRole"]
    assert set(as_list(st["Condition"]["StringEquals"]["iam:PassedToService"])) <= {
        "ec2.amazonaws.com", "ec2.amazonaws.com.cn"}
    for st in sts.values():
        if "ec2:TerminateInstances" in as_list(st["Action"]):
            assert tag_conditioned(st)
            assert "aws:ResourceTag/aws:ec2spot:fleet-request-id" in st["Condition"]["StringLike"]
        if "ec2:RunInstances" in as_list(st["Action"]):
            if any(r.endswith(":instance/*") for r in as_list(st["Resource"])):
                assert tag_conditioned(st), "new instances must carry annex's tags"


def test_docs_describe_every_policy_file():
    doc = open(os.path.join(ROOT, "docs", "iam.md")).read()
    for path in FILES:
        assert os.path.basename(path) in doc
        for sid in (statements(os.path.basename(path)) if path in PERMISSION_FILES else {}):
            assert sid in doc, "docs/iam.md does not explain %s" % sid
    for placeholder in PLACEHOLDERS:
        assert placeholder in doc


def test_lease_function_terminates_only_instances_of_annex_node_profile():
    """issue 18: a forged tag gets nothing. IAM itself holds the lease
    function's TerminateInstances to annex's node instance profile (moto
    does not enforce conditions, so the document is what is tested; -setup
    widens the list with a reused condor_annex profile, tested in
    tests/integration/test_condor_annex_setup.py)."""
    sts = statements("lease-function-policy.json")
    terminating = [st for st in sts.values() if "ec2:TerminateInstances" in as_list(st["Action"])]
    assert len(terminating) == 1
    st = terminating[0]
    assert as_list(st["Action"]) == ["ec2:TerminateInstances"], "the condition must bind every action of it"
    assert st["Condition"]["ArnEquals"] == {
        "ec2:InstanceProfile": "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile"}
    assert tag_conditioned(st)
    # no other statement grants TerminateInstances, and no statement uses a
    # wildcard that would (test_least_privilege refuses wildcard actions)
    doc = open(os.path.join(ROOT, "docs", "security.md")).read()
    assert "ec2:InstanceProfile" in doc and "forged" in doc.lower()
