"""annextest.py - what annex's integration tests share.

- enter_netns(): re-runs the test inside a private network namespace
  (unshare --net --mount) with loopback up, also holding COLLECTOR_IP
  (TEST-NET-2), so a collector address that is not loopback can
  be probed without any packet leaving the machine: the namespace has no
  route anywhere else.
- Checks: check(name, cond, detail), then summary() prints the
  "N passed, M failed" line and returns the exit status.
- Pool: a throwaway HTCondor pool config (CONDOR_CONFIG, LOCAL_CONFIG_DIR,
  the pool password) and an environment for running annex against moto.
- FaultProxy: tests/lib/faultproxy.py as a context manager.
- run_annex(): runs the real binary ($ANNEX_BIN), optionally on a
  pseudo-terminal with an answer typed at the prompt.
"""
import json
import os
import pty
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ANNEX = os.environ.get("ANNEX_BIN") or os.path.join(ROOT, "build", "annex")
COLLECTOR_IP = "198.51.100.7"
SANITIZER_VARS = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
sys.path.insert(0, HERE)

_results = []


def check(name, cond, detail=""):
    _results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:2000]), flush=True)
    return bool(cond)


def guarded(fn, *args):
    """Runs one test function; an exception is a failed check, not a crash,
    so the remaining tests still run and report."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001
        import traceback
        check("%s raised no exception" % fn.__name__, False, "%r\n%s" % (e, traceback.format_exc()))
        return None


def summary():
    passed = sum(_results)
    print("%d passed, %d failed" % (passed, len(_results) - passed), flush=True)
    return 0 if passed == len(_results) and _results else 1


def enter_netns():
    if os.environ.get("ANNEX_TEST_NETNS") == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "addr", "add", COLLECTOR_IP + "/32", "dev", "lo"], check=True)
        return
    env = dict(os.environ, ANNEX_TEST_NETNS="1")
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--", sys.executable] + sys.argv, env)


class Listener:
    """A TCP port that accepts and closes: a collector that answers."""

    def __init__(self, host=COLLECTOR_IP, port=9618):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                c.close()
            except OSError:
                return

    def close(self):
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Pool:
    """A throwaway pool configuration: condor_config, config.d, password."""

    # -check-setup's permission probes (docs/iam.md) that moto honours: its
    # RequestSpotFleet and CancelSpotFleetRequests ignore DryRun (TESTING.md),
    # so a probe of them would make a fleet, and its DeleteFleets ignores DryRun
    # too (a 500 for the made-up fleet id); tests/integration/test_permprobe.py
    # answers those three through the fault proxy instead.
    MOTO_PROBES = "RunInstances, CreateLaunchTemplate, CreateFleet, TerminateInstances, DescribeInstances"

    def __init__(self, moto, collector=COLLECTOR_IP + ":9618", extra="", probes=MOTO_PROBES):
        self.dir = tempfile.mkdtemp(prefix="annex-pool-")
        os.chmod(self.dir, 0o755)
        self.config_d = os.path.join(self.dir, "config.d")
        os.makedirs(self.config_d)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.password_file = os.path.join(self.dir, "pool_password")
        with open(self.password_file, "wb") as f:
            f.write(b"s3cr3t-\x00\xff-pool-password")
        os.chmod(self.password_file, 0o600)
        self.moto = moto
        self.image = None
        if moto:
            # an x86_64 Amazon Linux 2023 image: annex checks the image against the type and
            # refuses what HTCondor publishes no packages for (docs/images.md)
            imgs = moto.client("ec2").describe_images(Owners=["amazon"])["Images"]
            self.image = sorted(i["ImageId"] for i in imgs if i.get("Architecture") == "x86_64" and
                                i.get("Name", "").startswith("al2023-ami-2023"))[0]
        self.config = os.path.join(self.dir, "condor_config")
        with open(self.config, "w") as f:
            f.write("COLLECTOR_HOST = %s\n" % collector)
            f.write("SEC_PASSWORD_FILE = %s\n" % self.password_file)
            f.write("LOCAL_CONFIG_DIR = %s\n" % self.config_d)
            if self.image:
                f.write("ANNEX_DEFAULT_ODI_IMAGE_ID = %s\n" % self.image)
            if probes is not None:
                f.write("ANNEX_CHECK_PERMISSIONS = %s\n" % probes)
            f.write(extra)

    def env(self, **over):
        env = {
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": self.home,
            "CONDOR_CONFIG": self.config,
            "AWS_EC2_METADATA_DISABLED": "true",
            "ANNEX_RETRY_BASE_MS": "10",
            # launches skip the collector check from AWS (issue 19) unless a test
            # turns it on: moto runs no Lambda code, so every launch would invoke
            # the connectivity function and warn, and its Invoke would count
            # among the launch's calls; test_connectivity.py tests the check
            "_CONDOR_ANNEX_LAUNCH_CONNECTIVITY_CHECK": "false",
        }
        for k in SANITIZER_VARS:   # make asan: reports go where run-all.sh collects them
            if k in os.environ:
                env[k] = os.environ[k]
        if self.moto:
            env.update(self.moto.env())
        env.update({k: v for k, v in over.items() if v is not None})
        for k in [k for k, v in over.items() if v is None]:
            env.pop(k, None)
        return env

    def setup_file(self):
        return os.path.join(self.config_d, "50-annex-setup")


class FaultProxy:
    def __init__(self, rules):
        self.dir = tempfile.mkdtemp(prefix="annex-proxy-")
        self.log = os.path.join(self.dir, "log.jsonl")
        with open(os.path.join(self.dir, "rules.json"), "w") as f:
            json.dump({"rules": rules}, f)
        portfile = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "faultproxy.py"),
                                      os.path.join(self.dir, "rules.json"), self.log, portfile])
        deadline = time.time() + 10
        while not os.path.exists(portfile):
            if time.time() > deadline:
                raise RuntimeError("fault proxy did not start")
            time.sleep(0.02)
        self.url = "http://127.0.0.1:" + open(portfile).read().strip()

    def env(self):
        return {"http_proxy": self.url, "HTTP_PROXY": self.url, "no_proxy": "", "NO_PROXY": ""}

    def calls(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def timings(self):
        """{n: (t0, t1)}: when each finished exchange began and ended."""
        if not os.path.exists(self.log + ".times"):
            return {}
        with open(self.log + ".times") as f:
            recs = [json.loads(line) for line in f if line.strip()]
        return {r["n"]: (r["t0"], r["t1"]) for r in recs}

    def critical_path(self):
        """Round trips on the critical path: the longest run of calls in
        which each began after the one before it had ended. Calls made one
        after another give their number; calls made side by side count once."""
        spans = sorted(self.timings().values(), key=lambda s: s[1])
        depth = []
        for i, (t0, t1) in enumerate(spans):
            depth.append(1 + max([depth[j] for j in range(i) if spans[j][1] <= t0], default=0))
        return max(depth, default=0)

    def close(self):
        self.proc.kill()
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def run_on_pty(args, env, answer, delay=0, timeout=120, preexec=None):
    """Runs annex on a pseudo-terminal, typing answer delay seconds after
    its first prompt shows. Returns (exit status, output): with a terminal,
    the output holds both stdout and stderr."""
    pid, fd = pty.fork()
    if pid == 0:
        if preexec:
            preexec()
        os.execve(ANNEX, [ANNEX] + args, env)
    out, prompted, sent = b"", None, False
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if prompted is None and b"(Type 'yes' or 'no'): " in out:
            prompted = time.time()
        if prompted is not None and not sent and time.time() - prompted >= delay:
            os.write(fd, answer.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace").replace("\r\n", "\n")


def run_annex(args, env, answer=None, timeout=120, preexec=None):
    """Runs annex; with answer, on a pseudo-terminal (run_on_pty), typing
    answer at the first prompt. Returns (exit status, stdout, stderr) (with
    a terminal, stdout holds both)."""
    if answer is None:
        p = subprocess.run([ANNEX] + args, env=env, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, preexec_fn=preexec)
        return p.returncode, p.stdout, p.stderr
    rc, out = run_on_pty(args, env, answer, timeout=timeout, preexec=preexec)
    return rc, out, ""


REGION_LINE = r"annex: region [a-z0-9-]+ \([^\n]*\)\n"


def without_region_line(err):
    """stderr without the one line naming the region that every command
    talking to AWS prints first (issue 17, docs/commands.md "The region"),
    for checks about what else stderr holds; unchanged when it has none."""
    import re
    return re.sub(r"\A" + REGION_LINE, "", err, count=1)
