#!/usr/bin/python3
"""A remote provider of soak/v1 for the chaos soak, in Python with Debian's python3-socketio.

The twin of provider.mjs: the same method, the same log lines (see there), the same stall on
SIGUSR1 until SIGUSR2. Runs with /usr/bin/python3, which has python3-socketio.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

import socketio


def now_ms():
    return int(time.time() * 1000)


def iso_ms(text):
    """The ms since the epoch of the hub's _timestamp (ISO 8601, UTC, ms), or None."""
    try:
        from datetime import datetime
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except (AttributeError, TypeError, ValueError):
        return None


class Log:
    """JSON lines, one write(2) each; durable lines are fdatasync'd before the caller goes on."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.lock = threading.Lock()

    def write(self, record, durable=False):
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        with self.lock:
            os.write(self.fd, line)
            if durable:
                os.fdatasync(self.fd)


class Provider:
    def __init__(self, args):
        self.args = args
        self.log = Log(args.log)
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.seq = 0
        self.running = {}  # task_id -> Event set by cancel_task
        self.unstalled = threading.Event()  # cleared while stalled
        self.unstalled.set()
        self.stop = threading.Event()
        # python-socketio 5.7 does not reconnect after the server closes the session (as a
        # hub that stops does), so run() reconnects itself, in every case.
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("connect", self.register)
        self.sio.on("execute_method", self.on_execute)
        self.sio.on("cancel_task", self.on_cancel)
        self.sio.on("heartbeat", self.on_heartbeat)

    def run(self):
        parent = os.getppid()
        while not self.stop.is_set():
            if os.getppid() != parent:
                break  # orphaned (the soak was killed outright): nobody reads this log
            if not self.sio.connected:
                try:
                    self.sio.connect(self.args.url, transports=["websocket"], wait_timeout=5)
                except (socketio.exceptions.ConnectionError, ValueError):
                    pass  # the hub is down (a fault of the soak): try again shortly
            self.stop.wait(0.1)
        if self.sio.connected:
            self.sio.disconnect()

    def register(self):
        self.sio.emit("register_component", {
            "component_type": "provider",
            "component_id": self.args.name,
            "version": "1.0.0",
            "capabilities": ["cancel"],
            "protocols": [{"id": "soak/v1", "methods": [{"name": "work", "params": {}}]}],
            "max_concurrency": self.args.max_concurrency,
        }, callback=self.on_registered)

    def on_registered(self, reply=None):
        if isinstance(reply, dict) and reply.get("ok"):
            print("registered as %s" % reply["component_id"], flush=True)
            return
        # The hub may still hold this id for the connection that a kill or a drop ended.
        retry = threading.Timer(0.3, lambda: self.sio.connected and self.register())
        retry.daemon = True
        retry.start()

    def on_execute(self, call):
        # python-socketio runs each event on a thread of its own; the return value is the ack.
        with self.lock:
            self.seq += 1
            exec_id = "%s.%d.%d" % (self.args.name, self.pid, self.seq)
            cancelled = threading.Event()
            self.running[call.get("task_id")] = cancelled
        task_id = call.get("task_id")
        self.log.write({"kind": "call", "t": now_ms(), "hub_ts": iso_ms(call.get("_timestamp")),
                        "task_id": task_id, "workflow_id": call.get("workflow_id"),
                        "attempt": call.get("attempt"), "params": call.get("params"),
                        "exec": exec_id, "pid": self.pid}, True)
        reply = self.work(call, exec_id, cancelled)
        with self.lock:
            if self.running.get(task_id) is cancelled:
                del self.running[task_id]
        while not self.unstalled.wait(0.1):
            pass
        self.log.write({"kind": "reply", "t": now_ms(), "task_id": task_id, "exec": exec_id,
                        "ok": reply["ok"], "result": reply.get("result"),
                        "error": reply.get("error"), "pid": self.pid}, True)
        return reply

    @staticmethod
    def work(call, exec_id, cancelled):
        params = call.get("params") or {}
        ms = params.get("ms") if isinstance(params.get("ms"), int) else 0
        if cancelled.wait(ms / 1000.0):
            return failure("cancelled", "cancelled", False)
        if params.get("fatal"):
            return failure("provider_error", "fatal by design", False)
        fail = params.get("fail")
        if isinstance(fail, int) and call.get("attempt", 1) <= fail:
            return failure("provider_error", "fails while attempt <= %d" % fail, True)
        deps = {k[4:]: v for k, v in params.items() if k.startswith("dep_")}
        return {"ok": True, "result": {"exec": exec_id, "deps": deps}}

    def on_cancel(self, payload=None):
        task_id = (payload or {}).get("task_id")
        self.log.write({"kind": "cancel_task", "t": now_ms(), "task_id": task_id,
                        "reason": (payload or {}).get("reason"), "pid": self.pid})
        with self.lock:
            cancelled = self.running.get(task_id)
        if cancelled:
            cancelled.set()

    def on_heartbeat(self, payload=None):
        if self.unstalled.is_set():
            self.sio.emit("heartbeat_response", {"metrics": {"in_flight": len(self.running)}})

    def stall(self, *_):
        if self.unstalled.is_set():
            self.unstalled.clear()
            self.log.write({"kind": "stall", "t": now_ms(), "pid": self.pid}, True)

    def unstall(self, *_):
        if not self.unstalled.is_set():
            self.log.write({"kind": "unstall", "t": now_ms(), "pid": self.pid}, True)
            self.unstalled.set()


def failure(code, message, retryable):
    return {"ok": False, "error": {"code": code, "message": message, "retryable": retryable}}


def main():
    p = argparse.ArgumentParser(description="soak/v1 remote provider for the chaos soak")
    p.add_argument("--url", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--max-concurrency", type=int, default=4)
    provider = Provider(p.parse_args())
    # Python runs signal handlers on the main thread, which only waits in run()'s loop.
    signal.signal(signal.SIGUSR1, provider.stall)
    signal.signal(signal.SIGUSR2, provider.unstall)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: provider.stop.set())
    provider.run()
    sys.exit(0)


if __name__ == "__main__":
    main()
