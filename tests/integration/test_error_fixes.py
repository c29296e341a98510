#!/usr/bin/env python3
"""Every error message with a known fix names it, on the same line (issue 20,
item 6): real commands, without AWS and against moto (signature checking
on; AWS's refusals injected by the recording proxy, tests/lib/faultproxy.py).

Each case runs one command that fails, and checks that it exits 1 and that
one line of stderr carries both what went wrong (annex's words, or AWS's
code and message first) and the fix: run 'annex -setup REGION' for a
missing setup or region, where to put credentials, chmod 600 for a loose
key file, condor_store_cred for a missing or empty pool password,
ANNEX_COLLECTOR_ADDRESS for a collector the nodes cannot reach, the AMI id
and region for an image that does not exist, docs/iam.md for
UnauthorizedOperation, Service Quotas for a quota, the credentials for a
wrong secret key.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402


def fix_line(err, *needles):
    """The stderr line that holds every needle, or None."""
    for line in err.splitlines():
        if all(n in line for n in needles):
            return line
    return None


def expect(name, result, *needles):
    rc, out, err = result
    T.check(name, rc == 1 and fix_line(err, *needles) is not None, (rc, out, err))


def launch(pool, *extra, **env):
    return T.run_annex(["-count", "1", "-annex-name", "fixes", "-yes"] + list(extra), pool.env(**env))


def without_aws():
    pool = T.Pool(None)
    expect("no setup: the launch says to run annex -setup for the region",
           launch(pool), "ANNEX_DEFAULT_ODI_LEASE_FUNCTION_ARN is not configured for region us-east-1",
           "run 'annex -setup us-east-1' first")
    expect("no credentials: where to put them", T.run_annex(["-setup"], pool.env()),
           "no AWS credentials found", "~/.aws/credentials", "AWS_ACCESS_KEY_ID", "docs/credentials.md")
    for name, text in (("access", "AKIAEXAMPLE\n"), ("secret", "secret\n")):
        path = os.path.join(pool.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
    os.chmod(os.path.join(pool.dir, "secret"), 0o644)
    expect("a readable secret key file: chmod 600 is named",
           T.run_annex(["-setup", os.path.join(pool.dir, "access"), os.path.join(pool.dir, "secret")], pool.env()),
           "is readable by group or others", "chmod 600 " + os.path.join(pool.dir, "secret"))


def with_moto(m):
    pool = T.Pool(m)
    rc, out, err = T.run_annex(["-setup"], pool.env())
    if not T.check("setup", rc == 0, out + err):
        return
    expect("a region without setup: run annex -setup for that region",
           launch(pool, "-aws-region", "us-west-2"), "not configured for region us-west-2",
           "run 'annex -setup us-west-2' first")

    saved = open(pool.password_file, "rb").read()
    os.unlink(pool.password_file)
    expect("no pool password file: how to create it", launch(pool),
           "SEC_PASSWORD_FILE '%s'" % pool.password_file, "condor_store_cred -c add -f " + pool.password_file)
    expect("-check-setup, no pool password file: how to create it", T.run_annex(["-check-setup"], pool.env()),
           "cannot read SEC_PASSWORD_FILE", "condor_store_cred -c add -f " + pool.password_file)
    open(pool.password_file, "wb").close()
    os.chmod(pool.password_file, 0o600)
    expect("an empty pool password file: how to fill it", launch(pool),
           "is empty", "condor_store_cred -c add -f " + pool.password_file)
    expect("-check-setup, an empty pool password file: how to fill it", T.run_annex(["-check-setup"], pool.env()),
           "is empty", "condor_store_cred -c add -f " + pool.password_file)
    with open(pool.password_file, "wb") as f:
        f.write(saved)

    expect("a loopback collector: set ANNEX_COLLECTOR_ADDRESS",
           launch(pool, _CONDOR_ANNEX_COLLECTOR_ADDRESS="127.0.0.1:9618"),
           "is a loopback address", "set ANNEX_COLLECTOR_ADDRESS")
    expect("an image that does not exist: check the AMI id and the region",
           launch(pool, "-aws-on-demand-ami-id", "ami-0123456789abcdef0"),
           "image ami-0123456789abcdef0 does not exist in us-east-1", "check the AMI id", "-aws-region")

    deny = ("<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to "
            "perform this operation.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>")
    with T.FaultProxy([{"call": "RunInstances", "nth": 1, "fault": "reply", "status": 403, "body": deny}]) as fp:
        res = launch(pool, **fp.env())
    expect("UnauthorizedOperation: AWS's words, then docs/iam.md", res,
           "UnauthorizedOperation: You are not authorized to perform this operation.", "docs/iam.md")
    for code in ("VcpuLimitExceeded", "InstanceLimitExceeded"):
        body = ("<Response><Errors><Error><Code>%s</Code><Message>You have requested more vCPU capacity than "
                "your current vCPU limit of 32 allows.</Message></Error></Errors><RequestID>fp</RequestID>"
                "</Response>" % code)
        with T.FaultProxy([{"call": "RunInstances", "nth": 1, "fault": "reply", "status": 400, "body": body}]) as fp:
            res = launch(pool, **fp.env())
        expect("%s: AWS's words, then Service Quotas" % code, res, code + ": You have requested", "Service Quotas")
    expect("a wrong secret key: AWS's code, then check the credentials",
           T.run_annex(["-status"], pool.env(AWS_SECRET_ACCESS_KEY="wrong-secret-key")),
           "check the AWS credentials annex uses")
    T.check("no instance was left running by the failed launches",
            not [i for r in m.client("ec2").describe_instances(Filters=[
                {"Name": "tag:htcondor:AnnexName", "Values": ["fixes"]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
                for i in r["Instances"]])


def main():
    T.guarded(without_aws)
    with MotoServer() as m:
        T.guarded(with_moto, m)
    return T.summary()


sys.exit(main())
