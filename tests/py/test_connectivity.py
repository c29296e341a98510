"""test_connectivity.py - the connectivity function (src/functions/connectivity.py)
as Python code, against local servers on 127.0.0.1 that the test starts:
the fake collector of tests/lib/fake_collector.py in each of its modes, a
port with nothing listening, a listener that never accepts, and a name that
cannot resolve (.invalid, RFC 6761). Each case asserts the whole JSON the
function returns, and the bytes the fake collector received.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time

import pytest

import connectivity
from fake_collector import DEFAULT_ID, REQUEST, WRONG_ID, FakeCollector

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUNCTION = os.path.join(ROOT, "src", "functions", "connectivity.py")
FAKE = os.path.join(ROOT, "tests", "lib", "fake_collector.py")


def run(port, host="127.0.0.1", timeout=2, **extra):
    event = {"host": host, "port": port, "timeout": timeout}
    event.update(extra)
    out = connectivity.handler(event, None)
    assert set(out) == {"reachable", "instance_id", "description"}
    assert isinstance(out["reachable"], bool)
    assert isinstance(out["instance_id"], str)
    assert isinstance(out["description"], str) and "\n" not in out["description"]
    json.dumps(out)     # JSON-able
    return out


def free_port():
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_request_bytes():
    # One CEDAR frame: end-of-message 1, length 8, then 60045 as 8 bytes.
    assert connectivity.request_frame() == bytes.fromhex("01" "00000008" "000000000000ea8d")
    assert connectivity.request_frame() == REQUEST


def test_good_collector_gives_its_id():
    with FakeCollector(instance_id="a1b2c3d4e5f60718") as fc:
        out = run(fc.port)
        assert fc.requests == [REQUEST]
    assert out["reachable"] is True
    assert out["instance_id"] == "a1b2c3d4e5f60718"
    assert "127.0.0.1:%d" % fc.port in out["description"]
    assert "a1b2c3d4e5f60718" in out["description"]


def test_same_id_for_every_query_and_by_name():
    with FakeCollector() as fc:
        first = run(fc.port)
        second = run(fc.port, host="localhost")
    assert first["instance_id"] == second["instance_id"] == DEFAULT_ID


def test_wrong_id_is_reported_as_sent():
    with FakeCollector(mode="wrong-id") as fc:
        out = run(fc.port)
    assert out["reachable"] is True and out["instance_id"] == WRONG_ID


def test_answer_in_pieces_is_read_whole():
    with FakeCollector(mode="dribble") as fc:
        out = run(fc.port)
    assert out == {"reachable": True, "instance_id": DEFAULT_ID,
                   "description": out["description"]}


def test_nothing_listening_is_refused():
    port = free_port()
    out = run(port)
    assert out["reachable"] is False and out["instance_id"] == ""
    assert "127.0.0.1:%d" % port in out["description"]
    assert "connection refused" in out["description"]


def test_listener_that_closes_at_once():
    with FakeCollector(mode="close") as fc:
        start = time.monotonic()
        out = run(fc.port, timeout=5)
        assert fc.connections == 1
    assert time.monotonic() - start < 4, "a close must not wait for the timeout"
    assert out["reachable"] is False and out["instance_id"] == ""
    assert "connected, but" in out["description"]
    assert "closed" in out["description"] or "reset" in out["description"]


def test_listener_that_resets():
    with FakeCollector(mode="reset") as fc:
        out = run(fc.port)
    assert out["reachable"] is False and out["instance_id"] == ""
    assert "connected, but" in out["description"]


def test_listener_that_never_answers_times_out():
    with FakeCollector(mode="silent") as fc:
        start = time.monotonic()
        out = run(fc.port, timeout=0.5)
        took = time.monotonic() - start
        assert fc.requests == [REQUEST]
    assert 0.4 < took < 3
    assert out["reachable"] is False and out["instance_id"] == ""
    assert "no answer to DC_QUERY_INSTANCE within the timeout" in out["description"]


def test_connect_that_is_never_accepted_times_out():
    # A listening socket whose backlog is full and that never accepts:
    # later SYNs are dropped, so the connect itself times out.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        time.sleep(0.1)
        start = time.monotonic()
        out = run(port, timeout=0.5)
        took = time.monotonic() - start
    finally:
        for c in fillers:
            c.close()
        s.close()
    assert out["reachable"] is False and out["instance_id"] == ""
    assert took < 3
    # Depending on the kernel the connect times out or completes into the
    # full queue and then nothing answers: both are "not reachable".
    assert ("no answer to the connection within 0.5 s" in out["description"]
            or "no answer to DC_QUERY_INSTANCE" in out["description"])


def test_name_that_does_not_resolve():
    out = run(9618, host="no-such-collector.invalid")
    assert out == {"reachable": False, "instance_id": "",
                   "description": out["description"]}
    assert out["description"].startswith("cannot resolve no-such-collector.invalid: ")


@pytest.mark.parametrize("mode,words", [
    ("short", "the answer ended after 3 of 5 header bytes"),
    ("truncated", "the answer ended after 5 of 16 payload bytes"),
    ("bad-flag", "not a CEDAR frame (first byte 0x48, expected 0x01)"),
    ("bad-length", "payload is 2147483647 bytes, not the 16 of an instance id"),
    ("not-hex", "not a hexadecimal instance id"),
    ("empty", "payload is 0 bytes, not the 16 of an instance id"),
])
def test_malformed_answers(mode, words):
    with FakeCollector(mode=mode) as fc:
        start = time.monotonic()
        out = run(fc.port, timeout=5)
        assert fc.requests == [REQUEST]
    assert time.monotonic() - start < 4, "a malformed answer must not wait for the timeout"
    assert out["reachable"] is False and out["instance_id"] == ""
    assert words in out["description"], out["description"]
    assert "127.0.0.1:%d: connected, but" % fc.port in out["description"]


def test_connect_only_mode():
    with FakeCollector(mode="silent") as fc:
        start = time.monotonic()
        out = run(fc.port, timeout=5, query=False)
        assert time.monotonic() - start < 2
    assert out == {"reachable": True, "instance_id": "",
                   "description": "127.0.0.1:%d: TCP connection accepted" % fc.port}
    port = free_port()
    out = run(port, query=False)
    assert out["reachable"] is False and "connection refused" in out["description"]


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.fail("no IPv6 in this Python")
    try:
        fc = FakeCollector(host="::1").start()
    except OSError as exc:
        pytest.fail("cannot listen on ::1: %s" % exc)
    try:
        for host in ("::1", "[::1]"):
            out = run(fc.port, host=host)
            assert out["reachable"] and out["instance_id"] == DEFAULT_ID
            assert "[::1]:%d" % fc.port in out["description"]
    finally:
        fc.stop()


def test_port_as_string_and_default_timeout():
    with FakeCollector() as fc:
        out = connectivity.handler({"host": "127.0.0.1", "port": str(fc.port)}, None)
    assert out["reachable"] and out["instance_id"] == DEFAULT_ID


@pytest.mark.parametrize("event", [
    None, [], {}, {"host": "", "port": 9618}, {"host": 5, "port": 9618},
    {"host": "cm:9618", "port": 9618}, {"host": "cm"}, {"host": "cm", "port": 0},
    {"host": "cm", "port": 70000}, {"host": "cm", "port": True}, {"host": "cm", "port": "x"},
    {"host": "cm", "port": 9618, "timeout": 0}, {"host": "cm", "port": 9618, "timeout": -1},
    {"host": "cm", "port": 9618, "timeout": 61}, {"host": "cm", "port": 9618, "timeout": "soon"},
    {"host": "cm", "port": 9618, "query": "yes"},
])
def test_malformed_event_raises(event):
    # annex's own bug, not a network fact: Lambda reports a function error.
    with pytest.raises(ValueError):
        connectivity.handler(event, None)


def test_logs_one_json_line(capsys):
    port = free_port()
    out = run(port)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged["result"] == out
    assert logged["event"] == {"host": "127.0.0.1", "port": port, "timeout": 2.0, "query": True}


def test_command_line():
    with FakeCollector(instance_id="00000000deadbeef") as fc:
        p = subprocess.run([sys.executable, FUNCTION, "127.0.0.1", str(fc.port), "2"],
                           capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["instance_id"] == "00000000deadbeef"
    p = subprocess.run([sys.executable, FUNCTION, "127.0.0.1", str(free_port()), "1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and json.loads(p.stdout)["reachable"] is False
    p = subprocess.run([sys.executable, FUNCTION, "127.0.0.1"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "usage" in p.stderr


def test_fake_collector_as_a_program():
    """The script form the namespace test (and the C side's tests) use."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, FAKE, "--port", str(port), "--id", "1111222233334444"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "listening on 127.0.0.1:%d" % port
        out = run(port)
        assert out["reachable"] and out["instance_id"] == "1111222233334444"
        assert proc.stdout.readline().strip() == "request 0100000008000000000000ea8d"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_fake_collector_refuses_a_wrong_request():
    # A daemon that cannot read the command closes without answering; the
    # fake does the same, so a client sending the wrong bytes cannot pass.
    with FakeCollector() as fc:
        s = socket.create_connection(("127.0.0.1", fc.port), timeout=2)
        s.sendall(struct.pack("!BIQ", 1, 8, 60044))
        assert s.recv(100) == b""
        s.close()


def test_standard_library_only():
    """The Lambda runtime gives the function Python's standard library and
    nothing else: it must import and run with site-packages off (-S)."""
    code = ("import sys, json; sys.path.insert(0, %r); import connectivity; "
            "print(json.dumps(connectivity.handler({'host': '127.0.0.1', 'port': %d, "
            "'timeout': 1}, None)))") % (os.path.dirname(FUNCTION), free_port())
    p = subprocess.run([sys.executable, "-S", "-E", "-c", code], capture_output=True,
                       text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[-1])["reachable"] is False
    with open(FUNCTION) as fh:
        imports = {line.split()[1].split(".")[0] for line in fh
                   if line.startswith(("import ", "from "))}
    assert imports <= set(sys.stdlib_module_names), imports - set(sys.stdlib_module_names)


def fake_resolver(monkeypatch, *ports):
    """Makes every name resolve to 127.0.0.1 at each of `ports` in turn (one
    address per port), as a name with several A/AAAA records would."""
    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", p)) for p in ports]
    monkeypatch.setattr(connectivity.socket, "getaddrinfo", getaddrinfo)


def test_several_addresses_first_that_connects_answers(monkeypatch):
    dead = free_port()
    with FakeCollector() as fc:
        fake_resolver(monkeypatch, dead, fc.port)
        out = run(9618, host="cm.example.org")
    assert out["reachable"] and out["instance_id"] == DEFAULT_ID
    assert out["description"].startswith("127.0.0.1:%d: an HTCondor daemon answered" % fc.port)


def test_several_addresses_all_failing_are_all_named(monkeypatch):
    a, b = free_port(), free_port()
    fake_resolver(monkeypatch, a, b)
    out = run(9618, host="cm.example.org")
    assert out["reachable"] is False and out["instance_id"] == ""
    assert out["description"] == (
        "cm.example.org -> 127.0.0.1:%d: connection refused (nothing listens there, or a "
        "firewall or NAT rejects it); 127.0.0.1:%d: connection refused (nothing listens "
        "there, or a firewall or NAT rejects it)" % (a, b))


def test_an_address_that_connects_but_does_not_answer_ends_the_search(monkeypatch):
    # The nodes would connect there too: what answers at the first address
    # that accepts is what they get, so later addresses are not tried.
    with FakeCollector(mode="close") as bad, FakeCollector() as good:
        fake_resolver(monkeypatch, bad.port, good.port)
        out = run(9618, host="cm.example.org")
        assert good.connections == 0
    assert out["reachable"] is False and "127.0.0.1:%d: connected, but" % bad.port in out["description"]


def test_answer_later_than_the_timeout_is_no_answer():
    with FakeCollector(delay=1.0) as fc:
        late = run(fc.port, timeout=0.3)
        in_time = run(fc.port, timeout=5)
    assert late["reachable"] is False
    assert "no answer to DC_QUERY_INSTANCE within the timeout" in late["description"]
    assert in_time["reachable"] and in_time["instance_id"] == DEFAULT_ID
