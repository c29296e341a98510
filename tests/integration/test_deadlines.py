#!/usr/bin/env python3
"""Deadlines (issue 17, item 3; docs/design.md, "Deadlines").

A black-holed endpoint used to hang for minutes with no output. Now:
- ANNEX_CONNECT_TIMEOUT bounds the connect phase of one attempt and
  ANNEX_REQUEST_TIMEOUT the whole attempt; a silent endpoint ends in one
  line naming the call, the endpoint (host:port), the limit and the knob;
- ANNEX_COMMAND_TIMEOUT bounds all of a command's calls: no attempt, backoff
  or IAM wait starts that would end past it;
- a call that waits longer than ANNEX_SLOW_CALL_NOTICE says so once on
  stderr while it waits; a fast one says nothing.

The fault proxy (tests/lib/faultproxy.py) sits between annex and moto and
black-holes, delays or throttles calls; the connect-phase black hole is a
loopback port whose accept queue is full. Runs in a private network
namespace (annextest.enter_netns).
"""
import os
import re
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

WAITING = re.compile(r"^annex: waiting for ")


def status(pool, **env):
    """annex -status with a condor_status that prints nothing; returns
    (rc, stdout, stderr, seconds)."""
    start = time.time()
    rc, out, err = T.run_annex(["-status"], pool.env(ANNEX_CONDOR_STATUS="/bin/true", **env), timeout=60)
    return rc, out, T.without_region_line(err), time.time() - start


def where(m):
    u = urllib.parse.urlsplit(m.url)
    return "%s:%d" % (u.hostname, u.port)


def notes(err):
    return [line for line in err.splitlines() if WAITING.match(line)]


def test_reply_black_hole(m, pool):
    rule = {"call": "DescribeInstances", "nth": 1, "times": 0, "fault": "blackhole"}
    with T.FaultProxy([rule]) as fp:
        rc, out, err, secs = status(pool, ANNEX_REQUEST_TIMEOUT="2", ANNEX_MAX_ATTEMPTS="2",
                                    ANNEX_SLOW_CALL_NOTICE="0", **fp.env())
        sent = [c for c in fp.calls() if c["operation"] == "DescribeInstances"]
    lines = err.strip().splitlines()
    T.check("black-holed endpoint: fails, not hangs (2 attempts of 2 s)", rc != 0 and 3.5 <= secs < 10,
            (rc, secs, err))
    T.check("black-holed endpoint: two attempts were sent", len(sent) == 2, len(sent))
    T.check("black-holed endpoint: one line naming the call, the endpoint, the limit and the knob",
            len(lines) == 1 and "EC2 DescribeInstances: no reply from %s within 2 s (raise ANNEX_REQUEST_TIMEOUT)"
            % where(m) in lines[0] and "2 attempts in" in lines[0], err)
    T.check("ANNEX_SLOW_CALL_NOTICE=0: no note", not notes(err), err)


def full_backlog_port():
    """A listening port whose accept queue is full: new connections are
    never made (the kernel drops their SYNs)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fill = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fill.append(c)
    return srv, fill, port


def test_connect_black_hole(m, pool):
    srv, fill, port = full_backlog_port()
    try:
        rc, out, err, secs = status(pool, ANNEX_CONNECT_TIMEOUT="1", ANNEX_REQUEST_TIMEOUT="20",
                                    ANNEX_MAX_ATTEMPTS="3", AWS_ENDPOINT_URL_EC2="http://127.0.0.1:%d" % port)
    finally:
        for s in fill + [srv]:
            s.close()
    lines = err.strip().splitlines()
    T.check("unreachable endpoint: fails after 3 connect timeouts of 1 s, not the 20 s request timeout",
            rc != 0 and 2.5 <= secs < 8, (rc, secs, err))
    T.check("unreachable endpoint: the message names host:port, the limit and ANNEX_CONNECT_TIMEOUT",
            len(lines) == 1 and "EC2 DescribeInstances: no connection to 127.0.0.1:%d within 1 s "
            "(raise ANNEX_CONNECT_TIMEOUT); 3 attempts in" % port in lines[0], err)


def test_slow_reply_notes_once(m, pool):
    rule = {"call": "DescribeInstances", "nth": 1, "fault": "delay", "seconds": 2.5}
    with T.FaultProxy([rule]) as fp:
        rc, out, err, secs = status(pool, ANNEX_SLOW_CALL_NOTICE="1", ANNEX_REQUEST_TIMEOUT="10", **fp.env())
    got = notes(err)
    T.check("slow reply (2.5 s, under the 10 s timeout): succeeds", rc == 0 and secs >= 2.5, (rc, secs, err))
    # libcurl calls the progress hook about once a second while nothing
    # moves, so the note comes 1 to 2 s in
    T.check("slow reply: the waiting note once, naming the endpoint and the call",
            len(got) == 1 and re.fullmatch(r"annex: waiting for %s \(EC2 DescribeInstances\) \.\.\. [12] s, "
                                           r"no reply yet" % re.escape(where(m)), got[0]), err)


def test_fast_calls_say_nothing(m, pool):
    with T.FaultProxy([]) as fp:
        rc, out, err, secs = status(pool, ANNEX_SLOW_CALL_NOTICE="1", **fp.env())
    T.check("fast calls: no waiting note", rc == 0 and not notes(err) and "waiting" not in err, (rc, err))


def test_deadline_stops_retries(m, pool):
    # timeouts: 2 s attempts, 10 allowed; a 5 s deadline lets at most 3 start
    rule = {"call": "DescribeInstances", "nth": 1, "times": 0, "fault": "blackhole"}
    with T.FaultProxy([rule]) as fp:
        rc, out, err, secs = status(pool, ANNEX_REQUEST_TIMEOUT="2", ANNEX_MAX_ATTEMPTS="10",
                                    ANNEX_COMMAND_TIMEOUT="5", ANNEX_SLOW_CALL_NOTICE="0", **fp.env())
        sent = [c for c in fp.calls() if c["operation"] == "DescribeInstances"]
    T.check("deadline: the command ends at ANNEX_COMMAND_TIMEOUT, not after 10 attempts",
            rc != 0 and 4 <= secs < 8 and 2 <= len(sent) <= 3, (rc, secs, len(sent), err))
    T.check("deadline: one line naming the endpoint and ANNEX_COMMAND_TIMEOUT",
            len(err.strip().splitlines()) == 1 and where(m) in err and
            "the command's deadline (5 s; raise ANNEX_COMMAND_TIMEOUT)" in err, err)

    # throttling: AWS's own error stays, the deadline is named; the backoff
    # that carries the call past the note's time is told once
    rule = {"call": "DescribeInstances", "nth": 1, "times": 0, "fault": "throttle"}
    with T.FaultProxy([rule]) as fp:
        rc, out, err, secs = status(pool, ANNEX_MAX_ATTEMPTS="100", ANNEX_RETRY_BASE_MS="1500",
                                    ANNEX_RETRY_CAP_MS="1500", ANNEX_COMMAND_TIMEOUT="4",
                                    ANNEX_SLOW_CALL_NOTICE="2", **fp.env())
        sent = [c for c in fp.calls() if c["operation"] == "DescribeInstances"]
    errs = [line for line in err.splitlines() if not WAITING.match(line)]
    T.check("deadline over throttling: stops within it, far below ANNEX_MAX_ATTEMPTS",
            rc != 0 and secs < 7 and 2 <= len(sent) < 20, (rc, secs, len(sent), err))
    T.check("deadline over throttling: AWS's code and message, then the deadline",
            len(errs) == 1 and "RequestLimitExceeded: Request limit exceeded." in errs[0] and
            "not retried: the command's deadline (4 s; raise ANNEX_COMMAND_TIMEOUT)" in errs[0], err)
    T.check("deadline over throttling: at most one waiting note, naming the backoff",
            len(notes(err)) <= 1 and all("retrying in" in n and "RequestLimitExceeded" in n for n in notes(err)),
            err)


def test_iam_wait_within_deadline(m, pool):
    # IAM never makes the role usable; ANNEX_IAM_WAIT_S would wait 60 s, the
    # command's deadline of 6 s ends it first
    m.reset()
    if os.path.exists(pool.setup_file()):
        os.unlink(pool.setup_file())
    rule = {"call": "POST /2015-03-31", "nth": 1, "times": 0, "fault": "reply", "status": 400,
            "content_type": "application/json",
            "body": '{"__type": "InvalidParameterValueException", '
                    '"message": "The role defined for the function cannot be assumed by Lambda."}'}
    with T.FaultProxy([rule]) as fp:
        start = time.time()
        rc, out, err = T.run_annex(["-setup"], pool.env(ANNEX_IAM_WAIT_S="60", ANNEX_COMMAND_TIMEOUT="6",
                                                        **fp.env()), timeout=90)
        secs = time.time() - start
    err = T.without_region_line(err)
    errs = [line for line in err.splitlines() if not WAITING.match(line)]
    T.check("IAM wait bounded by ANNEX_COMMAND_TIMEOUT (6 s), not ANNEX_IAM_WAIT_S (60 s)",
            rc != 0 and secs < 15, (rc, secs, out, err))
    T.check("IAM wait: AWS's message and the deadline in one line",
            len(errs) == 1 and "IAM did not make the role HTCondorAnnex-LeaseFunctionRole (for Lambda) usable before the command's deadline "
            "(6 s; raise ANNEX_COMMAND_TIMEOUT); try again later" in errs[0] and
            "The role defined for the function cannot be assumed by Lambda." in errs[0], err)


def test_prompt_time_not_counted(m, pool):
    # the user answers after 6 s; the command's deadline is 5 s: what
    # follows the answer has its own 5 s (the deadline bounds unattended work)
    m.reset()
    if os.path.exists(pool.setup_file()):
        os.unlink(pool.setup_file())
    rc, out, err = T.run_annex(["-setup"], pool.env(), timeout=120)
    if not T.check("setup for the prompt test", rc == 0, out + err):
        return
    rc, out = T.run_on_pty(["-count", "1", "-annex-name", "latereply"],
                           pool.env(ANNEX_COMMAND_TIMEOUT="5"), "yes", delay=6, timeout=90)
    res = m.client("ec2").describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": ["latereply"]}])["Reservations"]
    T.check("an answer given after the deadline's time still launches: prompt time does not count",
            rc == 0 and "ANNEX_COMMAND_TIMEOUT" not in out and len(res) == 1, (rc, out))


def test_help_and_describe():
    # -help is one screen; the long usage (-help all) names the knobs
    # (docs/packaging.md), and the man page has every knob
    rc, out, err = T.run_annex(["-help", "all"], {"PATH": "/usr/bin:/bin"})
    T.check("-help all names the time-limit knobs", rc == 0 and all(k in out for k in (
        "ANNEX_CONNECT_TIMEOUT", "ANNEX_REQUEST_TIMEOUT", "ANNEX_COMMAND_TIMEOUT", "ANNEX_SLOW_CALL_NOTICE")), out)


def main():
    T.guarded(test_help_and_describe)
    with MotoServer() as m:
        pool = T.Pool(m)
        T.guarded(test_fast_calls_say_nothing, m, pool)
        T.guarded(test_reply_black_hole, m, pool)
        T.guarded(test_connect_black_hole, m, pool)
        T.guarded(test_slow_reply_notes_once, m, pool)
        T.guarded(test_deadline_stops_retries, m, pool)
        T.guarded(test_iam_wait_within_deadline, m, pool)
        T.guarded(test_prompt_time_not_counted, m, pool)
    return T.summary()


sys.exit(main())
