#!/usr/bin/python3
"""Interop: Debian's python3-socketio (5.7) client against sio-testserver and gleitzeitd.

Run with /usr/bin/python3 (the interpreter that has python3-socketio). The environment
names the binaries: SIO_TESTSERVER and GLEITZEITD. Each test starts its own server on
port 0 and stops it in tearDown; a failure exits non-zero through unittest.main().
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import socketio

TIMEOUT = 5  # seconds for any single round trip; generous for a loaded 2-core machine


class ServerProcess:
    """A server binary started on port 0; the port is read from its first stdout line."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        self.port = None
        found = threading.Event()

        def read():
            # Keep draining stdout so that the server never blocks on a full pipe.
            for line in self.proc.stdout:
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    found.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not found.wait(10):
            self.stop()
            raise RuntimeError("%s did not print 'listening on' within 10 s" % argv[0])
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        """Terminates the server and returns its exit code (SIGTERM is a clean stop)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)  # ends at EOF, now that the process is gone
        self.proc.stdout.close()
        return self.proc.returncode


class ServerTestCase(unittest.TestCase):
    """Starts self.server_argv() in setUp; stops it and every client in tearDown."""

    transports = None

    def setUp(self):
        self.clients = []
        self.server = ServerProcess(self.server_argv())

    def tearDown(self):
        for c in self.clients:
            try:
                c.disconnect()
            except Exception:  # already gone: nothing to release
                pass
        code = self.server.stop()
        # A server that crashes on shutdown (or under a sanitizer) must not pass.
        self.assertEqual(code, 0, "server exit code after SIGTERM")

    def client(self):
        c = socketio.Client(reconnection=False)
        self.clients.append(c)
        return c

    def connect(self, c, auth=None):
        c.connect(self.server.url, auth=auth, transports=self.transports, wait_timeout=TIMEOUT)


class Recorder:
    """Collects the arguments of one event as they arrive on the client's thread."""

    def __init__(self, client, event):
        self.calls = []
        self.cond = threading.Condition()

        def handler(*args):
            with self.cond:
                self.calls.append(args)
                self.cond.notify_all()

        client.on(event, handler)

    def wait(self, count=1):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.calls) >= count, TIMEOUT):
                raise AssertionError("expected %d calls, got %d" % (count, len(self.calls)))
            return self.calls[count - 1]


# Arguments that must survive a JSON round trip exactly.
JSON_ARGS = (1, "2", {"three": [3.5, None, True, False]}, "gr\u00f6\u00dfe \U0001F600", [])
# Bytes at both ends of the range, including what looks like Engine.IO framing.
BYTES = bytes(range(256)) + b"\x1e4b"


class FixtureTests:
    """Against sio-testserver; mixed into one TestCase per transport below."""

    def server_argv(self):
        return [os.environ["SIO_TESTSERVER"], "--port", "0"]

    def test_auth_payload_is_delivered(self):
        c = self.client()
        auth = Recorder(c, "auth")
        self.connect(c, auth={"token": "py"})
        self.assertTrue(c.connected)
        self.assertEqual(c.transport(), self.transports[0])
        self.assertEqual(auth.wait(), ({"token": "py"},))

    def test_call_returns_the_exact_args(self):
        c = self.client()
        self.connect(c)
        self.assertEqual(c.call("message-with-ack", JSON_ARGS, timeout=TIMEOUT), JSON_ARGS)
        # One argument comes back as the value itself; an empty list stays a list.
        self.assertEqual(c.call("message-with-ack", "only", timeout=TIMEOUT), "only")
        self.assertEqual(c.call("message-with-ack", [], timeout=TIMEOUT), [])
        # No arguments: the ack carries none, which call() returns as None.
        self.assertIsNone(c.call("message-with-ack", timeout=TIMEOUT))

    def test_message_comes_back(self):
        c = self.client()
        back = Recorder(c, "message-back")
        self.connect(c)
        c.emit("message", JSON_ARGS)
        self.assertEqual(back.wait(), JSON_ARGS)

    def test_binary_round_trip(self):
        c = self.client()
        back = Recorder(c, "message-back")
        self.connect(c)
        self.assertEqual(c.call("message-with-ack", BYTES, timeout=TIMEOUT), BYTES)
        self.assertEqual(c.call("message-with-ack", b"", timeout=TIMEOUT), b"")
        nested = {"name": "blob", "data": BYTES, "parts": [b"\x00", {"deep": b"\xff\xfe"}]}
        self.assertEqual(c.call("message-with-ack", ("x", nested, b"\x01\x02"), timeout=TIMEOUT),
                         ("x", nested, b"\x01\x02"))
        c.emit("message", (b"\x01\x02\x03\x04", nested))
        self.assertEqual(back.wait(), (b"\x01\x02\x03\x04", nested))

    def test_stays_connected_across_heartbeats(self):
        # The fixture pings every 300 ms with a 200 ms timeout: answering pongs matters.
        c = self.client()
        self.connect(c)
        time.sleep(1.5)
        self.assertTrue(c.connected)
        self.assertEqual(c.call("message-with-ack", "still here", timeout=TIMEOUT), "still here")

    def test_disconnect_removes_the_socket(self):
        a = self.client()
        b = self.client()
        sender = self.client()  # outside the room, so the count does not depend on it
        for c in (a, b, sender):
            self.connect(c)
        a_pings = Recorder(a, "ping-room")
        b_pings = Recorder(b, "ping-room")
        # join acks with the fixture's room count, which is not what this test is about.
        a.call("join", "room", timeout=TIMEOUT)
        b.call("join", "room", timeout=TIMEOUT)
        self.assertEqual(sender.call("broadcast", ("room", "ping-room", "hi"), timeout=TIMEOUT), 2)
        self.assertEqual(a_pings.wait(), ("hi",))
        self.assertEqual(b_pings.wait(), ("hi",))

        a.disconnect()
        self.assertFalse(a.connected)
        # The server must drop a's socket from its room: a broadcast reaches b alone.
        deadline = time.monotonic() + TIMEOUT
        reached = None
        while time.monotonic() < deadline:
            reached = sender.call("broadcast", ("room", "ping-room", "again"), timeout=TIMEOUT)
            if reached == 1:
                break
            time.sleep(0.05)
        self.assertEqual(reached, 1, "a's socket is still in the room after it disconnected")
        self.assertEqual(b_pings.wait(2), ("again",))

        # A new client still connects and works.
        c = self.client()
        self.connect(c)
        self.assertEqual(c.call("message-with-ack", "new", timeout=TIMEOUT), "new")


class FixtureWebSocketTest(FixtureTests, ServerTestCase):
    transports = ["websocket"]


class FixturePollingTest(FixtureTests, ServerTestCase):
    transports = ["polling"]


class HubTests:
    """Against gleitzeitd with one configured token."""

    def server_argv(self):
        self.config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        self.config.write('[log]\nlevel = "warn"\n\n[[auth.tokens]]\ntoken = "secret"\nroles = ["submit"]\n')
        self.config.close()
        self.addCleanup(os.unlink, self.config.name)
        return [os.environ["GLEITZEITD"], "--config", self.config.name, "--port", "0"]

    def test_right_token_echoes(self):
        c = self.client()
        self.connect(c, auth={"token": "secret"})
        self.assertTrue(c.connected)
        args = JSON_ARGS + (BYTES, {"nested": [b"\x00\x01"]})
        self.assertEqual(c.call("echo", args, timeout=TIMEOUT), args)

    def assert_refused(self, auth, reason):
        c = self.client()
        errors = Recorder(c, "connect_error")
        with self.assertRaises(socketio.exceptions.ConnectionError):
            self.connect(c, auth=auth)
        self.assertFalse(c.connected)
        # CONNECT_ERROR {"message":"unauthorized","data":{...}} reaches connect_error.
        self.assertEqual(errors.wait(),
                         ({"message": "unauthorized", "data": {"code": "unauthorized", "reason": reason}},))

    def test_wrong_token_is_refused(self):
        self.assert_refused({"token": "wrong"}, "unknown token")

    def test_missing_token_is_refused(self):
        self.assert_refused(None, "no token in the auth payload")

    def test_refusal_leaves_the_server_usable(self):
        self.assert_refused({"token": "wrong"}, "unknown token")
        c = self.client()
        self.connect(c, auth={"token": "secret"})
        self.assertEqual(c.call("echo", "after", timeout=TIMEOUT), "after")


class HubWebSocketTest(HubTests, ServerTestCase):
    transports = ["websocket"]


class HubPollingTest(HubTests, ServerTestCase):
    transports = ["polling"]


if __name__ == "__main__":
    for var in ("SIO_TESTSERVER", "GLEITZEITD"):
        if not os.environ.get(var):
            sys.exit("%s is not set; run this through ctest" % var)
    unittest.main(verbosity=2)
