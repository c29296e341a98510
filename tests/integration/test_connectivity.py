#!/usr/bin/env python3
"""The connectivity checks of issue 19, annex's side, against moto with
signature checking on, in a private network namespace (annextest.enter_netns:
the collector address 198.51.100.7 is on its loopback).

moto runs no Lambda code here (no Docker; TESTING.md), so the connectivity
function's answers are moto's canned Invoke replies
(/moto-api/static/lambda-simple/response) or, for a Lambda error and a
throttled call, AWS's replies injected by the fault proxy; the collector
answers from here through a fake collector speaking CEDAR framing. Each
outcome of the issue's table gives its own -check-setup line and exit
status; launch refuses (creating nothing) on the two that mean nodes could
not join, names -no-connectivity-check, and warns and goes on where the
table says warning. The schedd check reads a stand-in condor_status that
prints the recorded outputs of HTCondor 25.14 byte for byte.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402
from fake_collector import FakeCollector  # noqa: E402

SHARED = os.environ.get("ANNEX_SHARED") or os.environ.get("SHARED") or os.path.join(T.ROOT, "..", "shared")
RECORDED = os.path.join(SHARED, "htcondor-recorded")
L_ID = "0123456789abcdef"
OTHER_ID = "fedcba9876543210"
COLLECTOR = "Checking the collector from AWS (198.51.100.7:9618)... "
FUNCTION = "HTCondorAnnex-ConnectivityFunction"
DC_QUERY_INSTANCE = struct.pack(">BIQ", 1, 8, 60045)


def Collector(instance_id, mode="good"):
    """The fake collector (tests/lib/fake_collector.py) at the pool's
    collector address: it answers only an exact DC_QUERY_INSTANCE request
    in CEDAR framing, so an answer also proves annex's request right."""
    fc = FakeCollector(instance_id=instance_id, mode=mode, host=T.COLLECTOR_IP, port=9618).start()
    fc.close = fc.stop
    return fc


def reply(reachable, instance_id="", description=""):
    return json.dumps({"reachable": reachable, "instance_id": instance_id, "description": description})


def invoke_fault(status, body, headers=None, times=1):
    """The fault proxy answers the Invoke (the one POST to Lambda that
    -check-setup and launch make) with AWS's reply."""
    rule = {"call": "POST /2015-03-31", "nth": 1, "times": times, "fault": "reply", "status": status,
            "content_type": "application/json", "body": body}
    if headers:
        rule["headers"] = headers
    return rule


def collector_line(out):
    return next((line for line in out.splitlines() if line.startswith(COLLECTOR)), None)


def check_setup(pool, **env):
    return T.run_annex(["-check-setup"], pool.env(**env))


def test_check_setup_outcomes(m, pool):
    col = Collector(L_ID)
    try:
        m.lambda_replies([reply(True, L_ID, "answered")])
        rc, out, err = check_setup(pool)
        T.check("reachable, same id: the line is OK. and the setup looks OK (exit 0)",
                rc == 0 and collector_line(out) == COLLECTOR + "OK." and "Your setup looks OK." in out,
                out + err)
        # (the collector address line's plain connect sends nothing: an empty request)
        T.check("the collector was asked from here with DC_QUERY_INSTANCE in CEDAR framing",
                [r for r in col.requests if r] == [DC_QUERY_INSTANCE], col.requests)

        m.lambda_replies([reply(True, OTHER_ID, "answered")])
        rc, out, err = check_setup(pool)
        T.check("reachable, another id: FAILED naming both ids and the cause (exit 1)",
                rc == 1 and collector_line(out) == COLLECTOR + (
                    "FAILED: 198.51.100.7:9618 answers from AWS as instance %s, but the collector answers here as "
                    "instance %s: a port forward or DNS name points at another daemon; make COLLECTOR_HOST lead "
                    "to this pool's central manager." % (OTHER_ID, L_ID)) and
                "ANNEX_COLLECTOR_ADDRESS" in err and "annex -setup" not in err, out + err)

        m.lambda_replies([reply(False, "", "connection refused")])
        rc, out, err = check_setup(pool)
        T.check("not reachable from AWS: FAILED saying what to do (exit 1)",
                rc == 1 and collector_line(out) == COLLECTOR + (
                    "FAILED: 198.51.100.7:9618 is not reachable from AWS (connection refused). Forward port 9618 "
                    "on the NAT or firewall to the central manager and set ANNEX_COLLECTOR_ADDRESS to the public "
                    "name or address the nodes should use; CCB helps the nodes' side, not this one."), out + err)
    finally:
        col.close()

    m.lambda_replies([reply(True, L_ID, "answered")])
    rc, out, err = check_setup(pool)
    T.check("reachable from AWS, no answer here: OK with a note that the ids could not be compared (exit 0)",
            rc == 0 and collector_line(out) == COLLECTOR + (
                "OK. Note: the collector did not answer here (198.51.100.7:9618: Connection refused), so the "
                "instance id AWS saw (%s) could not be compared with its own." % L_ID) and
            "Your setup looks OK." in out, out + err)

    # Lambda error, throttled, a reply that is not the function's JSON: warnings, exit 0
    with T.FaultProxy([invoke_fault(200, json.dumps({"errorMessage": "boom", "errorType": "RuntimeError"}),
                                    {"X-Amz-Function-Error": "Unhandled"})]) as fp:
        rc, out, err = check_setup(pool, **fp.env())
    T.check("Lambda error: a warning naming it, not a failure (exit 0)",
            rc == 0 and collector_line(out) == COLLECTOR + "WARNING: the connectivity function failed (Unhandled: "
            "boom); the collector was not checked from AWS." and "Your setup looks OK." in out, out + err)
    throttled = json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded", "Reason":
                            "ReservedFunctionConcurrentInvocationLimitExceeded"})
    with T.FaultProxy([invoke_fault(429, throttled, {"x-amzn-RequestId": "req-1"}, times=0)]) as fp:
        rc, out, err = check_setup(pool, ANNEX_MAX_ATTEMPTS="2", **fp.env())
        invokes = [c for c in fp.calls() if c["url"].endswith("/invocations")]
    line = collector_line(out) or ""
    T.check("throttled (after the retries): a warning naming TooManyRequestsException (exit 0)",
            rc == 0 and line.startswith(COLLECTOR + "WARNING: could not ask the connectivity function "
                                        "(TooManyRequestsException: Rate exceeded") and
            line.endswith("); the collector was not checked from AWS.") and len(invokes) == 2, (out + err, invokes))
    for name, canned in (("not JSON", "Simple Lambda happy path OK"), ("JSON of another shape", '{"ok": 1}'),
                         ("reachable not a boolean", '{"reachable": "yes", "instance_id": ""}')):
        m.lambda_replies([canned])
        rc, out, err = check_setup(pool)
        T.check("a reply that is %s: a warning quoting it (exit 0)" % name,
                rc == 0 and collector_line(out) == COLLECTOR + "WARNING: the connectivity function's reply is not "
                "the JSON annex expects (%s); the collector was not checked from AWS." % canned, out + err)

    # what the function is asked: the nodes' address, port 9618 when none; the pool's side from here
    rc, out, err = check_setup(pool, _CONDOR_COLLECTOR_HOST=T.COLLECTOR_IP)
    T.check("with no reply queued moto echoes the event: host, port 9618 by default, the timeout",
            '({"host":"198.51.100.7","port":9618,"timeout":5})' in (collector_line(out) or ""), out + err)
    col = Collector(L_ID)
    try:
        rc, out, err = check_setup(pool, _CONDOR_ANNEX_COLLECTOR_ADDRESS="203.0.113.1:9620",
                                   _CONDOR_ANNEX_CONNECTIVITY_TIMEOUT="7")
        T.check("ANNEX_COLLECTOR_ADDRESS is what AWS is asked about (ANNEX_CONNECTIVITY_TIMEOUT in the event)",
                "Checking the collector from AWS (203.0.113.1:9620)... WARNING: the connectivity function's reply "
                'is not the JSON annex expects ({"host":"203.0.113.1","port":9620,"timeout":7})' in out, out + err)
        T.check("... while COLLECTOR_HOST is asked from here", len(col.requests) == 1, col.requests)
    finally:
        col.close()

    # function missing: by the knob, and by the function itself
    rc, out, err = check_setup(pool, **{"_CONDOR_us_east_1.ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN": ""})
    T.check("knob unset: FAILED, run annex -setup (exit 1)",
            rc == 1 and collector_line(out) == COLLECTOR + "FAILED: ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN is "
            "unset (annex's connectivity function); run 'annex -setup'." and "annex -setup" in err, out + err)
    m.client("lambda").delete_function(FunctionName=FUNCTION)
    rc, out, err = check_setup(pool)
    T.check("function deleted: FAILED, run annex -setup (exit 1)",
            rc == 1 and collector_line(out) == COLLECTOR + "FAILED: the connectivity function %s does not exist; "
            "run 'annex -setup'." % FUNCTION and "annex -setup" in err, out + err)
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("-setup makes it again", rc == 0 and "Creating connectivity function.. complete." in out, out + err)


def test_collector_from_here(m, pool):
    """annex's C side (cedar.c) against the fake collector in each of its
    ways to misbehave: the id read right, even in pieces; every short or
    malformed answer a clear reason on the note's line, never a crash."""
    cases = [
        ("dribble", "OK."),
        ("close", r"OK\. Note: the collector did not answer here \(198\.51\.100\.7:9618: (the connection was "
                  r"closed without an answer|Connection reset by peer after 0 bytes of the answer)\), .*"),
        ("reset", r"OK\. Note: .*\(198\.51\.100\.7:9618: (Connection reset by peer after 0 bytes of the answer|the "
                  r"connection was closed without an answer)\), .*"),
        ("silent", r"OK\. Note: .*\(198\.51\.100\.7:9618: no answer within the time limit \(0 bytes received\)\), .*"),
        ("short", r"OK\. Note: .*\(198\.51\.100\.7:9618: the connection was closed in the middle of the answer\), .*"),
        ("truncated", r"OK\. Note: .*\(198\.51\.100\.7:9618: the connection was closed in the middle of the "
                      r"answer\), .*"),
        ("bad-flag", r"OK\. Note: .*\(198\.51\.100\.7:9618: not a CEDAR frame \(first byte 0x48, not 0 or 1\)\), .*"),
        ("bad-length", r"OK\. Note: .*\(198\.51\.100\.7:9618: a CEDAR frame of 2147483647 bytes: longer than any "
                       r"answer to this query\), .*"),
        ("not-hex", r"OK\. Note: .*\(198\.51\.100\.7:9618: the answer's payload is not a hexadecimal instance id "
                    r"\(byte 0 is 0x6e\)\), .*"),
        ("empty", r"OK\. Note: .*\(198\.51\.100\.7:9618: the answer's payload is 0 bytes, not a 16-character "
                  r"instance id\), .*"),
    ]
    import re
    for mode, want in cases:
        col = Collector(L_ID, mode)
        try:
            m.lambda_replies([reply(True, L_ID, "answered")])
            rc, out, err = check_setup(pool, _CONDOR_ANNEX_CONNECTIVITY_TIMEOUT="1")
        finally:
            col.close()
        line = (collector_line(out) or "")[len(COLLECTOR):]
        T.check("the collector from here, fake collector '%s': %s (exit 0)" % (mode, want[:40]),
                rc == 0 and (line == want if mode == "dribble" else re.fullmatch(want, line)), out + err)
    col = Collector(L_ID, "wrong-id")
    try:
        m.lambda_replies([reply(True, L_ID, "answered")])
        rc, out, err = check_setup(pool)
    finally:
        col.close()
    T.check("another daemon at COLLECTOR_HOST than AWS reaches: FAILED naming both ids",
            rc == 1 and "answers from AWS as instance %s, but the collector answers here as instance fedcba9876543210"
            % L_ID in out, out + err)


def condor_status_standin(pool, recorded):
    """A condor_status that prints a recorded output byte for byte for
    `-schedd -af Name MyAddress` and fails on anything else."""
    path = os.path.join(pool.dir, "condor_status-" + os.path.basename(recorded))
    with open(path, "w") as f:
        f.write('#!/bin/sh\n[ "$*" = "-schedd -af Name MyAddress" ] || { echo "unexpected: $*" >&2; exit 2; }\n'
                'exec cat %s\n' % recorded)
    os.chmod(path, 0o755)
    return path


def test_schedds(m, pool):
    private = condor_status_standin(pool, os.path.join(RECORDED, "schedd-af.private.txt"))
    forwarded = condor_status_standin(pool, os.path.join(RECORDED, "schedd-af.forwarded.txt"))
    col = Collector(L_ID)
    try:
        m.lambda_replies([reply(True, L_ID, "answered")])
        rc, out, err = check_setup(pool, ANNEX_CONDOR_STATUS=private)
        T.check("a schedd advertising a private address while nodes use a public collector: FAILED (exit 1)",
                rc == 1 and "Checking schedd vm at 10.77.0.2:9618... FAILED: it advertises the private address "
                "10.77.0.2 while the nodes use 198.51.100.7: nodes will join but jobs from that schedd will not "
                "start; set TCP_FORWARDING_HOST to the public address on that host and forward its port (hairpin "
                "NAT for the inside).\n" in out and collector_line(out) == COLLECTOR + "OK.", out + err)
        T.check("... and the final line points at the network, not -setup",
                "annex -setup" not in err and "1 check failed" in err, err)

        m.lambda_replies([reply(True, L_ID, "answered"), reply(True, "", "connected")])
        rc, out, err = check_setup(pool, ANNEX_CONDOR_STATUS=forwarded)
        T.check("a schedd advertising the public address, reachable from AWS (a TCP connect): OK (exit 0)",
                rc == 0 and "Checking schedd vm at 203.0.113.1:9618... OK.\n" in out and
                "Your setup looks OK." in out, out + err)

        m.lambda_replies([reply(True, L_ID, "answered"), reply(False, "", "timed out")])
        rc, out, err = check_setup(pool, ANNEX_CONDOR_STATUS=forwarded)
        T.check("... not reachable from AWS: FAILED (exit 1)",
                rc == 1 and "Checking schedd vm at 203.0.113.1:9618... FAILED: 203.0.113.1:9618 is not reachable "
                "from AWS (timed out): nodes will join but jobs from schedd vm will not start; forward port 9618 "
                "on the NAT or firewall to that host (hairpin NAT for the inside) and set TCP_FORWARDING_HOST "
                "there to the public address.\n" in out, out + err)

        m.lambda_replies([reply(True, L_ID, "answered")])
        rc, out, err = check_setup(pool, ANNEX_CONDOR_STATUS=forwarded)
        T.check("the schedd is asked for a plain TCP connect (query false), at its advertised host:port",
                'Checking schedd vm at 203.0.113.1:9618... WARNING: the connectivity function\'s reply is not the '
                'JSON annex expects ({"host":"203.0.113.1","port":9618,"timeout":5,"query":false})' in out, out)
    finally:
        col.close()

    rc, out, err = check_setup(pool)
    T.check("no condor_status: said once, the check skipped, not a failure",
            out.count("condor_status is not on PATH") == 1 and
            "Checking schedds... skipped: condor_status is not on PATH (or set ANNEX_CONDOR_STATUS to it).\n" in out
            and "Checking schedd " not in out, out + err)
    rc, out, err = check_setup(pool, ANNEX_CONDOR_STATUS="/nonexistent/condor_status")
    T.check("ANNEX_CONDOR_STATUS naming nothing: said once, skipped",
            "Checking schedds... skipped: ANNEX_CONDOR_STATUS names '/nonexistent/condor_status', which is not an "
            "executable file.\n" in out, out + err)


def live(m, name):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]},
               {"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    return [i for r in m.client("ec2").describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]


def launch(m, pool, name, extra=None, **env):
    """A launch with the collector check on (the harness turns it off for
    the other tests); returns rc, out, err and the proxy's calls."""
    env.setdefault("_CONDOR_ANNEX_LAUNCH_CONNECTIVITY_CHECK", None)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", name, "-yes"] + (extra or []),
                                   pool.env(**fp.env(), **env))
        calls = fp.calls()
    return rc, out, err, calls


def test_launch(m, pool):
    col = Collector(L_ID)
    try:
        for name, canned, code, needle in (
                ("unreach", reply(False, "", "connection refused"), "not reachable from AWS (connection refused)",
                 "Forward port 9618"),
                ("wrongcm", reply(True, OTHER_ID, "answered"), "answers from AWS as instance %s" % OTHER_ID,
                 "instance %s" % L_ID)):
            m.lambda_replies([canned])
            rc, out, err, calls = launch(m, pool, name)
            ops = [c["operation"] for c in calls]
            last = T.without_region_line(err).strip()
            T.check("launch refused, %s: one line with the reason and -no-connectivity-check, nothing created" %
                    name, rc == 1 and len(last.splitlines()) == 1 and code in last and needle in last and
                    "nothing was started" in last and "-no-connectivity-check" in last and not live(m, name) and
                    "RunInstances" not in ops and "PutRule" not in ops and "Is that OK" not in out,
                    (rc, out, err, ops))
            T.check("... the only POST it made is the Invoke (before any mutating call)",
                    [c["url"].rsplit("/", 2)[-2:] for c in calls if c["method"] == "POST" and
                     "/2015-03-31" in c["url"]] == [[FUNCTION, "invocations"]], ops)

        rc, out, err, calls = launch(m, pool, "skipped", ["-no-connectivity-check"])
        T.check("-no-connectivity-check: launches without invoking the function",
                rc == 0 and len(live(m, "skipped")) == 1 and
                not [c for c in calls if c["url"].endswith("/invocations")], (out, err))
        rc, out, err, calls = launch(m, pool, "knobbed", _CONDOR_ANNEX_LAUNCH_CONNECTIVITY_CHECK="false")
        T.check("ANNEX_LAUNCH_CONNECTIVITY_CHECK = false: the same",
                rc == 0 and len(live(m, "knobbed")) == 1 and
                not [c for c in calls if c["url"].endswith("/invocations")], (out, err))
        m.lambda_replies([reply(True, L_ID, "answered")])
        rc, out, err, calls = launch(m, pool, "fine")
        T.check("reachable, same id: launches with nothing said about it",
                rc == 0 and len(live(m, "fine")) == 1 and "warning" not in err and "note" not in err, (out, err))
    finally:
        col.close()

    m.lambda_replies(["Simple Lambda happy path OK"])
    rc, out, err, calls = launch(m, pool, "warned")
    T.check("a reply that is not the function's JSON: a warning, then the launch",
            rc == 0 and len(live(m, "warned")) == 1 and "annex: warning: the connectivity function's reply is not "
            "the JSON annex expects (Simple Lambda happy path OK); the collector was not checked from AWS.\n" in err,
            (out, err))
    m.lambda_replies([reply(True, L_ID, "answered")])
    rc, out, err, calls = launch(m, pool, "noted")
    T.check("reachable, no answer here: a note, then the launch",
            rc == 0 and len(live(m, "noted")) == 1 and "annex: note: the collector check from AWS: OK. Note: the "
            "collector did not answer here" in err, (out, err))
    rc, out, err, calls = launch(m, pool, "nofn", **{"_CONDOR_us_east_1.ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN": ""})
    T.check("no connectivity function: a warning (run annex -setup), then the launch",
            rc == 0 and len(live(m, "nofn")) == 1 and "annex: warning: the collector was not checked from AWS: "
            "ANNEX_DEFAULT_CONNECTIVITY_FUNCTION_ARN is unset" in err, (out, err))


def main():
    with MotoServer() as m:
        m.lambda_simple()     # canned Invoke replies (before -setup makes the functions)
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        T.check("setup", rc == 0, out + err)
        T.guarded(test_check_setup_outcomes, m, pool)
        T.guarded(test_collector_from_here, m, pool)
        T.guarded(test_schedds, m, pool)
        T.guarded(test_launch, m, pool)
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
