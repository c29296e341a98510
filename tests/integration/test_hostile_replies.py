#!/usr/bin/env python3
"""test_hostile_replies.py - a hostile endpoint gets a one-line error and
nothing else out of annex (docs/security.md, "Replies").

tests/lib/hostile_server.py answers EC2 with a "billion laughs" document
(in a success and in an error reply), an external entity, an endless
body, a 1 TiB Content-Length and endless headers. The real annex runs
`-status` against it under an address-space limit (so a regression fails
here instead of taking the machine's memory) and must end each with exit
status 1, one error line naming what was refused, and a peak resident
size far below what the attack asks for (os.wait4's ru_maxrss).
"""
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()

SERVER = os.path.join(T.ROOT, "tests", "lib", "hostile_server.py")
ASAN = b"__asan_init" in open(T.ANNEX, "rb").read()
MiB = 1024 * 1024
# Peak RSS bounds: an ASan build carries its shadow memory and quarantine.
SMALL = (256 if ASAN else 48) * MiB
CAPPED = (512 if ASAN else 200) * MiB


def start_server(tmp):
    portfile = os.path.join(tmp, "port")
    proc = subprocess.Popen([sys.executable, SERVER, portfile], start_new_session=True)
    for _ in range(500):
        if os.path.exists(portfile):
            return proc, int(open(portfile).read())
        time.sleep(0.02)
    raise RuntimeError("hostile_server did not start")


def limit_memory():
    if not ASAN:   # ASan reserves terabytes of address space for its shadow
        resource.setrlimit(resource.RLIMIT_AS, (2048 * MiB, 2048 * MiB))


def run_measured(args, env, timeout=60):
    """Runs annex; returns (exit status, stdout, stderr, peak RSS in bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([T.ANNEX] + args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             preexec_fn=limit_memory)
        killer = threading.Timer(timeout, lambda: os.kill(p.pid, 9))
        killer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode("utf-8", "replace"), ru.ru_maxrss * 1024


def main():
    tmp = tempfile.mkdtemp(prefix="annex-hostile-")
    pool = T.Pool(None)
    server, port = start_server(tmp)
    env = pool.env(AWS_ACCESS_KEY_ID="AKIDHOSTILE", AWS_SECRET_ACCESS_KEY="hostile-secret-key",
                   ANNEX_MAX_ATTEMPTS="3", ANNEX_RETRY_BASE_MS="1")

    region_line = re.compile(r"\Aannex: region us-east-1 \([^\n]*\)\n")
    raw = {}

    def status_against(mode):
        """Runs -status against the hostile server. The line naming the region (issue 17: every
        command that talks to AWS prints it first on stderr) is taken off stderr; the checks below
        are about what follows it."""
        rc, out, err, rss = run_measured(["-status", "-aws-ec2-url", "http://127.0.0.1:%d/%s" % (port, mode)], env)
        raw["err"] = err
        return rc, out, region_line.sub("", err, count=1), rss

    def one_line(err):
        return err.count("\n") == 1 and err.startswith("annex: ")

    def t_sane_reply():
        rc, out, err, rss = status_against("ok")
        T.check("an ordinary reply still parses (no instances)", rc == 0 and err == "", (rc, out, err))
        T.check("... stderr holds only the region line", region_line.fullmatch(raw["err"]), raw["err"])

    def t_billion_laughs():
        rc, out, err, rss = status_against("laughs")
        T.check("billion laughs: exit 1, one line naming the DOCTYPE",
                rc == 1 and one_line(err) and "ec2 DescribeInstances: reply carries a document type "
                "declaration (DOCTYPE)" in err, (rc, err))
        T.check("billion laughs: peak RSS %d MiB < %d MiB" % (rss // MiB, SMALL // MiB), rss < SMALL, rss)

    def t_billion_laughs_in_error():
        rc, out, err, rss = status_against("laughs-err")
        T.check("billion laughs in an error reply: exit 1, one line, the status only",
                rc == 1 and one_line(err) and "lol" not in err and "400" in err, (rc, err))
        T.check("billion laughs in an error reply: peak RSS %d MiB < %d MiB" % (rss // MiB, SMALL // MiB),
                rss < SMALL, rss)

    def t_external_entity():
        rc, out, err, rss = status_against("xxe")
        hostname = open("/etc/hostname").read().strip() if os.path.exists("/etc/hostname") else "\0"
        T.check("external entity: refused, the file's text nowhere",
                rc == 1 and one_line(err) and "DOCTYPE" in err and (hostname not in out + err), (rc, out, err))

    def t_endless_body():
        t0 = time.time()
        rc, out, err, rss = status_against("endless")
        T.check("endless body: exit 1, one line naming the 64 MiB cap, not retried",
                rc == 1 and one_line(err) and "reply body over the 67108864-byte cap; refused" in err and
                time.time() - t0 < 30, (rc, err))
        T.check("endless body: peak RSS %d MiB < %d MiB" % (rss // MiB, CAPPED // MiB), rss < CAPPED, rss)

    def t_huge_length():
        rc, out, err, rss = status_against("huge")
        T.check("1 TiB Content-Length: refused before the body",
                rc == 1 and one_line(err) and "reply body over the 67108864-byte cap" in err, (rc, err))
        T.check("1 TiB Content-Length: peak RSS %d MiB < %d MiB" % (rss // MiB, SMALL // MiB), rss < SMALL, rss)

    def t_endless_headers():
        rc, out, err, rss = status_against("headers")
        T.check("endless headers: exit 1, one line naming the header cap",
                rc == 1 and one_line(err) and "reply headers over the 262144-byte cap" in err, (rc, err))
        T.check("endless headers: peak RSS %d MiB < %d MiB" % (rss // MiB, SMALL // MiB), rss < SMALL, rss)

    try:
        for t in (t_sane_reply, t_billion_laughs, t_billion_laughs_in_error, t_external_entity, t_endless_body,
                  t_huge_length, t_endless_headers):
            T.guarded(t)
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
