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
"reply": a call that did its work but reports failure), "error" (nothing
forwarded; AWS's error `code` with `status`, default 400, in the shape of
the call's protocol: EC2's <Response><Errors>, IAM/STS's <ErrorResponse>,
S3's <Error>, JSON 1.1's __type, Lambda's x-amzn-ErrorType; "throttle"
with a `code` is the same), "truncate" (forwarded; the reply's headers
announce the whole body, half of it is sent, then the connection is
closed), "malformed" (forwarded; answered 200 with the reply's headers and
a body that is no document of any protocol).
A rule may also carry `params` ({field: value}: only calls whose form
fields or JSON body members hold those values match) and `per_request`
(true: nth and times count each distinct request, method + URL + body,
apart, so {"call": "mutating", "per_request": true, "fault": ...} hits the
first attempt of every mutating request and lets its resends through).
`call` also matches a call's `name`: the operation, or for the REST
protocols the API's own name (S3 CreateBucket, PutBucketPolicy, ...;
Lambda CreateFunction, AddPermission, ...).
Every request is appended to the log as one JSON line: n, method, url,
operation, mutating, fault, params (the query-protocol form fields,
UserData removed), akid (the access key id that signed it). When its exchange ends, a line {n, t0, t1} (monotonic
seconds: the request's headers read, the reply about to be sent (so a
call the client makes on reading the reply starts after it; an exchange
with no reply ends when it is dropped); status: the status sent,
null when none was) goes to LOG.times, from which tests and benchmarks
tell which calls were in flight together. Request lines also carry name
(above), key (a digest of method, URL and body: equal for a resend) and
body (a JSON body, Code.ZipFile removed, else null).

Use: faultproxy.py RULES.json LOG.jsonl PORTFILE  (prints nothing; writes the
port it listens on to PORTFILE once ready).
"""
import hashlib
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


# The REST protocols' API names, by method, path shape and query: S3 (the
# bucket is the first segment, path-style) and Lambda (2015-03-31).
S3_SUBRESOURCES = ("policy", "publicAccessBlock", "ownershipControls", "encryption", "versioning", "tagging",
                   "lifecycle", "acl", "cors", "website", "logging", "notification")


def name_of(method, path, op):
    if not op.startswith(method + " "):
        return op
    u = urllib.parse.urlsplit(path)
    seg = [s for s in u.path.split("/") if s]
    query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    if seg and seg[0] == "2015-03-31":
        verb = {"POST": "Create", "PUT": "Update", "DELETE": "Delete", "GET": "Get"}.get(method, method)
        if len(seg) >= 4 and seg[3] == "policy":
            return {"POST": "AddPermission", "GET": "GetPolicy", "DELETE": "RemovePermission"}.get(method, op)
        if len(seg) >= 4 and seg[3] == "invocations":
            return "Invoke"
        if len(seg) >= 4 and seg[3] in ("code", "configuration"):
            return "UpdateFunction" + seg[3].capitalize() if method == "PUT" else "GetFunctionConfiguration"
        if len(seg) == 2:
            return "ListFunctions" if method == "GET" else "CreateFunction"
        return verb + "Function"
    sub = next((q for q in S3_SUBRESOURCES if q in query), None)
    if len(seg) == 1:
        verb = {"PUT": "Put", "GET": "Get", "DELETE": "Delete", "HEAD": "Head"}.get(method, method)
        if sub:
            return verb + "Bucket" + sub[0].upper() + sub[1:]
        return {"PUT": "CreateBucket", "GET": "ListObjects", "DELETE": "DeleteBucket",
                "HEAD": "HeadBucket"}.get(method, op)
    if len(seg) > 1:
        return {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject",
                "HEAD": "HeadObject"}.get(method, op)
    return "ListBuckets" if method == "GET" else op


def json_body(headers, body):
    ctype = headers.get("Content-Type", "")
    if not body or "json" not in ctype:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and isinstance(doc.get("Code"), dict):
        doc["Code"].pop("ZipFile", None)
    return doc


def params_match(want, params, doc):
    for k, v in (want or {}).items():
        got = params.get(k)
        if got is None and isinstance(doc, dict):
            got = doc.get(k)
        if got != v:
            return False
    return True


class State:
    def __init__(self, rules, log_path):
        self.rules = rules
        self.log_path = log_path
        self.lock = threading.Lock()
        self.n = 0
        self.counts = {}

    def decide(self, op, mutating, name=None, params=None, doc=None, key=None):
        with self.lock:
            self.n += 1
            n = self.n
            chosen = None
            for i, r in enumerate(self.rules):
                call = r.get("call", "any")
                hit = call == "any" or (call == "mutating" and mutating) or call == op or call == name
                if not hit or not params_match(r.get("params"), params or {}, doc):
                    continue
                ci = (i, key) if r.get("per_request") else i
                self.counts[ci] = self.counts.get(ci, 0) + 1
                first, times = r.get("nth", 1), r.get("times", 1)
                if chosen is None and self.counts[ci] >= first and (times == 0 or self.counts[ci] < first + times):
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


def signing_key(headers):
    """The access key id a SigV4 Authorization header names (not a secret), or None."""
    auth = headers.get("Authorization") or ""
    if "Credential=" not in auth:
        return None
    return auth.split("Credential=", 1)[1].split("/", 1)[0]


def protocol_of(headers, body):
    """The shape AWS's errors take for this request: "json" (JSON 1.1),
    "lambda", "ec2", "query" (IAM, STS) or "rest-xml" (S3)."""
    if headers.get("X-Amz-Target"):
        return "json"
    if "/2015-03-31/" in headers.get("_path", ""):
        return "lambda"
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return "ec2" if form.get("Version", [""])[0] in ("2016-11-15",) else "query"
    return "rest-xml"


def error_reply(headers, body, code, status, message="injected by the fault proxy", shape=None):
    """AWS's error `code` in the shape of the request's protocol (or of
    `shape`): (status, content type, extra headers, body)."""
    shape = shape or protocol_of(headers, body)
    if shape == "json":
        return status, "application/x-amz-json-1.1", {}, json.dumps({"__type": code, "message": message}).encode()
    if shape == "lambda":
        return status, "application/json", {"x-amzn-ErrorType": code}, json.dumps(
            {"Type": "User", "message": message}).encode()
    if shape == "ec2":
        return status, "text/xml", {}, ("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error>"
                                        "</Errors><RequestID>fault-proxy</RequestID></Response>"
                                        % (code, message)).encode()
    if shape == "query":
        return status, "text/xml", {}, ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s"
                                        "</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
                                        % (code, message)).encode()
    return status, "application/xml", {}, ("<Error><Code>%s</Code><Message>%s</Message><RequestId>fault-proxy"
                                           "</RequestId></Error>" % (code, message)).encode()


def fault_error(fault, rule, headers, body):
    """The error reply of an "error", "throttle", "500" or "503" rule.
    "500"/"503" and a plain "throttle" keep EC2's shape whatever the
    protocol (a JSON request's throttle is JSON 1.1's ThrottlingException)."""
    if fault == "error" or (fault == "throttle" and rule.get("code")):
        return error_reply(headers, body, rule.get("code", "InternalError"), int(rule.get("status", 400)))
    if fault == "throttle":
        if headers.get("X-Amz-Target") or "json" in headers.get("Content-Type", ""):
            return error_reply(headers, body, "ThrottlingException", 400, "Rate exceeded", shape="json")
        return error_reply(headers, body, "RequestLimitExceeded", 503, "Request limit exceeded.", shape="ec2")
    return error_reply(headers, body, "InternalError", int(fault), "injected " + fault, shape="ec2")


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _reset(self):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def _reply(self, status, ctype, extra, data):
            self._status = status
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _rule_reply(self, rule):
            self._reply(int(rule.get("status", 400)), rule.get("content_type", "text/xml"),
                        rule.get("headers", {}), rule.get("body", "").encode())

        def send_response(self, *a, **kw):
            # t1 is taken before the reply goes out, not after: taken after,
            # a thread descheduled between writing and logging (a loaded
            # machine) logs an end later than the start of the call the
            # client made on reading the reply, and two calls made one after
            # the other look side by side (test_setup.py's critical path)
            if getattr(self, "_t1", None) is None:
                self._t1 = time.monotonic()
            super().send_response(*a, **kw)

        def _handle(self):
            t0 = time.monotonic()
            self._t1 = None
            try:
                self._exchange()
            finally:
                if getattr(self, "_n", None) is not None:
                    state.log_time({"n": self._n, "t0": t0, "t1": self._t1 or time.monotonic(),
                                    "status": getattr(self, "_status", None)})

        def _exchange(self):
            self._n = None
            self._status = None
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            op = operation_of(self.command, self.path, self.headers, body)
            mutating = is_mutating(self.command, op)
            name = name_of(self.command, self.path, op)
            params = {}
            if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
                params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()
                          if k != "UserData"}
            doc = json_body(self.headers, body)
            key = hashlib.sha256(self.command.encode() + b" " + self.path.encode() + b"\n" + body).hexdigest()[:16]
            n, rule = state.decide(op, mutating, name, params, doc, key)
            self._n = n
            fault = rule.get("fault") if rule else None
            state.log({"n": n, "method": self.command, "url": self.path, "operation": op,
                       "mutating": mutating, "fault": fault, "params": params,
                       "target": self.headers.get("X-Amz-Target"), "name": name, "key": key, "body": doc,
                       "akid": signing_key(self.headers)})
            if fault == "reset":
                return self._reset()
            if fault == "blackhole":
                while self.connection.recv(4096):
                    pass
                self.close_connection = True
                return
            if fault in ("error", "throttle", "500", "503"):
                hdrs = dict(self.headers.items(), _path=self.path)
                return self._reply(*fault_error(fault, rule, hdrs, body))
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
            if fault == "malformed":
                data = b"\x00<<annex fault proxy: not a document>> {" + data[:len(data) // 2]
            self._status = resp.status
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            # truncate: an empty body is cut by promising one byte that never comes
            self.send_header("Content-Length", str(len(data) or (1 if fault == "truncate" else 0)))
            self.end_headers()
            if fault == "truncate":
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                return self._reset()
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
