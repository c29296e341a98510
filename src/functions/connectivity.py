"""connectivity.py - annex's connectivity function (AWS Lambda, handler
`connectivity.handler`).

Runtime python3.12, the lease function's (also runs on 3.11); standard
library only. `annex -setup` deploys it as HTCondorAnnex-ConnectivityFunction;
`-check-setup` and launch's pre-flight invoke it to learn whether a host and
port answer from inside AWS, where the nodes will be. Its role may only write
its own logs: the function calls no AWS API.

Event:

    {"host": "cm.example.org", "port": 9618, "timeout": 5, "query": true}

- host: a DNS name or an IP address (an IPv6 literal with or without
  brackets); no port in it.
- port: 1..65535 (an int, or a decimal string as condor_annex passed it).
- timeout: seconds, a number in (0, 60]; default 5. It bounds the connect,
  the request and the answer together (name resolution is the resolver's
  own business); the function's Lambda timeout must be longer.
- query: default true: ask the daemon for its instance id (below). false:
  only open a TCP connection (a schedd's advertised address: the nodes
  connect back to it, and a connect says enough).

Result (also logged as one JSON line):

    {"reachable": true, "instance_id": "0123456789abcdef",
     "description": "203.0.113.1:9618: an HTCondor daemon answered ..."}

- reachable: query mode: an HTCondor daemon answered DC_QUERY_INSTANCE with
  a well-formed instance id. Connect mode: the TCP connection was accepted.
- instance_id: the 16 hexadecimal characters the daemon sent, as sent;
  empty unless reachable in query mode.
- description: one line saying what happened, naming the address tried.

A host that does not resolve, a refused or timed-out connect, a peer that
closes, resets, stays silent or answers something that is not the frame
below: reachable false, with a description saying which. A malformed event
(missing or bad host, port or timeout) is annex's own bug, not a network
fact: the function raises ValueError, so that Lambda reports a function
error and annex warns instead of telling the user to open a port.

Wire format (HTCondor's CEDAR stream framing, as condor_annex's own
check-connectivity function src/annex/setup/check-connectivity.py speaks
it; the daemon side is handle_dc_query_instance in HTCondor's
src/condor_daemon_core.V6/daemon_core_main.cpp, the client side
Daemon::getInstanceID in src/condor_daemon_client/daemon.cpp): every
message is a frame of one byte 1 (end of message), a 4-byte big-endian
payload length, then the payload. The request is one frame whose payload is
the command DC_QUERY_INSTANCE (DC_BASE 60000 + 45 = 60045) as an 8-byte
big-endian integer (CEDAR sends every int as 8 bytes); sent unauthenticated,
a collector answers it also behind the shared port and under
SEC_DEFAULT_AUTHENTICATION = REQUIRED (checked against HTCondor 25.14). The
answer is one frame whose payload is the daemon's instance id, 16 lowercase
hexadecimal characters, random, the same for as long as that daemon runs.
docs/network.md has the details and the tests.

Run by hand (from any host, e.g. an EC2 instance, to see what AWS sees):

    python3 connectivity.py HOST PORT [TIMEOUT] [--connect-only]
"""
import ipaddress
import json
import re
import socket
import struct
import sys
import time

DC_QUERY_INSTANCE = 60045
END_OF_MESSAGE = 1
HEADER = struct.Struct("!BI")      # end-of-message flag, payload length
INSTANCE_ID_LEN = 16
INSTANCE_ID_RE = re.compile(r"^[0-9A-Fa-f]{16}$")
DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 60.0


def request_frame():
    """The 13 bytes annex sends: one CEDAR frame holding DC_QUERY_INSTANCE."""
    payload = struct.pack("!Q", DC_QUERY_INSTANCE)
    return HEADER.pack(END_OF_MESSAGE, len(payload)) + payload


class Unanswered(Exception):
    """The peer accepted the connection but gave no well-formed answer."""


def parse_event(event):
    """Returns (host, port, timeout, query) or raises ValueError."""
    if not isinstance(event, dict):
        raise ValueError("event must be a JSON object, not %s" % type(event).__name__)
    host = event.get("host")
    if not isinstance(host, str) or not host.strip():
        raise ValueError("event.host must be a non-empty string")
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("event.host %r holds a ':' but is no IPv6 address "
                "(give the port as event.port)" % host) from None
    port = event.get("port")
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port.strip())
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError("event.port must be an integer 1..65535, not %r" % (port,))
    timeout = event.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, str):
        try:
            timeout = float(timeout)
        except ValueError:
            pass
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError("event.timeout must be a number of seconds in (0, %g], not %r"
            % (MAX_TIMEOUT, timeout))
    query = event.get("query", True)
    if not isinstance(query, bool):
        raise ValueError("event.query must be true or false, not %r" % (query,))
    return host, port, float(timeout), query


def show(sockaddr):
    """host:port, IPv6 in brackets."""
    ip, port = sockaddr[0], sockaddr[1]
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


def remaining(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    return left


def recv_exact(sock, n, deadline, what):
    """Reads exactly n bytes (`what`: "header" or "payload") before the
    deadline; Unanswered otherwise."""
    data = b""
    while len(data) < n:
        got = "after %d of %d %s bytes" % (len(data), n, what)
        nothing = what == "header" and not data
        try:
            sock.settimeout(remaining(deadline))
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            if nothing:
                raise Unanswered("no answer to DC_QUERY_INSTANCE within the timeout") from None
            raise Unanswered("the answer stopped %s until the timeout" % got) from None
        except ConnectionResetError:
            if nothing:
                raise Unanswered("the peer reset the connection without answering") from None
            raise Unanswered("the peer reset the connection %s" % got) from None
        if not chunk:
            if nothing:
                raise Unanswered("the peer closed the connection without answering")
            raise Unanswered("the answer ended %s" % got)
        data += chunk
    return data


def query_instance(sock, deadline):
    """Sends DC_QUERY_INSTANCE and returns the instance id; Unanswered when
    the answer is missing or not one frame holding 16 hex characters."""
    try:
        sock.settimeout(remaining(deadline))
        sock.sendall(request_frame())
    except socket.timeout:
        raise Unanswered("could not send the request within the timeout") from None
    except (BrokenPipeError, ConnectionResetError):
        raise Unanswered("the peer closed the connection before the request was sent") from None
    flag, length = HEADER.unpack(recv_exact(sock, HEADER.size, deadline, "header"))
    if flag != END_OF_MESSAGE:
        raise Unanswered("the answer is not a CEDAR frame (first byte 0x%02x, expected 0x01)"
            % flag)
    if length != INSTANCE_ID_LEN:
        raise Unanswered("the answer's payload is %d bytes, not the %d of an instance id"
            % (length, INSTANCE_ID_LEN))
    payload = recv_exact(sock, length, deadline, "payload")
    text = payload.decode("ascii", "replace")
    if not INSTANCE_ID_RE.match(text):
        raise Unanswered("the answer's payload is not a hexadecimal instance id: %r"
            % payload)
    return text


def connect_error(exc, timeout):
    if isinstance(exc, socket.timeout):
        return ("no answer to the connection within %g s (a firewall or NAT drops it, "
            "or the host is down)" % timeout)
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens there, or a firewall or NAT rejects it)"
    return "cannot connect: %s" % (exc.strerror or exc)


def check(host, port, timeout, query=True):
    """The check itself, on already validated input; returns the result dict."""
    def result(reachable, description, instance_id=""):
        return {"reachable": reachable, "instance_id": instance_id,
            "description": description}

    deadline = time.monotonic() + timeout
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return result(False, "cannot resolve %s: %s" % (host, getattr(exc, "strerror", None)
            or exc))
    failures = []
    seen = set()
    for family, kind, proto, _, sockaddr in infos:
        if sockaddr[:2] in seen:
            continue
        seen.add(sockaddr[:2])
        where = show(sockaddr)
        if time.monotonic() >= deadline:
            failures.append("%s: not tried, the timeout was spent" % where)
            break
        sock = socket.socket(family, kind, proto)
        try:
            try:
                sock.settimeout(remaining(deadline))
                sock.connect(sockaddr)
            except OSError as exc:
                failures.append("%s: %s" % (where, connect_error(exc, timeout)))
                continue
            if not query:
                return result(True, "%s: TCP connection accepted" % where)
            try:
                instance_id = query_instance(sock, deadline)
            except Unanswered as exc:
                return result(False, "%s: connected, but %s; is an HTCondor daemon "
                    "listening there?" % (where, exc))
            except OSError as exc:
                return result(False, "%s: connected, but %s" % (where, exc.strerror or exc))
            return result(True, "%s: an HTCondor daemon answered DC_QUERY_INSTANCE "
                "with instance id %s" % (where, instance_id), instance_id)
        finally:
            sock.close()
    if not failures:
        return result(False, "%s resolves to no address" % host)
    name = "" if host == infos[0][4][0] else "%s -> " % host
    return result(False, name + "; ".join(failures))


def handler(event, context):
    """Lambda entry point. Raises ValueError on a malformed event."""
    host, port, timeout, query = parse_event(event)
    out = check(host, port, timeout, query)
    print(json.dumps({"event": {"host": host, "port": port, "timeout": timeout,
        "query": query}, "result": out}, sort_keys=True))
    return out


def main(argv):
    args = [a for a in argv if a != "--connect-only"]
    if len(args) not in (2, 3):
        print("usage: connectivity.py HOST PORT [TIMEOUT] [--connect-only]", file=sys.stderr)
        return 2
    event = {"host": args[0], "port": args[1], "query": "--connect-only" not in argv}
    if len(args) == 3:
        event["timeout"] = args[2]
    try:
        host, port, timeout, query = parse_event(event)
    except ValueError as exc:
        print("connectivity.py: %s" % exc, file=sys.stderr)
        return 2
    out = check(host, port, timeout, query)
    print(json.dumps(out, sort_keys=True))
    return 0 if out["reachable"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
