#!/usr/bin/env python3
"""IAM propagation (SPEC.md section 5): a role or instance profile made
seconds ago is not yet usable by Lambda or EC2. annex waits it out by
retrying only the call that reports it, bounded by ANNEX_IAM_WAIT_S, with a
message; after the bound it fails clearly.

moto never shows the delay, so the fault proxy answers the call with the
error AWS sends (fault "reply", nothing forwarded) for its first k times.
Runs in a private network namespace (annextest.enter_netns).
"""
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

# CreateFunction (AddPermission comes later, after it). Two chains make a
# function each, side by side (the lease function, the connectivity
# function), so the first CreateFunction calls are both chains' first tries
LAMBDA_CREATE = "POST /2015-03-31"
LAMBDA_NOT_ASSUMABLE = {
    "fault": "reply", "status": 400, "content_type": "application/json",
    "body": json.dumps({"__type": "InvalidParameterValueException",
                        "message": "The role defined for the function cannot be assumed by Lambda."}),
}


def ec2_invalid_profile(kind):
    msg = ("Value (HTCondorAnnex-InstanceProfile) for parameter iamInstanceProfile.name is invalid. "
           "Invalid IAM Instance Profile name") if kind == "name" else (
           "Value (arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile) for parameter "
           "iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidParameterValue</Code>'
            '<Message>%s</Message></Error></Errors><RequestID>iam-wait-test</RequestID></Response>' % msg)
    return {"fault": "reply", "status": 400, "content_type": "text/xml;charset=UTF-8", "body": body}


def ops(calls):
    return collections.Counter(c["operation"] for c in calls)


def live(m, name):
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
        {"Name": "tag:htcondor:AnnexName", "Values": [name]}])["Reservations"]
    return [i for r in res for i in r["Instances"]]


def fresh(m, pool):
    m.reset()
    if os.path.exists(pool.setup_file()):
        os.unlink(pool.setup_file())


def test_setup_waits(m, pool):
    fresh(m, pool)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(**fp.env()))
        clean = ops(fp.calls())
    T.check("reference setup through the proxy", rc == 0, out + err)

    fresh(m, pool)
    # three failed tries for each of the two functions: both chains wait
    # 0.5, 1 and 2 s in step, so each chain's first three tries fail
    rule = dict(LAMBDA_NOT_ASSUMABLE, call=LAMBDA_CREATE, nth=1, times=6)
    with T.FaultProxy([rule]) as fp:
        start = time.time()
        rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_IAM_WAIT_S="30", **fp.env()))
        elapsed = time.time() - start
        calls = fp.calls()
    T.check("setup waits out 'role cannot be assumed' and succeeds", rc == 0 and "Setup successful." in out,
            out + err)
    T.check("setup says it waits for IAM", "Creating Lambda functions.. (waiting for IAM to make the new role "
            "usable) complete." in out.splitlines() and "Creating connectivity function.. (waiting for IAM to make "
            "the new role usable) complete." in out.splitlines(), out)
    extra = ops(calls) - clean
    T.check("only CreateFunction was sent again (3 more times for each function), nothing else",
            extra == collections.Counter({LAMBDA_CREATE: 6}) and not (clean - ops(calls)), (extra, clean - ops(calls)))
    # setup's chains run side by side; the two functions' CreateFunction
    # calls (the name is in the body) interleave, but no other Lambda call
    # but the lookups comes before the first that succeeds: the permission
    # follows the function
    fn_calls = [c for c in calls if "/2015-03-31" in c["url"]]
    creates = [i for i, c in enumerate(fn_calls) if c["url"].endswith("/2015-03-31/functions")]
    faulted = [i for i, c in enumerate(fn_calls) if c["fault"] == "reply"]
    T.check("the retries follow each other, only the functions' lookups before them",
            len(creates) == 8 and faulted == creates[:6] and
            all(fn_calls[i]["method"] == "GET" for i in range(creates[6]) if i not in creates), (creates, faulted))
    T.check("it waited between the tries (0.5 + 1 + 2 s), not a busy loop", elapsed >= 3.4, elapsed)
    T.check("each function exists once", sorted(f["FunctionName"] for f in m.client("lambda").list_functions()
                                                 ["Functions"]) == ["HTCondorAnnex-ConnectivityFunction",
                                                                    "HTCondorAnnex-LeaseFunction"])


def test_setup_bound(m, pool):
    fresh(m, pool)
    rule = dict(LAMBDA_NOT_ASSUMABLE, call=LAMBDA_CREATE, nth=1, times=0)
    with T.FaultProxy([rule]) as fp:
        start = time.time()
        rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_IAM_WAIT_S="2", **fp.env()))
        elapsed = time.time() - start
        creates = [c for c in fp.calls() if c["operation"] == LAMBDA_CREATE]
    T.check("setup fails after the bound", rc == 1 and "Creating Lambda functions.. (waiting for IAM to make the "
            "new role usable) failed." in out.splitlines() and "Setup successful." not in out, out + err)
    T.check("the error names the wait, the knob and AWS's message in one line",
            "within 2 s" in err and "ANNEX_IAM_WAIT_S" in err and "HTCondorAnnex-LeaseFunctionRole" in err and
            "InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda." in err
            and len(T.without_region_line(err).strip().splitlines()) == 1, err)
    T.check("bounded: about ANNEX_IAM_WAIT_S seconds, a few tries (each function's)",
            2 <= elapsed < 10 and 4 <= len(creates) <= 10, (elapsed, len(creates)))
    T.check("nothing recorded after a failed piece", not os.path.exists(pool.setup_file()), out)
    T.check("the pieces that do not need the function were made beside it (setup's chains run at once)",
            "Creating instance profile.. complete." in out.splitlines() and
            len(m.client("iam").list_instance_profiles()["InstanceProfiles"]) == 1, out)

    fresh(m, pool)
    with T.FaultProxy([rule]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_IAM_WAIT_S="0", **fp.env()))
        creates = [c for c in fp.calls() if c["operation"] == LAMBDA_CREATE]
    T.check("ANNEX_IAM_WAIT_S=0: no waiting, one try (each function's), clear error",
            rc == 1 and len(creates) == 2 and "(waiting" not in out and "ANNEX_IAM_WAIT_S" in err, (out, err))

    fresh(m, pool)
    other = {"call": LAMBDA_CREATE, "nth": 1, "times": 0, "fault": "reply", "status": 400,
             "content_type": "application/json",
             "body": json.dumps({"__type": "InvalidParameterValueException", "message": "Unzipped size too big"})}
    with T.FaultProxy([other]) as fp:
        rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_IAM_WAIT_S="30", **fp.env()))
        creates = [c for c in fp.calls() if c["operation"] == LAMBDA_CREATE]
    T.check("another InvalidParameterValueException is not waited on (one try each)",
            rc == 1 and len(creates) == 2 and "Unzipped size too big" in err and "ANNEX_IAM_WAIT_S" not in err,
            (out, err, len(creates)))
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("the next setup completes", rc == 0, out + err)


def test_launch_waits(m, pool):
    for kind in ("name", "arn"):
        rule = dict(ec2_invalid_profile(kind), call="RunInstances", nth=1, times=2)
        name = "iamwait-" + kind
        with T.FaultProxy([rule]) as fp:
            start = time.time()
            rc, out, err = T.run_annex(["-count", "2", "-annex-name", name, "-yes"],
                                       pool.env(ANNEX_IAM_WAIT_S="30", **fp.env()))
            elapsed = time.time() - start
            calls = fp.calls()
        runs = [c for c in calls if c["operation"] == "RunInstances"]
        T.check("launch waits out 'Invalid IAM Instance Profile %s' and starts the annex" % kind,
                rc == 0 and "Annex started." in out and len(live(m, name)) == 2, out + err)
        T.check("launch says it waits for IAM (%s)" % kind,
                "Waiting for IAM to make the instance profile usable by EC2 (at most 30 s)..." in out, out)
        T.check("RunInstances sent 3 times with one ClientToken (%s)" % kind,
                len(runs) == 3 and len({c["params"].get("ClientToken") for c in runs}) == 1, runs)
        between = calls[calls.index(runs[0]):calls.index(runs[-1]) + 1]
        T.check("only RunInstances retried, nothing in between (%s)" % kind,
                all(c["operation"] == "RunInstances" for c in between), [c["operation"] for c in between])
        T.check("one lease rule (%s)" % kind, len(m.client("events").list_rules(NamePrefix=name + "_")["Rules"]) == 1)
        T.check("waited 0.5 + 1 s (%s)" % kind, elapsed >= 1.4, elapsed)


def test_launch_bound(m, pool):
    rule = dict(ec2_invalid_profile("name"), call="RunInstances", nth=1, times=0)
    with T.FaultProxy([rule]) as fp:
        start = time.time()
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "iamstuck", "-yes"],
                                   pool.env(ANNEX_IAM_WAIT_S="2", **fp.env()))
        elapsed = time.time() - start
        runs = [c for c in fp.calls() if c["operation"] == "RunInstances"]
    T.check("launch fails after the bound with the wait, the knob and AWS's message",
            rc == 1 and "within 2 s" in err and "ANNEX_IAM_WAIT_S" in err and
            "InvalidParameterValue: Value (HTCondorAnnex-InstanceProfile) for parameter iamInstanceProfile.name "
            "is invalid. Invalid IAM Instance Profile name" in err and "Annex started." not in out, (out, err))
    T.check("launch bound: about ANNEX_IAM_WAIT_S seconds, a few tries",
            2 <= elapsed < 15 and 2 <= len(runs) <= 5, (elapsed, len(runs)))
    T.check("launch bound: no instance, the lease rule removed", not live(m, "iamstuck") and
            m.client("events").list_rules(NamePrefix="iamstuck_")["Rules"] == [])
    with T.FaultProxy([dict(rule, fault="500")]) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "iam500", "-yes"],
                                   pool.env(ANNEX_MAX_ATTEMPTS="2", ANNEX_IAM_WAIT_S="30", **fp.env()))
        runs = [c for c in fp.calls() if c["operation"] == "RunInstances"]
    T.check("a 500 is not IAM propagation: ANNEX_MAX_ATTEMPTS bounds it, no IAM message",
            rc == 1 and len(runs) == 2 and "Waiting for IAM" not in out and "ANNEX_IAM_WAIT_S" not in err,
            (out, err, len(runs)))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        T.guarded(test_setup_waits, m, pool)
        T.guarded(test_setup_bound, m, pool)
        fresh(m, pool)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if T.check("setup for the launch tests", rc == 0, out + err):
            T.guarded(test_launch_waits, m, pool)
            T.guarded(test_launch_bound, m, pool)
    return T.summary()


sys.exit(main())
