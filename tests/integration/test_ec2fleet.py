#!/usr/bin/env python3
"""annex -count N -instance-types T1,T2 / -spot [-spot-fallback on-demand]:
the EC2 Fleet back-end (issue 21, item 1) against moto with signature
checking on, the requests asserted on the wire (tests/lib/faultproxy.py).

moto's instant CreateFleet is completed by tests/lib/motopatch (the
instances get the template's profile and EC2's aws:ec2:fleet-id tag;
prioritized fills in priority order; the server's ANNEX_MOTO_FLEET_ERRORS
makes chosen (type, market) pools fail as AWS reports it). Here it names a
file, rewritten before each case.
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402
import pricelist  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
ERRORS = os.path.join(tempfile.mkdtemp(prefix="annex-fleet-errors-"), "errors")


def fleet_errors(spec):
    with open(ERRORS, "w") as f:
        f.write(spec)


def live(m, name):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]},
               {"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return [i for r in res for i in r["Instances"]]


def tags(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


def templates(m, annex_id):
    return m.client("ec2").describe_launch_templates(
        Filters=[{"Name": "tag:htcondor:AnnexId", "Values": [annex_id]}])["LaunchTemplates"]


def launch(m, pool, args, name):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-annex-name", name, "-yes"] + args, pool.env(**fp.env()))
        calls = fp.calls()
    annex_id = re.search(r"'(%s_%s)'" % (name, UUID), out)
    if not annex_id:
        made = [c for c in calls if c["operation"] == "CreateFleet"]
        annex_id = made[0]["params"].get("ClientToken") if made else None
    else:
        annex_id = annex_id.group(1)
    return rc, out, err, calls, annex_id or ""


def fleets_of(calls):
    return [c["params"] for c in calls if c["operation"] == "CreateFleet"]


def tag_specs(p):
    """ResourceType -> {key: value} of a request's TagSpecification.N."""
    out = {}
    for k, v in p.items():
        mt = re.fullmatch(r"TagSpecification\.(\d+)\.ResourceType", k)
        if mt:
            n = mt.group(1)
            out[v] = {p[kk]: p.get(kk[:-4] + ".Value") for kk in p
                      if re.fullmatch(r"TagSpecification\.%s\.Tag\.\d+\.Key" % n, kk)}
    return out


def test_prioritized(m, pool):
    fleet_errors("")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "3", "-instance-types", "m5.large,c5.large",
                                                     "-tag", "project", "p7"], "multi")
    T.check("on-demand EC2 Fleet launch exits 0", rc == 0 and "Annex started." in out, out + err)
    ops = [c["operation"] for c in calls]
    fl = fleets_of(calls)
    p = fl[0] if fl else {}
    name = "htcondor-annex-" + annex_id
    T.check("one CreateFleet, after annex's launch template", len(fl) == 1 and "CreateLaunchTemplate" in ops and
            ops.index("CreateLaunchTemplate") < ops.index("CreateFleet") and "RunInstances" not in ops, ops)
    T.check("CreateFleet: instant, ClientToken the annex id, capacity 3 on-demand",
            p.get("Type") == "instant" and p.get("ClientToken") == annex_id and
            p.get("TargetCapacitySpecification.TotalTargetCapacity") == "3" and
            p.get("TargetCapacitySpecification.DefaultTargetCapacityType") == "on-demand", p)
    T.check("on-demand in the user's order: prioritized, Priority = position",
            p.get("OnDemandOptions.AllocationStrategy") == "prioritized" and
            p.get("LaunchTemplateConfigs.1.Overrides.1.InstanceType") == "m5.large" and
            p.get("LaunchTemplateConfigs.1.Overrides.1.Priority") == "1" and
            p.get("LaunchTemplateConfigs.1.Overrides.2.InstanceType") == "c5.large" and
            p.get("LaunchTemplateConfigs.1.Overrides.2.Priority") == "2" and
            "LaunchTemplateConfigs.1.Overrides.3.InstanceType" not in p and "SpotOptions.AllocationStrategy" not in p,
            p)
    T.check("through annex's template, version 1",
            p.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName") == name and
            p.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version") == "1", p)
    ts = tag_specs(p)
    T.check("instance and fleet tagged with annex's tags and -tag (an instant fleet takes no other type)",
            set(ts) == {"instance", "fleet"} and all(
                t.get("htcondor:AnnexId") == annex_id and t.get("htcondor:AnnexName") == "multi" and
                t.get("project") == "p7" and "htcondor:LeaseExpiration" in t for t in ts.values()), ts)
    T.check("the user-data is never printed", "UserData" not in out and "s3cr3t" not in out + err, out)
    inst = live(m, "multi")
    T.check("three instances, all of the first priority", len(inst) == 3 and
            all(i["InstanceType"] == "m5.large" for i in inst), [(i["InstanceId"], i["InstanceType"]) for i in inst])
    T.check("each: annex's profile, tags, EC2's fleet tag", inst and all(
        i.get("IamInstanceProfile", {}).get("Arn", "").endswith("/HTCondorAnnex-InstanceProfile") and
        tags(i).get("htcondor:AnnexId") == annex_id and tags(i).get("aws:ec2:fleet-id", "").startswith("fleet-")
        for i in inst), inst)
    T.check("one summary line per type and market",
            "CreateFleet launched 3 of the 3 instances requested: 3 m5.large (on-demand)." in out, out)
    T.check("leased like any annex: the rule named by the annex id",
            m.client("events").describe_rule(Name=annex_id)["ScheduleExpression"] == "rate(5 minutes)")
    tpl = templates(m, annex_id)
    T.check("the template: named from the annex id, IMDSv2, profile, user-data",
            len(tpl) == 1 and tpl[0]["LaunchTemplateName"] == name, tpl)
    return annex_id


def test_type_errors(m, pool):
    fleet_errors("m5.large:on-demand:InsufficientInstanceCapacity:1")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "3", "-instance-types", "m5.large,c5.large"],
                                           "short")
    inst = live(m, "short")
    kinds = sorted(i["InstanceType"] for i in inst)
    T.check("a pool short of capacity: the next type fills the rest", rc == 0 and
            kinds == ["c5.large", "c5.large", "m5.large"], (out, err, kinds))
    T.check("the error said on one line, type and market first",
            re.search(r"^annex: m5\.large \(on-demand\): InsufficientInstanceCapacity: We currently do not have "
                      r"sufficient m5\.large capacity.*$", err, re.M), err)
    T.check("the summary line names both types",
            "CreateFleet launched 3 of the 3 instances requested: 1 m5.large (on-demand), 2 c5.large (on-demand)."
            in out, out)


def test_spot(m, pool):
    fleet_errors("c5.large:spot:Unsupported")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "2", "-instance-types", "c5.large,m5.large",
                                                     "-spot"], "spotty")
    fl = fleets_of(calls)
    p = fl[0] if fl else {}
    T.check("spot EC2 Fleet launch exits 0", rc == 0, out + err)
    T.check("spot: price-capacity-optimized, DefaultTargetCapacityType spot, no Priority",
            p.get("SpotOptions.AllocationStrategy") == "price-capacity-optimized" and
            p.get("TargetCapacitySpecification.DefaultTargetCapacityType") == "spot" and
            "OnDemandOptions.AllocationStrategy" not in p and
            not any(k.endswith(".Priority") for k in p), p)
    T.check("spot: Unsupported reported for its type",
            "annex: c5.large (spot): Unsupported: The requested configuration is currently not supported" in err, err)
    inst = live(m, "spotty")
    T.check("two spot instances of the other type", len(inst) == 2 and
            all(i["InstanceType"] == "m5.large" and i.get("InstanceLifecycle") == "spot" for i in inst), inst)
    T.check("spot summary", "2 m5.large (spot)." in out, out)
    ops = [c["operation"] for c in calls]
    T.check("-yes spot: priced all the same (one DescribeSpotPriceHistory, no GetProducts), each instance "
            "tagged with every type's newest spot price, nothing printed of it",
            ops.count("DescribeSpotPriceHistory") == 1 and "GetProducts" not in ops and inst and
            all(tags(i).get("htcondor:PriceUSDPerHour") == "c5.large=0.00001,m5.large=0.00001" for i in inst) and
            "Worst case" not in out, (ops, [tags(i).get("htcondor:PriceUSDPerHour") for i in inst]))
    # -spot with one -instance-type goes through the same back-end
    fleet_errors("")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "1", "-instance-type", "c5.large", "-spot"], "spot1")
    fl = fleets_of(calls)
    T.check("-spot -instance-type T: one CreateFleet with that type", rc == 0 and len(fl) == 1 and
            fl[0].get("LaunchTemplateConfigs.1.Overrides.1.InstanceType") == "c5.large" and
            fl[0].get("TargetCapacitySpecification.DefaultTargetCapacityType") == "spot", (out, err, fl))


def test_fallback(m, pool):
    fleet_errors("c5.large:spot:InsufficientInstanceCapacity,m5.large:spot:MaxSpotInstanceCountExceeded:1")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "3", "-instance-types", "c5.large,m5.large",
                                                     "-spot", "-spot-fallback", "on-demand"], "fallback")
    fl = fleets_of(calls)
    T.check("fallback launch exits 0", rc == 0, out + err)
    T.check("two CreateFleet: spot for 3, then on-demand for the other 2", len(fl) == 2 and
            fl[0].get("TargetCapacitySpecification.DefaultTargetCapacityType") == "spot" and
            fl[0].get("TargetCapacitySpecification.TotalTargetCapacity") == "3" and
            fl[1].get("TargetCapacitySpecification.DefaultTargetCapacityType") == "on-demand" and
            fl[1].get("TargetCapacitySpecification.TotalTargetCapacity") == "2" and
            fl[1].get("OnDemandOptions.AllocationStrategy") == "prioritized", fl)
    T.check("the fallback's ClientToken: od- and the annex id, at most 64 characters",
            len(fl) == 2 and fl[0]["ClientToken"] == annex_id and
            fl[1]["ClientToken"] == ("od-" + annex_id)[:64] and fl[1]["ClientToken"] != fl[0]["ClientToken"], fl)
    T.check("never silently: one line says spot fell short",
            "Spot filled 1 of the 3 instances; asking for the other 2 on-demand (-spot-fallback on-demand)." in out,
            out)
    T.check("both spot errors reported", "annex: c5.large (spot): InsufficientInstanceCapacity:" in err and
            "annex: m5.large (spot): MaxSpotInstanceCountExceeded: Max spot instance count exceeded" in err, err)
    inst = live(m, "fallback")
    T.check("three instances: 1 spot, 2 on-demand, all annex's tags",
            len(inst) == 3 and sum(i.get("InstanceLifecycle") == "spot" for i in inst) == 1 and
            all(tags(i).get("htcondor:AnnexId") == annex_id for i in inst), inst)
    T.check("summary per type and market",
            "CreateFleet launched 3 of the 3 instances requested: 1 m5.large (spot), 2 c5.large (on-demand)." in out,
            out)
    ops = [c["operation"] for c in calls]
    T.check("-spot-fallback -yes: the on-demand prices asked (GetProducts per type); moto has no Price List, so "
            "the launch goes on untagged", "GetProducts" in ops and "DescribeSpotPriceHistory" not in ops and
            not any("htcondor:PriceUSDPerHour" in tags(i) for i in inst), (ops, [tags(i) for i in inst]))
    return annex_id


def test_min_count(m, pool):
    fleet_errors("c5.large:on-demand:InsufficientInstanceCapacity:1,m5.large:on-demand:InsufficientInstanceCapacity")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "3", "-min-count", "2", "-instance-types",
                                                     "c5.large,m5.large"], "few")
    T.check("fewer than -min-count: the launch fails, saying what happened", rc != 0 and
            "launched 1 of the 3 instances requested, fewer than -min-count 2" in err, (out, err))
    T.check("... and ends what started: instances, template, fleet, rule",
            not live(m, "few") and not templates(m, annex_id) and
            m.client("events").list_rules(NamePrefix="few_")["Rules"] == [], (out, err))
    ops = [c["operation"] for c in calls]
    T.check("the undo deletes the instant fleet", "DeleteFleets" in ops and "TerminateInstances" in ops, ops)
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "3", "-min-count", "1", "-instance-types",
                                                     "c5.large,m5.large"], "enough")
    T.check("at least -min-count: a partial launch stands", rc == 0 and len(live(m, "enough")) == 1 and
            "Started 1 of the 3 instances requested (-min-count 1)." in out, (out, err))


EMPTY_INSTANCES = ('<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
                   '<reservationSet/></DescribeInstancesResponse>')
EMPTY_FLEETS = ('<DescribeFleetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
                '<fleetSet/></DescribeFleetsResponse>')


def test_undo_unlisted(m, pool):
    """A failed launch ends what its own replies named even when AWS's
    Describe calls do not show it yet: DescribeInstances is eventually
    consistent (its tag filter may miss an instance started a moment ago)
    and DescribeFleets never lists an instant fleet unasked. The proxy
    answers both as AWS may."""
    fleet_errors("c5.large:on-demand:InsufficientInstanceCapacity:1,m5.large:on-demand:InsufficientInstanceCapacity")
    rules = [{"call": "DescribeInstances", "nth": 1, "times": 0, "fault": "reply", "status": 200,
              "params": {"Filter.1.Name": "tag:htcondor:AnnexId"}, "body": EMPTY_INSTANCES},
             {"call": "DescribeFleets", "nth": 1, "times": 0, "fault": "reply", "status": 200, "body": EMPTY_FLEETS}]
    with T.FaultProxy(rules) as fp:
        rc, out, err = T.run_annex(["-annex-name", "unlisted", "-yes", "-count", "3", "-min-count", "2",
                                    "-instance-types", "c5.large,m5.large"], pool.env(**fp.env()))
        calls = fp.calls()
    made = [c for c in calls if c["operation"] == "CreateFleet"]
    deleted = [c["params"] for c in calls if c["operation"] == "DeleteFleets"]
    T.check("fewer than -min-count, nothing listed: the launch still fails", rc != 0 and
            "fewer than -min-count 2" in err, (out, err))
    T.check("... and ends the instance its CreateFleet reply named", not live(m, "unlisted") and
            "terminated the 1 instance this launch started" in err, (out, err))
    T.check("... and deletes the instant fleet its reply named", len(made) == 1 and len(deleted) == 1 and
            deleted[0].get("FleetId.1", "").startswith("fleet-") and deleted[0].get("TerminateInstances") == "true",
            (deleted, [c["operation"] for c in calls]))


def delete_fleets_reply(code):
    return ('<DeleteFleetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            '<successfulFleetDeletionSet/><unsuccessfulFleetDeletionSet><item><fleetId>fleet-00000000-0000-0000-'
            '0000-000000000000</fleetId><error><code>%s</code><message>not now</message></error></item>'
            '</unsuccessfulFleetDeletionSet></DeleteFleetsResponse>' % code)


def test_undo_delete_fleets_unsuccessful(m, pool):
    """DeleteFleets answers 200 with unsuccessfulFleetDeletionSet when it
    deleted nothing: the undo says so with the command to delete the fleet,
    and still ends the instances; fleetIdDoesNotExist (a resend after a lost
    reply, or gone already) is done, said nowhere."""
    for code, said in (("unexpectedError", True), ("fleetIdDoesNotExist", False)):
        fleet_errors("c5.large:on-demand:InsufficientInstanceCapacity:1,"
                     "m5.large:on-demand:InsufficientInstanceCapacity")
        name = "undel" + ("x" if said else "y")
        rules = [{"call": "DeleteFleets", "nth": 1, "fault": "reply", "status": 200, "body": delete_fleets_reply(code)}]
        with T.FaultProxy(rules) as fp:
            rc, out, err = T.run_annex(["-annex-name", name, "-yes", "-count", "3", "-min-count", "2",
                                        "-instance-types", "c5.large,m5.large"], pool.env(**fp.env()))
        T.check("DeleteFleets %s: the instances are ended all the same" % code, rc != 0 and not live(m, name) and
                "terminated the 1 instance this launch started" in err, (out, err))
        line = [ln for ln in err.split("\n") if "delete-fleets" in ln]
        T.check("DeleteFleets %s: %s" % (code, "said on one line with the command" if said else "not said"),
                (len(line) == 1 and line[0].startswith("annex: unexpectedError: EC2 DeleteFleets: fleet fleet-") and
                 "aws ec2 delete-fleets --terminate-instances --fleet-ids fleet-" in line[0]) if said else not line,
                err)
        for f in m.client("ec2").describe_fleets()["Fleets"]:
            if tags(f).get("htcondor:AnnexName") == name and not f["FleetState"].startswith("deleted"):
                m.client("ec2").delete_fleets(FleetIds=[f["FleetId"]], TerminateInstances=True)


def test_dry_run(m, pool):
    fleet_errors("")
    before = len(m.client("ec2").describe_fleets()["Fleets"])
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "dry", "-instance-types", "m5.large,c5.large",
                                    "-spot", "-spot-fallback", "on-demand", "-dry-run"], pool.env(**fp.env()))
        calls = fp.calls()
    sent = [c for c in calls if c["operation"] in ("CreateFleet", "CreateLaunchTemplate")]
    T.check("-dry-run: both requests printed, the user-data redacted", rc == 0 and "CreateFleet" in out and
            "CreateLaunchTemplate" in out and "s3cr3t" not in out and "IyEvYmlu" not in out, (out, err))
    T.check("-dry-run: both sent with DryRun=true only", sent and
            all(c["params"].get("DryRun") == "true" for c in sent), [c["params"].get("DryRun") for c in sent])
    T.check("-dry-run: the verdict", "Dry run: CreateFleet would have succeeded; nothing was created." in out, out)
    T.check("-dry-run: nothing made", not live(m, "dry") and
            len(m.client("ec2").describe_fleets()["Fleets"]) == before, out)


def test_prompt_and_cost(m, pool):
    with T.FaultProxy([]) as fp:
        rc, out, _ = T.run_annex(["-count", "2", "-annex-name", "askspot", "-duration", "2", "-instance-types",
                                  "m5.large,c5.large", "-spot"], pool.env(**fp.env()), answer="no")
        calls = fp.calls()
    T.check("spot prompt: the types, the market, the strategy", rc == 1 and
            "Will request 2 spot instances of m5.large or c5.large (the most available at the lowest price) for "
            "2.00 hours." in out, out)
    # moto prices every type at $0.00001: 2 x 0.00001 x 2 h
    T.check("spot worst case: the highest newest spot price among the types",
            "Worst case: at most $0.00004 (2 instances x $0.00001/h x 2.00 h; newest spot price of " in out, out)
    sph = [c["params"] for c in calls if c["operation"] == "DescribeSpotPriceHistory"]
    T.check("one DescribeSpotPriceHistory for every type", len(sph) == 1 and
            {sph[0].get("InstanceType.1"), sph[0].get("InstanceType.2")} == {"m5.large", "c5.large"} and
            sph[0].get("ProductDescription.1") == "Linux/UNIX", sph)
    T.check("declined: nothing launched, no -instance-type hint", not live(m, "askspot") and
            "To change the instance type" not in out, out)
    stub = pricelist.PriceList({"m5.large": "0.096", "c5.large": "0.085"}, default="0")
    try:
        env = pool.env(AWS_ENDPOINT_URL_PRICING=stub.url)
        rc, out, _ = T.run_annex(["-count", "3", "-annex-name", "askod", "-duration", "2", "-instance-types",
                                  "c5.large,m5.large"], env, answer="no")
        # 3 x $0.096 (m5.large, the dearer) x 2 h = $0.576 -> $0.58
        T.check("on-demand worst case: GetProducts per type, the highest price", rc == 1 and
                "Worst case: at most $0.58 (3 instances x $0.096/h x 2.00 h; on-demand price of m5.large)" in out
                and sorted(stub.types()) == ["c5.large", "m5.large"], (out, stub.types()))
        T.check("on-demand prompt: in the user's order of preference",
                "Will request 3 on-demand instances of c5.large or m5.large (in that order of preference)" in out, out)
        stub.requests.clear()
        rc, out, err = T.run_annex(["-count", "3", "-annex-name", "askfb", "-duration", "2", "-instance-types",
                                    "c5.large,m5.large", "-spot", "-spot-fallback", "on-demand", "-max-cost", "0.57",
                                    "-yes"], env)
        T.check("-spot-fallback: the on-demand prices bound it; -max-cost refuses above them",
                rc != 0 and "at most $0.58, exceeds -max-cost $0.57" in err and not live(m, "askfb") and
                sorted(stub.types()) == ["c5.large", "m5.large"], (out, err, stub.types()))
    finally:
        stub.close()


def test_debug_keeps_secrets(m, pool):
    fleet_errors("")
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "dbg", "-instance-types", "m5.large,c5.large",
                                "-spot", "-debug", "-yes"], pool.env())
    ud = [v["LaunchTemplateData"].get("UserData", "") for t in m.client("ec2").describe_launch_templates(
        Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["dbg"]}])["LaunchTemplates"]
        for v in m.client("ec2").describe_launch_template_versions(
            LaunchTemplateId=t["LaunchTemplateId"])["LaunchTemplateVersions"]]
    T.check("-debug: the launch works, neither the pool password nor the user-data is printed",
            rc == 0 and ud and ud[0] and ud[0][:40] not in out + err and "s3cr3t" not in out + err and
            "CreateFleet" in err, (rc, err[-2000:]))
    T.run_annex(["-off", "-annex-name", "dbg"], pool.env())


def test_lost_reply(m, pool):
    """A CreateFleet whose reply is lost made the fleet: the resend adopts
    it (found by the annex id and the ClientToken) instead of making a
    second one (moto, unlike AWS, does not answer a resend by its token)."""
    fleet_errors("")
    with T.FaultProxy([{"call": "CreateFleet", "nth": 1, "fault": "drop_reply"}]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "lost", "-instance-types", "m5.large,c5.large",
                                    "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    ops = [c["operation"] for c in calls]
    mine = [f for f in m.client("ec2").describe_fleets()["Fleets"]
            if tags(f).get("htcondor:AnnexName") == "lost"]
    T.check("a lost CreateFleet reply: the fleet adopted, not made twice", rc == 0 and len(mine) == 1 and
            len(live(m, "lost")) == 2 and ops.count("CreateFleet") == 1 and "DescribeFleets" in ops,
            (out, err, ops, len(mine)))
    T.check("... and reported as launched", "CreateFleet launched 2 of the 2 instances requested: 2 m5.large "
            "(on-demand)." in out, out)
    T.run_annex(["-off", "-annex-name", "lost"], pool.env())


def test_usage(m, pool):
    cases = [
        (["-instance-types", "m5.large", "-instance-type", "c5.large"], "-instance-types and -instance-type"),
        (["-instance-types", "m5.large", "-slots", "2"], "-instance-types launches an EC2 Fleet"),
        (["-spot", "-aws-spot-fleet-config-file", "/nonexistent"], "-spot launches an EC2 Fleet"),
        (["-spot-fallback", "spot", "-spot"], "-spot-fallback takes only 'on-demand'"),
        (["-spot-fallback", "on-demand"], "-spot-fallback on-demand needs -spot"),
        (["-instance-types", "m5.large,no_such!"], "-instance-types"),
        (["-instance-types", "m5.large,m5.large"], "-instance-types names m5.large twice"),
        (["-instance-types", "m5.large,,c5.large"], "-instance-types needs a comma-separated list"),
    ]
    for args, want in cases:
        if "-slots" not in args and "-aws-spot-fleet-config-file" not in args:
            args = ["-count", "1"] + args
        rc, out, err = T.run_annex(["-annex-name", "bad", "-yes"] + args, pool.env())
        first = T.without_region_line(err).split("\n")[0]
        T.check("refused on one line: %s" % " ".join(args), rc != 0 and first.startswith("annex: ") and want in first
                and err.count("annex: ") == 1, (rc, out, err))
    T.check("nothing launched by a refusal", not live(m, "bad"))


def test_off(m, pool, annex_id):
    # a forged member: an instance tagged as the annex's, launched outside it
    ec2 = m.client("ec2")
    forged = ec2.run_instances(ImageId=pool.image, MinCount=1, MaxCount=1, InstanceType="m5.large",
                               TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                   {"Key": "htcondor:AnnexName", "Value": "multi"},
                                   {"Key": "htcondor:AnnexId", "Value": annex_id},
                                   {"Key": "htcondor:LeaseExpiration", "Value": "2000-01-01T00:00:00Z"}]}]
                               )["Instances"][0]["InstanceId"]
    # one of the annex's own instances without its profile: only its EC2
    # Fleet (aws:ec2:fleet-id naming a fleet of the annex's token and
    # template) proves it annex's
    own = [i["InstanceId"] for i in live(m, "multi") if i["InstanceId"] != forged]
    assoc = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": own[:1]}])["IamInstanceProfileAssociations"]
    for a in assoc:
        ec2.disassociate_iam_instance_profile(AssociationId=a["AssociationId"])
    fleet_id = tags(ec2.describe_instances(InstanceIds=own[:1])["Reservations"][0]["Instances"][0]).get(
        "aws:ec2:fleet-id")
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-off", "-annex-name", "multi"], pool.env(**fp.env()))
        calls = fp.calls()
        ops = [c["operation"] for c in calls]
    T.check("-off asks DescribeFleets for the instance only its fleet proves", len(assoc) == 1 and
            ops.count("DescribeFleets") == 1, (assoc, ops))
    # AWS leaves an instant fleet out of DescribeFleets unless asked by id
    # (moto lists it anyway): the fleet named by the instance's EC2 tag
    asked = [c["params"] for c in calls if c["operation"] == "DescribeFleets"]
    T.check("... by the fleet id EC2's aws:ec2:fleet-id names (AWS lists no instant fleet unasked)",
            fleet_id and asked and {k: v for k, v in asked[0].items() if k.startswith("FleetId.")} ==
            {"FleetId.1": fleet_id}, (fleet_id, asked))
    left = [i["InstanceId"] for i in live(m, "multi")]
    T.check("-off ends the EC2 Fleet annex's instances", rc == 0 and left == [forged], (out, err, left))
    T.check("-off leaves a forged member alone, saying so",
            "instance %s of annex 'multi': not annex's (forged or foreign tags), left alone." % forged in out + err,
            out + err)
    T.check("-off deletes its launch template and rule", not templates(m, annex_id) and
            m.client("events").list_rules(NamePrefix="multi_")["Rules"] == [], out + err)
    ec2.terminate_instances(InstanceIds=[forged])


def test_off_unknown_fleet(m, pool):
    """A DescribeFleets that AWS refuses for a fleet id it does not know
    (InvalidFleetId.NotFound fails the whole call) does not stop -off: the
    ids are asked again one at a time, the unknown one skipped; the
    instance only that fleet could prove annex's is left alone, saying so,
    and the annex's other instances are ended."""
    fleet_errors("")
    rc, out, err, calls, annex_id = launch(m, pool, ["-count", "2", "-instance-types", "m5.large"], "stale")
    inst = [i["InstanceId"] for i in live(m, "stale")]
    ec2 = m.client("ec2")
    assoc = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": inst[:1]}])["IamInstanceProfileAssociations"]
    for a in assoc:
        ec2.disassociate_iam_instance_profile(AssociationId=a["AssociationId"])
    rules = [{"call": "DescribeFleets", "nth": 1, "times": 0, "fault": "error", "code": "InvalidFleetId.NotFound"}]
    with T.FaultProxy(rules) as fp:
        rc, out, err = T.run_annex(["-off", "-annex-name", "stale"], pool.env(**fp.env()))
        ops = [c["operation"] for c in fp.calls()]
    left = [i["InstanceId"] for i in live(m, "stale")]
    T.check("an unknown fleet id: DescribeFleets asked again by id, -off goes on", rc == 0 and len(inst) == 2 and
            len(assoc) == 1 and ops.count("DescribeFleets") == 2 and left == inst[:1], (out, err, ops, left))
    T.check("... the instance only that fleet proves is left alone, saying so",
            "instance %s of annex 'stale': not annex's" % inst[0] in out + err, out + err)
    if left:
        ec2.terminate_instances(InstanceIds=left)


def main():
    with MotoServer(env={"ANNEX_MOTO_FLEET_ERRORS": "@" + ERRORS}) as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the EC2 Fleet tests", rc == 0, out + err):
            return T.summary()
        annex_id = T.guarded(test_prioritized, m, pool)
        T.guarded(test_type_errors, m, pool)
        T.guarded(test_spot, m, pool)
        T.guarded(test_fallback, m, pool)
        T.guarded(test_min_count, m, pool)
        T.guarded(test_undo_unlisted, m, pool)
        T.guarded(test_undo_delete_fleets_unsuccessful, m, pool)
        T.guarded(test_dry_run, m, pool)
        T.guarded(test_usage, m, pool)
        T.guarded(test_lost_reply, m, pool)
        T.guarded(test_prompt_and_cost, m, pool)
        T.guarded(test_debug_keeps_secrets, m, pool)
        if annex_id:
            T.guarded(test_off, m, pool, annex_id)
        T.guarded(test_off_unknown_fleet, m, pool)
    return T.summary()


sys.exit(main())
