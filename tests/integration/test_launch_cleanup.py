#!/usr/bin/env python3
"""Nothing is leaked by a launch that fails after instances started.

A RunInstances that launched its instances but answers with an error that
annex does not retry (the fault proxy forwards it, then replaces the reply)
must end in: the instances this launch started terminated, the lease rule
removed, AWS's error on stderr. If terminating fails too, annex prints the
instance ids and the exact command that ends them.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

BAD = ("<Response><Errors><Error><Code>InvalidParameterCombination</Code><Message>injected after the launch"
       "</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>")


def live(m, name):
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    return [i["InstanceId"] for r in res for i in r["Instances"]]


def test_cleanup(m, pool):
    rule = {"call": "RunInstances", "nth": 1, "fault": "forward_reply", "status": 400, "body": BAD}
    with T.FaultProxy([rule]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "halfway", "-yes"], pool.env(**fp.env()))
        ops = [c["operation"] for c in fp.calls()]
    T.check("the launch fails with AWS's error", rc == 1 and "InvalidParameterCombination" in err, out + err)
    T.check("the instances it started are terminated, and annex says so",
            live(m, "halfway") == [] and "terminated the 2 instances this launch started" in err and
            "TerminateInstances" in ops, (out, err, ops))
    T.check("its lease rule is removed", m.client("events").list_rules(NamePrefix="halfway_")["Rules"] == [])


def test_cleanup_fails(m, pool):
    rules = [{"call": "RunInstances", "nth": 1, "fault": "forward_reply", "status": 400, "body": BAD},
             {"call": "TerminateInstances", "nth": 1, "times": 0, "fault": "500"}]
    with T.FaultProxy(rules) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "stranded", "-yes"],
                                   pool.env(ANNEX_MAX_ATTEMPTS="1", **fp.env()))
    ids = live(m, "stranded")
    cmd = re.search(r"aws ec2 terminate-instances --region us-east-1 --instance-ids ((?:i-[0-9a-f]+ ?)+)", err)
    T.check("termination failing too: annex prints the running ids and the exact command",
            rc == 1 and len(ids) == 2 and cmd and sorted(cmd.group(1).split()) == sorted(ids), (err, ids))
    T.check("... and the lease rule stays, so the cloud-side lease still ends them",
            len(m.client("events").list_rules(NamePrefix="stranded_")["Rules"]) == 1 and
            "the lease rule stranded_" in err and "stays" in err, err)
    if cmd:   # the printed command works: run it (through boto3) and nothing is left
        m.client("ec2").terminate_instances(InstanceIds=cmd.group(1).split())
    T.check("the printed ids end everything", live(m, "stranded") == [])


def test_off_many(m, pool):
    """-off of an annex larger than one TerminateInstances batch (500 ids)
    ends every instance: each batch carries its own ids, none twice."""
    ec2 = m.client("ec2")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "htcondor:AnnexName", "Value": "many"},
                                                   {"Key": "htcondor:AnnexId", "Value": "many_x"}]}]
    # launched as annex launches (its node profile, the annex id as token):
    # -off ends only annex's own instances (docs/security.md, "Forged tags")
    profile = m.client("iam").get_instance_profile(
        InstanceProfileName="HTCondorAnnex-InstanceProfile")["InstanceProfile"]["Arn"]
    ec2.run_instances(ImageId=ami, MinCount=501, MaxCount=501, InstanceType="t3.micro", TagSpecifications=tags,
                      IamInstanceProfile={"Arn": profile}, ClientToken="many_x")
    T.check("501 instances of annex 'many' run", len(live(m, "many")) == 501)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-off", "-annex-name", "many"], pool.env(**fp.env()))
        batches = [[v for k, v in c["params"].items() if k.startswith("InstanceId.")]
                   for c in fp.calls() if c["operation"] == "TerminateInstances"]
    T.check("-off ends all 501", rc == 0 and live(m, "many") == [], (out, err, len(live(m, "many"))))
    T.check("two batches, 500 and 1 ids, no id sent twice",
            sorted(len(b) for b in batches) == [1, 500] and len({i for b in batches for i in b}) == 501,
            [len(b) for b in batches])


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if T.check("setup", rc == 0, out + err):
            T.guarded(test_cleanup, m, pool)
            T.guarded(test_cleanup_fails, m, pool)
            T.guarded(test_off_many, m, pool)
    return T.summary()


sys.exit(main())
