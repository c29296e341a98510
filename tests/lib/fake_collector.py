#!/usr/bin/env python3
"""fake_collector.py - a stand-in HTCondor collector for the connectivity
checks: it answers DaemonCore's DC_QUERY_INSTANCE (60045) with a fixed
instance id in HTCondor's CEDAR framing (one byte 1 = end of message, a
4-byte big-endian payload length, the payload; the request's payload is the
command as an 8-byte big-endian integer; docs/network.md), or misbehaves in
one chosen way.

In a test:

    with FakeCollector(instance_id="0123456789abcdef") as fc:
        ... connect to 127.0.0.1:fc.port ...
        fc.requests   # the raw bytes each connection sent (good mode)

    fc = FakeCollector(mode="silent"); fc.start(); ...; fc.stop()

As a program (e.g. inside a network namespace; prints
"listening on HOST:PORT" on stdout once it accepts connections, then
"request HEX" for every request it reads (the bytes in hexadecimal, empty
when the client sent nothing), runs until SIGTERM or SIGINT and exits 0;
--port 0, the default, picks a free port, which the first line tells):

    python3 tests/lib/fake_collector.py --port P --id HEX [--mode M] [--delay S] [--host 0.0.0.0]

`delay` (seconds, default 0) holds every answer back that long, for a
client's timeout to be tested on both sides of it.

Modes (what the server does after accepting a connection):
    good       reads the request; when it is exactly DC_QUERY_INSTANCE,
               answers the id in one frame; else closes without answering,
               as a daemon does with a request it cannot read
    wrong-id   the same, answering WRONG_ID (another daemon's id)
    dribble    the good answer, one byte at a time (a reader must loop)
    close      closes at once, reading nothing
    reset      reads the request, then resets the connection (RST)
    silent     reads the request and never answers (until stop())
    short      reads the request, sends 3 of the 5 header bytes, closes
    truncated  reads the request, sends a header announcing 16 bytes and
               only 5 of them, closes
    bad-flag   reads the request, answers "HTTP/1.0 400 Bad Request"
    bad-length reads the request, answers a header announcing 2**31-1 bytes
               and 16 bytes of payload, closes
    not-hex    reads the request, answers a 16-byte payload that is not hex
    empty      reads the request, answers a frame with an empty payload
"""
import argparse
import signal
import socket
import struct
import sys
import threading
import time

DC_QUERY_INSTANCE = 60045
REQUEST = struct.pack("!BIQ", 1, 8, DC_QUERY_INSTANCE)
DEFAULT_ID = "0123456789abcdef"
WRONG_ID = "fedcba9876543210"
MODES = ("good", "wrong-id", "dribble", "close", "reset", "silent", "short",
         "truncated", "bad-flag", "bad-length", "not-hex", "empty")


def frame(payload, flag=1):
    return struct.pack("!BI", flag, len(payload)) + payload


class FakeCollector:
    """A TCP server on host:port (port 0: any free port, read `port` after
    start()). One thread accepts; each connection gets a thread of its
    own."""

    def __init__(self, instance_id=DEFAULT_ID, mode="good", host="127.0.0.1", port=0,
                 delay=0.0, on_request=None):
        if mode not in MODES:
            raise ValueError("unknown mode %r (one of %s)" % (mode, ", ".join(MODES)))
        self.instance_id = instance_id
        self.mode = mode
        self.host = host
        self.port = port
        self.delay = delay
        self.on_request = on_request    # called with each request's bytes
        self.requests = []          # raw request bytes, one entry per connection read
        self.connections = 0
        self._sock = None
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()

    def start(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(16)
        sock.settimeout(0.2)
        self._sock = sock
        self.port = sock.getsockname()[1]
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in list(self._threads):
            t.join(timeout=5)
        if self._sock:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            t = threading.Thread(target=self._serve_safely, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _read_request(self, conn):
        """Reads up to the 13 request bytes (less if the client stops)."""
        data = b""
        conn.settimeout(5)
        try:
            while len(data) < len(REQUEST):
                chunk = conn.recv(len(REQUEST) - len(data))
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        with self._lock:
            self.requests.append(data)
            if self.on_request:
                self.on_request(data)
        return data

    def _serve_safely(self, conn):
        try:
            self._serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _serve(self, conn):
        mode = self.mode
        if mode == "close":
            return
        request = self._read_request(conn)
        if mode == "silent":
            self._stop.wait()
            return
        if mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if request != REQUEST:
            return
        if self.delay and self._stop.wait(self.delay):
            return
        answer = {
            "good": frame(self.instance_id.encode()),
            "wrong-id": frame(WRONG_ID.encode()),
            "dribble": frame(self.instance_id.encode()),
            "short": frame(self.instance_id.encode())[:3],
            "truncated": frame(self.instance_id.encode())[:5 + 5],
            "bad-flag": b"HTTP/1.0 400 Bad Request\r\n\r\n",
            "bad-length": struct.pack("!BI", 1, 2**31 - 1) + self.instance_id.encode(),
            "not-hex": frame(b"not an id at all"),
            "empty": frame(b""),
        }[mode]
        if mode == "dribble":
            for i in range(len(answer)):
                conn.sendall(answer[i:i + 1])
                time.sleep(0.01)
        else:
            conn.sendall(answer)
        # Let the client read before the close (a close with unread input
        # would send a reset instead of the answer's end).
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(2)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass


def main(argv=None):
    p = argparse.ArgumentParser(description="A stand-in collector answering DC_QUERY_INSTANCE.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--id", default=DEFAULT_ID, dest="instance_id")
    p.add_argument("--mode", default="good", choices=MODES)
    p.add_argument("--delay", type=float, default=0.0)
    args = p.parse_args(argv)
    fc = FakeCollector(args.instance_id, args.mode, args.host, args.port, args.delay,
                       lambda data: print("request %s" % data.hex(), flush=True)).start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print("listening on %s:%d" % (args.host, fc.port), flush=True)
    while not done.wait(0.5):
        pass
    fc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
