#!/usr/bin/env python3
"""faultproxy.py - a fault-injecting forward HTTP proxy for annex's tests.

annex reaches it through `http_proxy` (plain-http endpoints of a local
emulator), so the Host header and the SigV4 signature stay intact. Every
request is forwarded to the URL it names, except where a rule says
otherwise. Rules are matched by call number:

    {"rules": [
        {"call": "mutating", "nth": 3, "fault": "503"},
        {"call": "RunInstances", "nth": 1, "fault": "drop_reply"},
        {"call": "any", "nth": 2, "fault": "reset"},
        {"call": "ListBuckets", "nth": 1, "fault": "delay", "seconds": 3},
        {"call": "POST /2015-03-31", "nth": 1, "times": 3, "fault": "reply",
         "status": 400, "content_type": "application/json",
         "body": "{\"__type\": \"InvalidParameterValueException\", ...}"}
    ]}

`call` is an operation name (query `Action=`, JSON `X-Amz-Target` suffix,
or a REST operation named "METHOD /first-path-segment"), "mutating" (any
operation that is not Describe*/List*/Get*/Check*/Head*/a GET or HEAD), or
"any"; `nth` counts the matching calls from 1; `times` (default 1) makes
the rule hit that many matching calls from the nth on (0: every one from the
nth on). Faults: "500", "503",
"throttle" (the protocol's own throttling error), "reset" (connection reset,
nothing forwarded), "drop_reply" (forwarded, the reply is thrown away and the
connection closed: a lost reply), "delay" (forwarded after `seconds`),
"blackhole" (nothing forwarded, nothing answered: the connection is held
open until the client gives up),
"reply" (nothing forwarded; answers `status` with `body` and
`content_type`, default text/xml, and any `headers` ({name: value}): any
error AWS could send, or a Lambda function's error with its
X-Amz-Function-Error header),
"forward_reply" (forwarded, so the call takes effect, then answered like
"reply": a call that did its work but reports failure).
Every request is appended to the log as one JSON line: n, method, url,
operation, mutating, fault, params (the query-protocol form fields,
UserData removed). When its exchange ends, a line {n, t0, t1} (monotonic
seconds: the request read, the reply written) goes to LOG.times, from
which tests and benchmarks tell which calls were in flight together.

Use: faultproxy.py RULES.json LOG.jsonl PORTFILE  (prints nothing; writes the
port it listens on to PORTFILE once ready).
"""
import http.client
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Check", "Head", "Lookup")


def operation_of(method, path, headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    ctype = headers.get("Content-Type", "")
    if method == "POST" and "x-www-form-urlencoded" in ctype:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    seg = [s for s in urllib.parse.urlsplit(path).path.split("/") if s]
    return "%s /%s" % (method, seg[0] if seg else "")


def is_mutating(method, op):
    if method in ("GET", "HEAD"):
        return False
    return not op.startswith(READ_ONLY_PREFIXES)


class State:
    def __init__(self, rules, log_path):
        self.rules = rules
        self.log_path = log_path
        self.lock = threading.Lock()
        self.n = 0
        self.counts = {}

    def decide(self, op, mutating):
        with self.lock:
            self.n += 1
            n = self.n
            chosen = None
            for i, r in enumerate(self.rules):
                call = r.get("call", "any")
                hit = call == "any" or (call == "mutating" and mutating) or call == op
                if not hit:
                    continue
                self.counts[i] = self.counts.get(i, 0) + 1
                first, times = r.get("nth", 1), r.get("times", 1)
                if chosen is None and self.counts[i] >= first and (times == 0 or self.counts[i] < first + times):
                    chosen = r
            return n, chosen

    def log_time(self, rec):
        with self.lock:
            with open(self.log_path + ".times", "a") as f:
                f.write(json.dumps(rec) + "\n")

    def log(self, rec):
        with self.lock:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")


def throttle_reply(headers):
    if headers.get("X-Amz-Target") or "json" in headers.get("Content-Type", ""):
        return 400, "application/x-amz-json-1.1", json.dumps(
            {"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    return 503, "text/xml", (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                             b"<Message>Request limit exceeded.</Message></Error></Errors>"
                             b"<RequestID>fault-proxy</RequestID></Response>")


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _reset(self):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def _rule_reply(self, rule):
            data = rule.get("body", "").encode()
            self.send_response(int(rule.get("status", 400)))
            self.send_header("Content-Type", rule.get("content_type", "text/xml"))
            for k, v in rule.get("headers", {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self):
            t0 = time.monotonic()
            try:
                self._exchange()
            finally:
                if getattr(self, "_n", None) is not None:
                    state.log_time({"n": self._n, "t0": t0, "t1": time.monotonic()})

        def _exchange(self):
            self._n = None
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            op = operation_of(self.command, self.path, self.headers, body)
            mutating = is_mutating(self.command, op)
            n, rule = state.decide(op, mutating)
            self._n = n
            fault = rule.get("fault") if rule else None
            params = {}
            if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
                params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()
                          if k != "UserData"}
            state.log({"n": n, "method": self.command, "url": self.path, "operation": op,
                       "mutating": mutating, "fault": fault, "params": params,
                       "target": self.headers.get("X-Amz-Target")})
            if fault == "reset":
                return self._reset()
            if fault == "blackhole":
                while self.connection.recv(4096):
                    pass
                self.close_connection = True
                return
            if fault in ("500", "503", "throttle"):
                if fault == "throttle":
                    code, ctype, data = throttle_reply(self.headers)
                else:
                    code, ctype = int(fault), "text/xml"
                    data = (b"<Response><Errors><Error><Code>InternalError</Code><Message>injected "
                            + fault.encode() + b"</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if fault == "reply":
                return self._rule_reply(rule)
            if fault == "delay":
                time.sleep(float(rule.get("seconds", 1)))
            url = urllib.parse.urlsplit(self.path)
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)
            path = url.path + ("?" + url.query if url.query else "")
            fwd = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
            conn.request(self.command, path, body=body, headers=fwd)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            if fault == "drop_reply":
                return self._reset()
            if fault == "forward_reply":
                return self._rule_reply(rule)
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


def main():
    rules_path, log_path, port_file = sys.argv[1:4]
    with open(rules_path) as f:
        rules = json.load(f).get("rules", [])
    open(log_path, "a").close()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(State(rules, log_path)))
    srv.daemon_threads = True
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
