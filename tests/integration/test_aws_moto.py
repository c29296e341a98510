#!/usr/bin/python3
"""test_aws_moto.py - annex's first real calls, through its API layer
(build/tools/aws_call), against moto_server with signature checking on.

Each service's protocol is exercised once for real (STS, EC2, IAM: query;
S3: REST-XML; Events: JSON 1.1; Lambda: REST-JSON), results are checked
with an independent boto3 client where it matters, every call fails with
AWS's own code when the secret is wrong, the endpoint precedence is proven
by pointing the losing levels at a dead port, -debug output holds no
secret, and query bodies match botocore's serializer field by field.

Known moto quirks (not annex bugs): moto rejects correctly signed Lambda
GETs unless x-amz-content-sha256 is signed (annex signs it on Lambda), it
answers auth errors on JSON services as XML, and it rejects the signature
of S3 keys holding '+' (boto3 too), so the keys here avoid '+'.
"""
import base64
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import traceback
import urllib.parse
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from motoserver import MotoServer  # noqa: E402

BUILD = os.environ.get("ANNEX_BUILD", os.path.join(ROOT, "build"))
AWS_CALL = os.path.join(BUILD, "tools", "aws_call")
ACCOUNT = "123456789012"

moto = None
home = tempfile.mkdtemp(prefix="annex-aws-moto-")


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("ANNEX_")}
    env.update(moto.env())
    env["HOME"] = home
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["ANNEX_RETRY_BASE_MS"] = "10"
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def call(*args, env=None, ok=True):
    p = subprocess.run([AWS_CALL] + list(args), env=env or base_env(), capture_output=True, timeout=120)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if ok and p.returncode != 0:
        raise AssertionError("aws_call %s failed (%d): %s" % (" ".join(args[:4]), p.returncode, err.strip()))
    return p.returncode, out, err


def error_code(err):
    m = re.search(r"^code=(\S+) status=(\d+)$", err, re.M)
    return (m.group(1), int(m.group(2))) if m else (None, None)


# ---- the calls ----

def t_sts_get_caller_identity():
    _, out, _ = call("query", "sts", "GetCallerIdentity")
    assert "<Account>%s</Account>" % ACCOUNT in out, out
    assert ":user/annex-tester</Arn>" in out, out


def t_ec2_describe_regions():
    _, out, _ = call("query", "ec2", "DescribeRegions")
    regions = re.findall(r"<regionName>([^<]+)</regionName>", out)
    assert "us-east-1" in regions and "eu-west-1" in regions, regions
    # a filter list goes through too
    _, out, _ = call("query", "ec2", "DescribeRegions", "RegionName.1=eu-west-1", "RegionName.2=ap-south-1")
    assert sorted(re.findall(r"<regionName>([^<]+)</regionName>", out)) == ["ap-south-1", "eu-west-1"], out


def t_iam_list_roles():
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for name in ("annex-role-a", "annex-role-b", "annex-role-c"):
        call("query", "iam", "CreateRole", "RoleName=" + name, "AssumeRolePolicyDocument=" + policy,
             "Path=/annex/")
    _, out, _ = call("query", "iam", "ListRoles")
    names = re.findall(r"<RoleName>([^<]+)</RoleName>", out)
    assert {"annex-role-a", "annex-role-b", "annex-role-c"} <= set(names), names
    # the policy document arrived intact (encoding of { } " : / and spaces)
    doc = moto.client("iam").get_role(RoleName="annex-role-a")["Role"]["AssumeRolePolicyDocument"]
    assert doc == json.loads(policy), doc
    # paging: Marker/IsTruncated to the end, one role per page
    _, out, _ = call("paginate", "iam", "ListRoles", "RoleName", "MaxItems=1", "PathPrefix=/annex/")
    assert out.strip() == "3 RoleName in 3 pages", out


def t_ec2_paging():
    # moto pages by reservation (AWS by instance): seven launches of one
    for _ in range(7):
        call("query", "ec2", "RunInstances", "ImageId=ami-12c6146b", "MinCount=1", "MaxCount=1",
             "InstanceType=t3.micro")
    _, out, _ = call("paginate", "ec2", "DescribeInstances", "instanceId", "MaxResults=5",
                     "Filter.1.Name=instance-type", "Filter.1.Value.1=t3.micro")
    assert out.strip() == "7 instanceId in 2 pages", out


def t_s3_put_get():
    bucket = "annex-moto-bucket"
    call("s3", "PUT", bucket)
    _, out, _ = call("s3", "GET", "")
    assert "<Name>%s</Name>" % bucket in out, out
    body = "pool config\nline two: é ü\n" + "x" * 3000
    path = os.path.join(home, "object.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(body)
    key = "dir/sub dir/o~b_j-ect.txt"
    call("s3", "PUT", bucket, key, "@" + path)
    _, out, _ = call("s3", "GET", bucket, key)
    assert out == body
    got = moto.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    assert got == body
    rc, _, err = call("s3", "GET", bucket, "no/such/key", ok=False)
    assert rc == 1 and error_code(err) == ("NoSuchKey", 404), err


def t_events_list_rules():
    for name in ("annex-rule-1", "annex-rule-2", "annex-rule-3"):
        call("json11", "events", "PutRule", json.dumps({"Name": name, "ScheduleExpression": "rate(5 minutes)"}))
    _, out, _ = call("json11", "events", "ListRules", json.dumps({"NamePrefix": "annex-rule-"}))
    names = sorted(r["Name"] for r in json.loads(out)["Rules"])
    assert names == ["annex-rule-1", "annex-rule-2", "annex-rule-3"], names
    _, out, _ = call("paginate-json11", "events", "ListRules", "Rules",
                     json.dumps({"NamePrefix": "annex-rule-", "Limit": 2}))
    assert out.strip() == "3 Rules in 2 pages", out
    rc, _, err = call("json11", "events", "DescribeRule", json.dumps({"Name": "no-such-rule"}), ok=False)
    assert rc == 1 and error_code(err)[0] == "ResourceNotFoundException", err


def tiny_zip():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("lease.py", "def handler(event, context):\n    return {'ok': True}\n")
    return base64.b64encode(b.getvalue()).decode()


def t_lambda_create_function():
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    _, out, _ = call("query", "iam", "CreateRole", "RoleName=annex-lambda-role", "AssumeRolePolicyDocument=" + trust)
    role_arn = re.search(r"<Arn>([^<]+)</Arn>", out).group(1)
    req = {"FunctionName": "annex-lease-test", "Runtime": "python3.11", "Role": role_arn,
           "Handler": "lease.handler", "Code": {"ZipFile": tiny_zip()}, "Timeout": 30}
    path = os.path.join(home, "create.json")
    with open(path, "w") as f:
        json.dump(req, f)
    _, out, _ = call("rest-json", "lambda", "POST", "/2015-03-31/functions", "@" + path)
    reply = json.loads(out)
    assert reply["FunctionName"] == "annex-lease-test" and reply["Role"] == role_arn, reply
    # a signed GET (moto needs the signed payload hash) and paging by NextMarker
    _, out, _ = call("rest-json", "lambda", "GET", "/2015-03-31/functions/annex-lease-test")
    assert json.loads(out)["Configuration"]["Timeout"] == 30, out
    # boto3 needs the same signed payload hash for moto to accept its GET:
    # MotoServer.client() adds it for Lambda clients
    lam = moto.client("lambda")
    fn = lam.get_function(FunctionName="annex-lease-test")["Configuration"]
    assert fn["Handler"] == "lease.handler", fn
    _, out, _ = call("paginate-rest-json", "lambda", "/2015-03-31/functions/", "Functions", "MaxItems=1")
    assert re.fullmatch(r"(\d+) Functions in \1 pages", out.strip()), out
    rc, _, err = call("rest-json", "lambda", "GET", "/2015-03-31/functions/no-such-function", ok=False)
    assert rc == 1 and error_code(err) == ("ResourceNotFoundException", 404), err


def t_wrong_secret():
    env = base_env(AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY", ANNEX_MAX_ATTEMPTS="2")
    cases = [
        (("query", "sts", "GetCallerIdentity"), "SignatureDoesNotMatch"),
        (("query", "ec2", "DescribeRegions"), "AuthFailure"),
        (("query", "iam", "ListRoles"), "SignatureDoesNotMatch"),
        (("s3", "GET", ""), "SignatureDoesNotMatch"),
        (("json11", "events", "ListRules"), "SignatureDoesNotMatch"),
        (("rest-json", "lambda", "GET", "/2015-03-31/functions/annex-lease-test"), "SignatureDoesNotMatch"),
    ]
    for args, want in cases:
        rc, out, err = call(*args, env=env, ok=False)
        code, status = error_code(err)
        assert rc == 1 and code == want, (args, err)
        assert status in (401, 403), (args, err)
        assert re.search(r"^aws_call: %s: \S.*" % want, err, re.M), err


# ---- endpoint precedence ----

def t_endpoint_precedence_live():
    dead = dead_url()
    fast = {"ANNEX_MAX_ATTEMPTS": "1"}
    # AWS_ENDPOINT_URL_STS beats AWS_ENDPOINT_URL
    call("query", "sts", "GetCallerIdentity",
         env=base_env(AWS_ENDPOINT_URL=dead, AWS_ENDPOINT_URL_STS=moto.url, **fast))
    # the option beats AWS_ENDPOINT_URL_STS
    call("-url", "sts=" + moto.url, "query", "sts", "GetCallerIdentity",
         env=base_env(AWS_ENDPOINT_URL=dead, AWS_ENDPOINT_URL_STS=dead, **fast))
    # a configured knob is used when no environment variable is set ...
    call("-knob", "ec2=" + moto.url, "query", "ec2", "DescribeRegions",
         env=base_env(AWS_ENDPOINT_URL=None, **fast))
    # ... and loses to AWS_ENDPOINT_URL
    rc, _, err = call("-knob", "ec2=" + moto.url, "query", "ec2", "DescribeRegions",
                      env=base_env(AWS_ENDPOINT_URL=dead, **fast), ok=False)
    assert rc == 1 and error_code(err)[0] == "Transport", err
    assert dead.replace("http://", "") in err, err
    # AWS_ENDPOINT_URL_EVENTBRIDGE is the Events variable
    call("json11", "events", "ListRules", env=base_env(AWS_ENDPOINT_URL=dead,
                                                       AWS_ENDPOINT_URL_EVENTBRIDGE=moto.url, **fast))


def t_endpoint_table():
    env = base_env(AWS_ENDPOINT_URL=None, AWS_ENDPOINT_URL_S3="http://127.0.0.1:9",
                   AWS_REGION="eu-west-3")
    _, out, _ = call("-url", "lambda=https://lambda.example:8443/", "-knob", "events=http://127.0.0.1:7",
                     "-knob", "iam=http://127.0.0.1:6", "endpoints", env=env)
    rows = {line.split()[0]: line.split()[1:] for line in out.strip().splitlines()}
    assert rows["ec2"] == ["https://ec2.eu-west-3.amazonaws.com", "eu-west-3", "derived"], rows
    assert rows["s3"] == ["http://127.0.0.1:9", "eu-west-3", "AWS_ENDPOINT_URL_S3"], rows
    assert rows["lambda"] == ["https://lambda.example:8443", "eu-west-3", "-aws-lambda-url"], rows
    assert rows["events"] == ["http://127.0.0.1:7", "eu-west-3", "ANNEX_DEFAULT_CWE_URL"], rows
    assert rows["iam"] == ["https://iam.amazonaws.com", "us-east-1", "derived"], rows  # IAM has no knob
    _, out, _ = call("endpoints", env=base_env(AWS_ENDPOINT_URL=None, AWS_REGION="cn-north-1"))
    assert "iam https://iam.cn-north-1.amazonaws.com.cn cn-north-1 derived" in out, out
    assert "ec2 https://ec2.cn-north-1.amazonaws.com.cn cn-north-1 derived" in out, out
    rc, _, err = call("endpoints", env=base_env(AWS_REGION="us-east-1x"), ok=False)
    assert rc == 1 and "invalid AWS region 'us-east-1x'" in err, err


# ---- -debug ----

def t_debug_holds_no_secret():
    user_data = base64.b64encode(b"#!/bin/bash\necho 'pool password: hunter2-secret-pw'\n").decode()
    rc, out, err = call("-debug", "query", "iam", "CreateAccessKey", "UserName=annex-tester")
    new_secret = re.search(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", out).group(1)
    trace = err
    _, _, err = call("-debug", "query", "ec2", "RunInstances", "ImageId=ami-12c6146b", "MinCount=1",
                     "MaxCount=1", "UserData=" + user_data)
    trace += err
    _, _, err = call("-debug", "json11", "events", "ListRules")
    trace += err
    _, _, err = call("-debug", "rest-json", "lambda", "GET", "/2015-03-31/functions/annex-lease-test")
    trace += err
    _, _, err = call("-debug", "s3", "PUT", "annex-moto-bucket", "secret.txt", "hunter2-secret-pw")
    trace += err
    _, _, err = call("-debug", "query", "sts", "GetCallerIdentity",
                     env=base_env(AWS_SESSION_TOKEN="FQoGZXIvYXdzEXAMPLESESSIONTOKENVALUE"), ok=False)
    trace += err
    assert "annex: -> POST" in trace and "annex: <- HTTP 200" in trace, trace[:400]
    assert "X-Amz-Security-Token: <redacted>" in trace, trace
    for secret in (moto.secret_key, new_secret, user_data, "hunter2-secret-pw", "EXAMPLESESSIONTOKEN",
                   urllib.parse.quote(moto.secret_key, safe=""), moto.access_key):
        assert secret not in trace, "secret leaked into the -debug trace"
    assert not re.search(r"Signature=[0-9a-f]{16}", trace), "a signature leaked"
    assert trace.count("Signature=<redacted>") >= 6


# ---- request building against botocore's serializer ----

def botocore_body(service, op, params):
    import botocore.session
    from botocore import serialize
    model = botocore.session.get_session().get_service_model(service)
    req = serialize.create_serializer(model.metadata["protocol"]).serialize_to_request(
        params, model.operation_model(op))
    body = req["body"]
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
    return body


def t_query_bodies_match_botocore():
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*",
                                                                 "Resource": "*"}]})
    cases = [
        ("ec2", "RunInstances",
         {"ImageId": "ami-0abc", "MinCount": 2, "MaxCount": 2, "InstanceType": "m5.large",
          "SecurityGroupIds": ["sg-1", "sg-2"], "UserData": "IyEvYmluL2Jhc2gKZWNobyAiaGkgdGhlcmUiICYmIHRydWU=",
          "ClientToken": "annex_1234-5678", "InstanceInitiatedShutdownBehavior": "terminate",
          "IamInstanceProfile": {"Arn": "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-Instance"},
          "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
          "TagSpecifications": [{"ResourceType": "instance", "Tags": [
              {"Key": "htcondor:AnnexName", "Value": "my annex/€"},
              {"Key": "htcondor:LeaseExpiration", "Value": "2026-01-01T00:50:00Z"}]}]},
         ["ImageId=ami-0abc", "MinCount=2", "MaxCount=2", "InstanceType=m5.large",
          "SecurityGroupId.1=sg-1", "SecurityGroupId.2=sg-2",
          "UserData=IyEvYmluL2Jhc2gKZWNobyAiaGkgdGhlcmUiICYmIHRydWU=", "ClientToken=annex_1234-5678",
          "InstanceInitiatedShutdownBehavior=terminate",
          "IamInstanceProfile.Arn=arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-Instance",
          "MetadataOptions.HttpTokens=required", "MetadataOptions.HttpPutResponseHopLimit=1",
          "TagSpecification.1.ResourceType=instance",
          "TagSpecification.1.Tag.1.Key=htcondor:AnnexName", "TagSpecification.1.Tag.1.Value=my annex/€",
          "TagSpecification.1.Tag.2.Key=htcondor:LeaseExpiration",
          "TagSpecification.1.Tag.2.Value=2026-01-01T00:50:00Z"]),
        ("ec2", "DescribeInstances",
         {"Filters": [{"Name": "tag:htcondor:AnnexName", "Values": ["a", "b c"]}], "MaxResults": 1000,
          "NextToken": "tok+/="},
         ["Filter.1.Name=tag:htcondor:AnnexName", "Filter.1.Value.1=a", "Filter.1.Value.2=b c",
          "MaxResults=1000", "NextToken=tok+/="]),
        ("iam", "PutRolePolicy",
         {"RoleName": "HTCondorAnnex-LeaseFunction", "PolicyName": "lease", "PolicyDocument": policy},
         ["RoleName=HTCondorAnnex-LeaseFunction", "PolicyName=lease", "PolicyDocument=" + policy]),
        ("iam", "CreateRole",
         {"RoleName": "r", "AssumeRolePolicyDocument": policy,
          "Tags": [{"Key": "htcondor:annex", "Value": "1"}]},
         ["RoleName=r", "AssumeRolePolicyDocument=" + policy, "Tags.member.1.Key=htcondor:annex",
          "Tags.member.1.Value=1"]),
        ("sts", "GetCallerIdentity", {}, []),
    ]
    for service, op, params, flat in cases:
        _, out, _ = call("query-body", service, op, *flat)
        ours = out.rstrip("\n")
        theirs = botocore_body(service, op, params)
        assert urllib.parse.parse_qs(ours, keep_blank_values=True) == \
            urllib.parse.parse_qs(theirs, keep_blank_values=True), (op, ours, theirs)
        # byte for byte, field by field (the order of fields may differ)
        assert sorted(ours.split("&")) == sorted(theirs.split("&")), (op, ours, theirs)
        assert ours.startswith("Action=%s&Version=" % op), ours


TESTS = [t_sts_get_caller_identity, t_ec2_describe_regions, t_iam_list_roles, t_ec2_paging, t_s3_put_get,
         t_events_list_rules, t_lambda_create_function, t_wrong_secret, t_endpoint_precedence_live,
         t_endpoint_table, t_debug_holds_no_secret, t_query_bodies_match_botocore]


def main():
    global moto
    passed = failed = 0
    if not os.access(AWS_CALL, os.X_OK):
        print("FAIL setup: %s not built" % AWS_CALL)
        print("0 passed, 1 failed")
        return 1
    moto = MotoServer(log=os.path.join(home, "moto.log"))
    moto.start()
    try:
        for t in TESTS:
            try:
                t()
                passed += 1
                print("PASS", t.__name__)
            except Exception:
                failed += 1
                print("FAIL", t.__name__)
                traceback.print_exc(file=sys.stdout)
    finally:
        moto.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
