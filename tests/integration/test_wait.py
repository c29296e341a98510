#!/usr/bin/env python3
"""annex -count N -wait / -slots N -wait against moto (issue 17 item 2).

moto's instances are running at once, so which of them "joined the pool"
is decided by a stand-in condor_status: it prints one startd ad (the
recorded `condor_status -annex NAME -af ...` shape) per line of
DIR/<annex>.txt; when DIR/<annex>.stagger exists, its k-th call since the
file appeared prints only the first k-1 lines, so the first look finds
none and the instances join one look at a time; while DIR/<annex>.fail
exists it fails (exit 3), as when the collector cannot be reached. The test runs annex in the background, finds the launch's
instances in moto, and writes that file (or terminates an instance) while
annex waits. Every wait looks once a second (ANNEX_WAIT_POLL_INTERVAL).
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

PROGRESS = re.compile(r"^\d+ of \d+ joined(, \d+ (pending|running|stopped|ended|not started))*$")


class StandIn:
    def __init__(self, pool):
        self.dir = os.path.join(pool.dir, "condor-status-wait")
        os.makedirs(self.dir, exist_ok=True)
        self.path = os.path.join(self.dir, "condor_status")
        with open(self.path, "w") as f:
            f.write("""#!/bin/sh
d='%s'
printf '%%s\\n' "$*" >> "$d/argv.log"
if [ -f "$d/$2.fail" ]; then echo "condor_status: cannot reach the collector" >&2; exit 3; fi
f="$d/$2.txt"
[ -f "$f" ] || exit 0
if [ -f "$d/$2.stagger" ]; then
	echo x >> "$d/$2.calls"
	head -n "$(($(wc -l < "$d/$2.calls") - 1))" "$f"
else
	cat "$f"
fi
""" % self.dir)
        os.chmod(self.path, 0o755)

    def members(self, annex, ids, stagger=False):
        lines = "".join("slot1@ip-10-0-0-%d.ec2.internal %s %s Unclaimed Idle 1700000000\n" % (n + 1, annex, i)
                        for n, i in enumerate(ids))
        if stagger:
            open(os.path.join(self.dir, annex + ".stagger"), "w").close()
        tmp = os.path.join(self.dir, annex + ".tmp")
        with open(tmp, "w") as f:
            f.write(lines)
        os.rename(tmp, os.path.join(self.dir, annex + ".txt"))

    def calls(self):
        p = os.path.join(self.dir, "argv.log")
        return open(p).read().splitlines() if os.path.exists(p) else []


def instances(m, annex):
    """{id: state} of the instances tagged htcondor:AnnexName = annex."""
    out = {}
    for r in m.client("ec2").describe_instances(
            Filters=[{"Name": "tag:htcondor:AnnexName", "Values": [annex]}])["Reservations"]:
        for i in r["Instances"]:
            out[i["InstanceId"]] = i["State"]["Name"]
    return out


def start(pool, args, **env):
    e = pool.env(**env)
    return subprocess.Popen([T.ANNEX] + args, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_instances(m, annex, n, proc, limit=30):
    deadline = time.time() + limit
    while time.time() < deadline and proc.poll() is None:
        ids = instances(m, annex)
        if len(ids) >= n:
            return sorted(ids)
        time.sleep(0.1)
    return sorted(instances(m, annex))


def finish(proc, limit=60):
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -999, out, err
    return proc.returncode, out, err


def progress(err):
    return [x for x in err.splitlines() if PROGRESS.match(x)]


FAST = {"_CONDOR_ANNEX_WAIT_POLL_INTERVAL": "1"}


def test_all_join(m, pool, si):
    t0 = time.time()
    p = start(pool, ["-count", "3", "-annex-name", "wjoin", "-wait", "-yes"], ANNEX_CONDOR_STATUS=si.path,
              _CONDOR_ANNEX_WAIT_TIMEOUT="60", **FAST)
    ids = wait_for_instances(m, "wjoin", 3, p)
    si.members("wjoin", ids, stagger=True)
    rc, out, err = finish(p)
    lines = progress(err)
    T.check("all join: exit 0", rc == 0, (rc, out, err))
    T.check("all join: one progress line per change, ending in '3 of 3 joined'",
            lines == ["0 of 3 joined, 3 running", "1 of 3 joined, 2 running", "2 of 3 joined, 1 running",
                      "3 of 3 joined"], err)
    T.check("all join: the lines are on stderr, the result on stdout",
            not progress(out) and "3 of 3 instances of annex 'wjoin' joined the pool." in out and
            "Waiting up to 60 s (ANNEX_WAIT_TIMEOUT)" in err, (out, err))
    T.check("all join: condor_status asked as -status asks it",
            all(c.startswith("-annex wjoin -af Name AnnexName EC2InstanceID") for c in si.calls()), si.calls())
    T.check("all join: quick (looks once a second)", time.time() - t0 < 30, time.time() - t0)


def test_timeout(m, pool, si):
    t0 = time.time()
    p = start(pool, ["-count", "3", "-annex-name", "wlag", "-wait", "-yes"], ANNEX_CONDOR_STATUS=si.path,
              _CONDOR_ANNEX_WAIT_TIMEOUT="3", **FAST)
    ids = wait_for_instances(m, "wlag", 3, p)
    si.members("wlag", ids[:1])
    rc, out, err = finish(p)
    took = time.time() - t0
    laggards = ids[1:]
    T.check("timeout: non-zero exit with the error line naming the knob",
            rc == 1 and re.search(r"^annex: 2 of 3 instances of annex 'wlag' did not join the pool within 3 s "
                                  r"\(ANNEX_WAIT_TIMEOUT; listed above\)", err, re.M), (rc, err))
    T.check("timeout: the last progress line", progress(err)[-1:] == ["1 of 3 joined, 2 running"], err)
    T.check("timeout: each laggard listed with its id, state and address, the joined one not",
            all(re.search(r"^  %s running \d+\.\d+\.\d+\.\d+$" % i, err, re.M) for i in laggards) and
            not re.search(r"^  %s " % ids[0], err, re.M), err)
    T.check("timeout: the last lines of each laggard's console output (moto's sample)",
            err.count("    console output, last lines:\n") == 2 and
            err.count("      Enabling fast FPU save and restore... done.\n") == 2, err)
    T.check("timeout: within the knob's time, not much more", 3 <= took < 20, took)


def test_terminated(m, pool, si):
    t0 = time.time()
    p = start(pool, ["-count", "2", "-annex-name", "wend", "-wait", "-yes"], ANNEX_CONDOR_STATUS=si.path,
              _CONDOR_ANNEX_WAIT_TIMEOUT="120", **FAST)
    ids = wait_for_instances(m, "wend", 2, p)
    si.members("wend", ids[:1])
    if len(ids) == 2:
        m.client("ec2").terminate_instances(InstanceIds=[ids[1]])
    rc, out, err = finish(p)
    took = time.time() - t0
    T.check("terminated while waiting: counts as ended, the wait ends long before the timeout",
            rc == 1 and took < 60 and progress(err)[-1:] == ["1 of 2 joined, 1 ended"], (rc, took, err))
    T.check("terminated: listed as ended, the error says so",
            re.search(r"^Ended before joining the pool:\n  %s terminated " % (ids[1] if len(ids) > 1 else "x"),
                      err, re.M) and
            "annex: 1 of 2 instances of annex 'wend' joined the pool; the others ended or stopped before joining"
            in err and "Not in the pool after" not in err, err)


def test_condor_status_fails_for_a_while(m, pool, si):
    fail = os.path.join(si.dir, "wflaky.fail")
    open(fail, "w").close()
    p = start(pool, ["-count", "1", "-annex-name", "wflaky", "-wait", "-yes"], ANNEX_CONDOR_STATUS=si.path,
              _CONDOR_ANNEX_WAIT_TIMEOUT="60", **FAST)
    ids = wait_for_instances(m, "wflaky", 1, p)
    si.members("wflaky", ids)
    deadline = time.time() + 20
    while time.time() < deadline and len([c for c in si.calls() if "wflaky" in c]) < 3:
        time.sleep(0.1)
    os.unlink(fail)
    rc, out, err = finish(p)
    notes = [x for x in err.splitlines() if x.startswith("Pool membership is not shown: ")]
    T.check("condor_status failing for a while: said once, the wait goes on until the node joined",
            rc == 0 and len(notes) == 1 and "exited with status 3" in notes[0] and
            progress(err) == ["0 of 1 joined, 1 running", "1 of 1 joined"], (rc, err))


def fleet_config(pool):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "fleet-wait.json")
    json.dump(cfg, open(path, "w"))
    return path


def test_spot_fleet(m, pool, si):
    # examples/spot-fleet.json weighs its cheapest type 4: 4 slots are one instance, and the
    # fleet's fulfilled capacity says no more will come
    p = start(pool, ["-slots", "4", "-annex-name", "wfleet", "-aws-spot-fleet-config-file", fleet_config(pool),
                     "-wait", "-yes"], ANNEX_CONDOR_STATUS=si.path, _CONDOR_ANNEX_WAIT_TIMEOUT="60", **FAST)
    ids = wait_for_instances(m, "wfleet", 1, p)
    si.members("wfleet", ids, stagger=True)
    rc, out, err = finish(p)
    T.check("Spot Fleet: waits for the fleet's instances, counted by its fulfilled capacity; exit 0",
            rc == 0 and len(ids) == 1 and progress(err) == ["0 of 1 joined, 1 running", "1 of 1 joined"] and
            "1 of 1 instance of annex 'wfleet' joined the pool." in out, (rc, ids, out, err))


def test_dry_run_and_refusals(m, pool, si):
    rc, out, err = T.run_annex(["-count", "2", "-annex-name", "wdry", "-wait", "-dry-run"],
                               pool.env(ANNEX_CONDOR_STATUS=si.path, _CONDOR_ANNEX_WAIT_TIMEOUT="600"))
    T.check("-wait -dry-run: says it would wait, and how long, and does not",
            rc == 0 and "-wait: would then wait up to 600 s (ANNEX_WAIT_TIMEOUT)" in out and
            "not waiting (-dry-run)" in out and not progress(err) and instances(m, "wdry") == {}, (rc, out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "wnocs", "-wait", "-yes"],
                               pool.env(ANNEX_CONDOR_STATUS=os.path.join(pool.dir, "no-such-condor_status")))
    T.check("-wait without a condor_status: refused before anything is started",
            rc == 1 and "annex: -wait watches the pool with condor_status: " in err and
            instances(m, "wnocs") == {}, (rc, out, err))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "wbad", "-wait", "-yes"],
                               pool.env(ANNEX_CONDOR_STATUS=si.path, _CONDOR_ANNEX_WAIT_TIMEOUT="0"))
    T.check("ANNEX_WAIT_TIMEOUT out of range: a config error naming the knob, nothing started",
            rc == 1 and "ANNEX_WAIT_TIMEOUT" in err and instances(m, "wbad") == {}, (rc, out, err))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the -wait tests", rc == 0, out + err):
            return T.summary()
        si = StandIn(pool)
        T.guarded(test_dry_run_and_refusals, m, pool, si)
        T.guarded(test_all_join, m, pool, si)
        T.guarded(test_timeout, m, pool, si)
        T.guarded(test_terminated, m, pool, si)
        T.guarded(test_condor_status_fails_for_a_while, m, pool, si)
        T.guarded(test_spot_fleet, m, pool, si)
    return T.summary()


sys.exit(main())
