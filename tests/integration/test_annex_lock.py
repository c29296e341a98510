#!/usr/bin/env python3
"""The per-annex lock (src/annexlock.c) and -off's second listing, against
moto through tests/lib/faultproxy.py, in a private network namespace.

- A launch held mid-way (the proxy delays its RunInstances) and an -off of
  the same annex started meanwhile: the -off waits for the launch's lock,
  then ends every instance the launch started (without the lock it would
  list before RunInstances and leave them running).
- The lock held past ANNEX_LOCK_WAIT: -off gives up with one line naming the
  annex and the process holding it, and changes nothing.
- Two hosts (two homes: two lock directories) the lock cannot cover: an
  -off that lists before the other host's RunInstances lands ends those
  instances too, because it lists again after terminating and ends what is
  new.
"""
import fcntl
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

LIVE = ["pending", "running", "stopping", "stopped"]


def live(m, name):
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": [name]},
        {"Name": "instance-state-name", "Values": LIVE}])["Reservations"]
    return sorted(i["InstanceId"] for r in res for i in r["Instances"])


def all_ids(m, name):
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": [name]}])["Reservations"]
    return sorted(i["InstanceId"] for r in res for i in r["Instances"])


def popen(args, env):
    return subprocess.Popen([T.ANNEX] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def wait_for_call(proxy, op, nth=1, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sum(1 for c in proxy.calls() if c["operation"] == op) >= nth:
            return True
        time.sleep(0.05)
    return False


def test_off_waits_for_launch(m, pool):
    name = "locked"
    rules = [{"call": "RunInstances", "nth": 1, "fault": "delay", "seconds": 4}]
    with T.FaultProxy(rules) as fp:
        env = pool.env(**fp.env())
        launch = popen(["-count", "2", "-annex-name", name, "-yes"], env)
        arrived = wait_for_call(fp, "RunInstances")
        t0 = time.time()
        off = popen(["-off", "-annex-name", name], env)
        off_out, off_err = off.communicate(timeout=120)
        waited = time.time() - t0
        l_out, l_err = launch.communicate(timeout=120)
        calls = fp.calls()
    T.check("the launch's RunInstances reached the proxy before -off began", arrived)
    T.check("the launch succeeded", launch.returncode == 0 and "Annex started." in l_out, (l_out, l_err))
    started = all_ids(m, name)
    T.check("-off waited for the launch, then ended both its instances",
            off.returncode == 0 and "Annex 'locked': terminated 2 instances" in off_out and len(started) == 2 and
            live(m, name) == [], (off_out, off_err, started, live(m, name)))
    T.check("-off waited (about the RunInstances delay)", waited >= 2.5, waited)
    ops = [c["operation"] for c in calls]
    run_n = [c["n"] for c in calls if c["operation"] == "RunInstances"][0]
    first_off = min(c["n"] for c in calls if c["operation"] == "DescribeSpotFleetRequests")
    T.check("-off's first listing came after the launch's RunInstances", first_off > run_n, ops)
    T.check("... and it removed the lease rule",
            m.client("events").list_rules(NamePrefix=name + "_")["Rules"] == [])


def test_lock_wait_gives_up(m, pool):
    name = "busy"
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", name, "-yes"], pool.env())
    T.check("launch busy", rc == 0, out + err)
    lock = os.path.join(pool.home, ".condor", "annex", "name.us-east-1.%s.lock" % name)
    T.check("the launch left its lock file (0600) in ~/.condor/annex",
            os.path.isfile(lock) and (os.stat(lock).st_mode & 0o777) == 0o600, lock)
    holder = subprocess.Popen(["sleep", "30"])
    try:
        with open(lock, "r+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.truncate(0)
            f.write("%d\n" % holder.pid)
            f.flush()
            t0 = time.time()
            rc, out, err = T.run_annex(["-off", "-annex-name", name], pool.env(ANNEX_LOCK_WAIT="1"))
            waited = time.time() - t0
    finally:
        holder.kill()
        holder.wait()
    want = ("annex: annex 'busy' in us-east-1 is busy: annex process %d is launching or ending it (it holds %s); "
            "gave up after 1 s (ANNEX_LOCK_WAIT); try again when it is done\n" % (holder.pid, lock))
    T.check("lock held past ANNEX_LOCK_WAIT: one line naming the annex and the holder, exit 1",
            rc == 1 and T.without_region_line(err) == want, (rc, out, err, want))
    T.check("... after about the wait, changing nothing", 0.9 <= waited < 10 and len(live(m, name)) == 1, waited)
    rc, out, err = T.run_annex(["-off", "-annex-name", name], pool.env())
    T.check("lock free: -off ends it", rc == 0 and live(m, name) == [], out + err)


def test_other_host(m, pool):
    name = "twohosts"
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", name, "-yes"], pool.env())
    T.check("first launch of twohosts", rc == 0, out + err)
    other_home = tempfile.mkdtemp(prefix="annex-otherhost-")
    # the other host's RunInstances lands 3 s after it is sent; -off's first
    # TerminateInstances waits 5 s, so its first listing saw only the first
    # instance and the second exists by the time it lists again
    rules = [{"call": "RunInstances", "nth": 1, "fault": "delay", "seconds": 3},
             {"call": "TerminateInstances", "nth": 1, "fault": "delay", "seconds": 5}]
    with T.FaultProxy(rules) as fp:
        launch = popen(["-count", "1", "-annex-name", name, "-yes"], pool.env(HOME=other_home, **fp.env()))
        arrived = wait_for_call(fp, "RunInstances")
        off = popen(["-off", "-annex-name", name], pool.env(**fp.env()))
        off_out, off_err = off.communicate(timeout=120)
        l_out, l_err = launch.communicate(timeout=120)
        ops = [c["operation"] for c in fp.calls()]
    T.check("the other host's launch was in flight and succeeded", arrived and launch.returncode == 0,
            (l_out, l_err))
    T.check("-off listed again and ended the other host's instance too",
            off.returncode == 0 and "terminated 2 instances" in off_out and live(m, name) == [] and
            len(all_ids(m, name)) == 2, (off_out, off_err, ops, live(m, name)))
    T.check("... with one more TerminateInstances, after a second listing",
            ops.count("TerminateInstances") == 2 and ops.count("DescribeInstances") >= 2, ops)


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if T.check("setup", rc == 0, out + err):
            T.guarded(test_off_waits_for_launch, m, pool)
            T.guarded(test_lock_wait_gives_up, m, pool)
            T.guarded(test_other_host, m, pool)
    return T.summary()


sys.exit(main())
