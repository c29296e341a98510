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
    for (from /usr/bin/time, i.e. wait4's rusage), stdout, stderr."""

    def __init__(self, argv, env, stdin=subprocess.DEVNULL):
        fd, tfile = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-o", tfile, "-f", "%U %S %M"] + argv, env=env, stdin=stdin,
                           capture_output=True, text=True)
        self.wall = time.perf_counter() - t0
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr
        last = [ln for ln in open(tfile).read().splitlines() if ln.strip()][-1]
        os.unlink(tfile)
        u, s, m = last.split()[-3:]
        self.user, self.sys, self.rss_kib = float(u), float(s), int(m)

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
