#!/usr/bin/env python3
"""The worst case in the launch prompt and -max-cost (issue 21, item 3)
against moto with signature checking on.

moto has no Price List API (pricing GetProducts): the on-demand prompt says
no price is available, with the reason, and the count x lease; never a
guess. Spot prices come from moto's DescribeSpotPriceHistory (years-old
points of $0.00001): the Spot Fleet prompt shows at most $X with the
price's age. -max-cost refuses a launch whose worst case exceeds it, or
whose price cannot be had, before any mutating call; it accepts one within
it; with -dry-run the plan shows the check's result.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402


def live(m, name):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]},
               {"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return [i for r in res for i in r["Instances"]]


def fleets(m):
    return [f for f in m.client("ec2").describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
            if f["SpotFleetRequestState"] in ("submitted", "active")]


def fleet_config(pool, m):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "cost-fleet.json")
    json.dump(cfg, open(path, "w"))
    return path


def test_ondemand_prompt(m, pool):
    with T.FaultProxy([]) as fp:
        rc, out, _ = T.run_annex(["-count", "3", "-annex-name", "odcost", "-duration", "2"], pool.env(**fp.env()),
                                 answer="no")
        calls = fp.calls()
    T.check("on-demand prompt: no price available (moto has no Price List API), the reason, count x lease, "
            "before the question", rc == 1 and
            "Worst case: no on-demand price available (Price List GetProducts: " in out and
            "; at most 3 instances x 2.00 h.\nIs that OK?" in out and "$" not in out and
            not live(m, "odcost"), out)
    gp = [c for c in calls if c.get("target") == "AWSPriceListService.GetProducts"]
    filters = {f["Field"]: f["Value"] for f in (gp[0]["body"].get("Filters", []) if gp else [])}
    T.check("the price was asked of the Price List API (GetProducts: type, region, Linux, shared, no software)",
            gp != [] and gp[0]["body"].get("ServiceCode") == "AmazonEC2" and filters.get("instanceType") ==
            "m6i.large" and filters.get("regionCode") == "us-east-1" and filters.get("operatingSystem") == "Linux"
            and filters.get("tenancy") == "Shared" and filters.get("preInstalledSw") == "NA" and
            not [c for c in calls if c.get("mutating")], calls)


def test_spot_prompt(m, pool, path):
    rc, out, _ = T.run_annex(["-slots", "32", "-annex-name", "spcost", "-duration", "2",
                              "-aws-spot-fleet-config-file", path], pool.env(), answer="no")
    # weights 4, 4, 16, 16: 32 slots could need 32 / 4 = 8 instances; moto's price is $0.00001
    # from 2006: 8 x 0.00001 x 2 = $0.00016
    T.check("spot prompt: at most $X from moto's newest spot point, count bound by the smallest weight, "
            "the price's age", rc == 1 and
            "Worst case: at most $0.00016 (8 instances x $0.00001/h x 2.00 h; newest spot price of " in out and
            "32 slots / smallest weight 4" in out and "that price is from 2006-01-02" in out and
            "days old).\nIs that OK?" in out and fleets(m) == [], out)


def test_max_cost_refuses(m, pool, path):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spmax", "-duration", "2", "-max-cost",
                                    "0.0001", "-aws-spot-fleet-config-file", path, "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    mutating = [c for c in calls if c.get("mutating")]
    T.check("-max-cost below the worst case: refused, one line naming both numbers, nothing created",
            rc != 0 and "exceeds -max-cost $0.0001" in err and "at most $0.00016" in err and
            len(err.strip().splitlines()) <= 2 and not mutating and fleets(m) == [], (out, err, mutating))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "odmax", "-max-cost", "100", "-yes"], pool.env())
    T.check("-max-cost with no on-demand price: refused (the ceiling can't be proven), nothing created",
            rc != 0 and "can't be proven" in err and "-max-cost $100.00" in err and not live(m, "odmax"),
            (out, err))


def test_max_cost_dry_run(m, pool, path):
    rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spdry", "-max-cost", "1",
                                "-aws-spot-fleet-config-file", path, "-dry-run"], pool.env())
    T.check("-max-cost with -dry-run: the plan shows the worst case and the check's result",
            rc == 0 and "Worst case: at most $" in out and "-max-cost $1.00: the worst case is within it." in out
            and fleets(m) == [], (out, err))
    rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spdry", "-max-cost", "0.00001",
                                "-aws-spot-fleet-config-file", path, "-dry-run"], pool.env())
    T.check("-max-cost with -dry-run, exceeded: the plan shows the refusal", rc != 0 and
            "exceeds -max-cost" in err and fleets(m) == [], (out, err))


def test_max_cost_accepts(m, pool, path):
    rc, out, err = T.run_annex(["-slots", "8", "-annex-name", "spok", "-max-cost", "5",
                                "-aws-spot-fleet-config-file", path, "-yes"], pool.env())
    T.check("-max-cost above the worst case: the launch goes ahead", rc == 0 and
            "-max-cost $5.00: the worst case is within it." in out and "Annex started." in out and
            len(fleets(m)) == 1, (out, err))


def test_usage(pool):
    rc, _, err = T.run_annex(["-count", "1", "-annex-name", "u", "-max-cost", "-3", "-yes"], pool.env())
    T.check("-max-cost takes a positive number of dollars", rc != 0 and "-max-cost requires" in err, err)
    rc, _, err = T.run_annex(["-status", "-max-cost", "3"], pool.env())
    T.check("-max-cost goes only with a launch", rc != 0 and "-max-cost goes only with a launch" in err, err)


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the cost tests", rc == 0, out + err):
            return T.summary()
        path = fleet_config(pool, m)
        T.guarded(test_usage, pool)
        T.guarded(test_ondemand_prompt, m, pool)
        T.guarded(test_spot_prompt, m, pool, path)
        T.guarded(test_max_cost_refuses, m, pool, path)
        T.guarded(test_max_cost_dry_run, m, pool, path)
        T.guarded(test_max_cost_accepts, m, pool, path)
    return T.summary()


sys.exit(main())
