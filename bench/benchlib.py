"""benchlib.py - what bench/setup.py and bench/launch.py share.

The emulator, the throwaway pool and the counting proxy are the test
harness's own (tests/lib: motoserver.MotoServer with signature checking on,
annextest.Pool, annextest.FaultProxy with no rules: it forwards everything
and logs one JSON line per AWS call, independently of annex's own trace).
Everything here talks to 127.0.0.1 only.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import annextest  # noqa: E402,F401  (Pool, FaultProxy)
import pricelist  # noqa: E402,F401  (PriceList: every launch asks the on-demand price; moto has no Price List)
from motoserver import MotoServer  # noqa: E402,F401

ANNEX = os.environ.get("ANNEX_BIN") or os.path.join(ROOT, "build", "annex")
TIME = "/usr/bin/time"


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def cli_env(moto, home, extra=None):
    """Environment for the AWS CLI against moto: the emulator's key, no
    ~/.aws of the user's, no metadata service, no pager."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_DEFAULT_REGION": moto.region,
        "AWS_PAGER": "",
        "AWS_RETRY_MODE": "standard",
    }
    env.update(moto.env())
    env.update(extra or {})
    return env


class Run:
    """One child's figures: exit status, wall seconds, user and system CPU
    seconds and peak RSS (KiB) of the child and every descendant it waited
    for, stdout, stderr. The child runs under /usr/bin/time, which reports
    its peak RSS (%M: the child's own; a process forked from this Python
    would count Python's pages). The CPU is wait4's rusage of the
    /usr/bin/time process read here, which includes the child it reaped, in
    microseconds (time's own -f %U %S prints hundredths, which round annex's
    few milliseconds to 0.00 or 0.01); it includes time's own start, well
    under a millisecond, which counts against annex."""

    def __init__(self, argv, env, stdin=subprocess.DEVNULL):
        fd, tfile = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-o", tfile, "-f", "%M"] + argv, env=env, stdin=stdin,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        got = {}
        readers = [threading.Thread(target=lambda k, f: got.__setitem__(k, f.read()), args=(k, f))
                   for k, f in (("out", p.stdout), ("err", p.stderr))]
        for t in readers:
            t.start()
        _, status, ru = os.wait4(p.pid, 0)
        self.wall = time.perf_counter() - t0
        for t in readers:
            t.join()
        p.stdout.close()
        p.stderr.close()
        p.returncode = os.waitstatus_to_exitcode(status)   # reaped here: Popen must not wait again
        self.rc, self.out, self.err = p.returncode, got["out"], got["err"]
        last = [ln for ln in open(tfile).read().splitlines() if ln.strip()][-1]
        os.unlink(tfile)
        self.user, self.sys, self.rss_kib = ru.ru_utime, ru.ru_stime, int(last.split()[-1])

    @property
    def cpu(self):
        return self.user + self.sys

    def ok(self, what):
        if self.rc != 0:
            die("%s failed (exit %d):\n%s%s" % (what, self.rc, self.out[-2000:], self.err[-2000:]))
        return self


def median(xs):
    return statistics.median(xs)


def reps(name, default):
    try:
        n = int(os.environ.get(name, default))
    except ValueError:
        die("%s must be a number" % name)
    if n < 1:
        die("%s must be at least 1" % name)
    return n
