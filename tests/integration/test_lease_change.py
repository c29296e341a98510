#!/usr/bin/env python3
"""annex -annex-name X -duration H on a running annex, against moto with
signature checking on: the htcondor:LeaseExpiration tags of the annex's
instances and the target input of each of its lease rules move to now + H;
other annexes are untouched; -status reports the new lease.

Not covered here: the refusal to extend past a Spot Fleet's ValidUntil,
because moto drops ValidUntil from the requests it stores (TESTING.md).
"""
import calendar
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402


def tags(i):
    return {t["Key"]: t["Value"] for t in i.get("Tags", [])}


def instances(m, name):
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    return [i for r in res for i in r["Instances"]]


def rule_inputs(m, name):
    ev = m.client("events")
    out = {}
    for r in ev.list_rules(NamePrefix=name + "_")["Rules"]:
        for t in ev.list_targets_by_rule(Rule=r["Name"])["Targets"]:
            out[r["Name"]] = json.loads(t["Input"])
    return out


def iso_to_epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup", rc == 0, out + err):
            return T.summary()
        for name, n in (("render", 2), ("render", 1), ("other", 1)):
            rc, out, err = T.run_annex(["-count", str(n), "-annex-name", name, "-duration", "1", "-yes"], pool.env())
            T.check("launch %s x%d" % (name, n), rc == 0, out + err)
        other_before = (sorted(tags(i)["htcondor:LeaseExpiration"] for i in instances(m, "other")),
                        rule_inputs(m, "other"))

        t0 = int(time.time())
        rc, out, err = T.run_annex(["-annex-name", "render", "-duration", "3"], pool.env())
        t1 = int(time.time())
        T.check("lease change exits 0 and says what it did", rc == 0 and re.fullmatch(
            r"The lease of annex 'render' now ends \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(3\.00 hours from now\): "
            r"3 instances retagged, 2 lease rules updated\.\n", out), (out, err))
        leases = {tags(i)["htcondor:LeaseExpiration"] for i in instances(m, "render")}
        lease = leases.pop() if len(leases) == 1 else None
        T.check("every render instance carries one new lease, now + 3 h",
                lease and t0 + 3 * 3600 <= iso_to_epoch(lease) <= t1 + 3 * 3600, (leases, lease))
        inputs = rule_inputs(m, "render")
        T.check("both lease rules' target inputs carry the same lease, name and id kept",
                len(inputs) == 2 and all(v["LeaseExpiration"] == lease and v["AnnexName"] == "render" and
                                         v["AnnexId"] == k for k, v in inputs.items()), inputs)
        T.check("the other annex is untouched",
                (sorted(tags(i)["htcondor:LeaseExpiration"] for i in instances(m, "other")),
                 rule_inputs(m, "other")) == other_before, other_before)

        rc, out, err = T.run_annex(["-status", "-annex-name", "render"], pool.env(ANNEX_CONDOR_STATUS=None))
        T.check("-status shows the new lease for both launches",
                rc == 0 and len(re.findall(r"^Lease of render_\S+: (?:2\.9\d|3\.00) hours remaining \(until %s\)\.$"
                                           % lease, out, re.M)) == 2, out)

        rc, out, err = T.run_annex(["-annex-name", "render", "-duration", "0.5"], pool.env())
        leases = {tags(i)["htcondor:LeaseExpiration"] for i in instances(m, "render")}
        T.check("a shorter lease works too", rc == 0 and len(leases) == 1 and
                iso_to_epoch(leases.pop()) <= int(time.time()) + 1800, (out, err, leases))

        rc, out, err = T.run_annex(["-annex-name", "nobody", "-duration", "2"], pool.env())
        T.check("unknown annex: an error naming it, exit 1", rc == 1 and "'nobody'" in err, (out, err))
        rc, out, err = T.run_annex(["-annex-name", "bad_name", "-duration", "2"], pool.env())
        T.check("bad annex name refused before any call", rc == 1 and "-annex-name" in err, (out, err))
    return T.summary()


sys.exit(main())
