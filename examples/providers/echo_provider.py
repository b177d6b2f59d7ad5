#!/usr/bin/python3
"""A remote provider of echo/v1 for gleitzeitd, in Python with python-socketio 5.

It connects to the hub, registers as a provider (register_component), answers
execute_method calls through their acks, stops a call on cancel_task and answers each
heartbeat with heartbeat_response. docs/events.md ("Components") is the contract; copy
this file to write a provider of your own protocol.

Methods of echo/v1:
  echo  {any object}                     -> the params, unchanged
  delay {ms: integer >= 0}               -> {"slept_ms": ms}, after sleeping ms
  fail  {message: string, retryable?: bool} -> fails with that message (retryable unless retryable: false, as provider-echo)

Runs with Debian's python3-socketio (5.7), hence /usr/bin/python3 above.
"""

import argparse
import os
import signal
import sys
import threading
import time

import socketio

PROTOCOL = "echo/v1"

# The registration tells the hub what this provider serves. The params schemas are those of
# docs/events.md (type, required, minimum, ...): the hub refuses a workflow whose task does
# not fit them before anything runs, so a caller's typo never reaches this process.
SPEC = {
    "id": PROTOCOL,
    "description": "Answers calls without doing work: an example of a remote provider.",
    "methods": [
        {"name": "echo", "description": "Returns its params object unchanged.", "params": {}},
        {
            "name": "delay",
            "description": "Sleeps ms milliseconds, then returns {slept_ms: ms}.",
            "params": {"ms": {"type": "integer", "required": True, "minimum": 0}},
        },
        {
            "name": "fail",
            "description": "Fails with the given message; retryable unless retryable is false (as provider-echo).",
            "params": {
                "message": {"type": "string", "required": True},
                "retryable": {"type": "boolean", "required": False},
            },
        },
    ],
}


def parse_args():
    p = argparse.ArgumentParser(
        description="Serve echo/v1 (echo, delay, fail) to a gleitzeitd hub as a remote provider.")
    p.add_argument("--url", default="http://127.0.0.1:6680",
                   help="the hub's address (default: %(default)s)")
    p.add_argument("--token", default=os.environ.get("GLEITZEIT_TOKEN"),
                   help="a token with the provider role (default: $GLEITZEIT_TOKEN; "
                        "none is needed when the hub has no [[auth.tokens]])")
    p.add_argument("--component-id", default="echo-provider-py-%d" % os.getpid(),
                   help="the name the hub knows this provider by, unique among connected "
                        "components (default: echo-provider-py-<pid>)")
    p.add_argument("--max-concurrency", type=int, default=8,
                   help="calls the hub may send at once (default: %(default)s)")
    args = p.parse_args()
    if args.max_concurrency < 1:
        p.error("--max-concurrency must be at least 1")
    return args


def failure(message, code="provider_error", retryable=False):
    return {"ok": False, "error": {"code": code, "message": message, "retryable": retryable}}


class EchoProvider:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()  # SIGTERM, SIGINT or a refused registration
        self.wake = threading.Event()  # stop, or the connection dropped
        self.online = False
        self.exit_code = 0
        self.registered_once = False
        self.answered = threading.Event()  # the hub accepted or refused the CONNECT
        self.refusal = None
        self.lock = threading.Lock()
        # task_id -> Event set by cancel_task. task_id is the hub's idempotency key.
        self.running = {}
        self.handled_total = 0
        # python-socketio 5.7 reconnects after a transport error but not after the server
        # closes the session (as gleitzeitd does when it stops), so run() reconnects itself,
        # in both cases.
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("connect", self.on_connect)
        self.sio.on("connect_error", self.on_connect_error)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("execute_method", self.on_execute)
        self.sio.on("cancel_task", self.on_cancel)
        self.sio.on("heartbeat", self.on_heartbeat)

    # --- the connection and the registration ---

    def run(self):
        delay = 0.5
        while True:
            why = self.connect()
            if why is None:
                delay = 0.5
                while self.online and not self.stop.is_set():
                    self.wait(self.wake)
                    self.wake.clear()
                if self.stop.is_set():
                    break
                why = "the connection to %s dropped" % self.args.url
            elif self.refusal or not self.registered_once:
                # A wrong --url or --token shows at once; a hub that went away is waited for.
                print("echo_provider: " + why, file=sys.stderr)
                return 1
            print("echo_provider: %s; connecting again in %.1f s" % (why, delay),
                  file=sys.stderr, flush=True)
            if self.wait(self.stop, delay):
                break
            delay = min(delay * 2, 5.0)
        if self.online:
            self.sio.disconnect()
        return self.exit_code

    @staticmethod
    def wait(event, seconds=None):
        """event.wait(seconds) in short steps: the kernel may hand SIGTERM to any of the
        client's threads, and Python runs the handler only once the main thread wakes up."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not event.wait(0.1):
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def connect(self):
        """Connects once; None when connected, otherwise why not."""
        self.answered.clear()
        self.refusal = None
        try:
            # WebSocket only: when this process dies the hub sees its TCP connection close
            # at once and requeues its calls; over long-polling it would wait for a ping
            # timeout first.
            auth = {"token": self.args.token} if self.args.token else None
            self.sio.connect(self.args.url, auth=auth, transports=["websocket"], wait=False)
        except (socketio.exceptions.ConnectionError, ValueError) as e:
            # ValueError: the last connection is still being torn down.
            return "cannot connect to %s: %s" % (self.args.url, e)
        # connect(wait=True) would sit out its whole wait_timeout after a refused CONNECT;
        # on_connect and on_connect_error end this wait as soon as the hub answers.
        if self.wait(self.answered, 10) and not self.refusal:
            return None
        self.sio.disconnect()
        return "the hub at %s refused the connection: %s" % (
            self.args.url, self.refusal or "no answer within 10 s")

    def on_connect_error(self, data=None):
        # The hub refuses a CONNECT with {"message": "unauthorized", "data": {"reason": ...}};
        # a hub that cannot be reached comes here too, as a string, and connect() raises.
        if isinstance(data, dict):
            reason = (data.get("data") or {}).get("reason")
            self.refusal = str(data.get("message")) + (" (%s)" % reason if reason else "")
            self.answered.set()

    def on_connect(self):
        self.online = True
        self.answered.set()
        self.register()

    def on_disconnect(self):
        self.online = False
        self.wake.set()

    def register(self):
        # The callback runs on another thread; the reply decides whether this process stays.
        self.sio.emit("register_component", {
            "component_type": "provider",
            "component_id": self.args.component_id,
            "version": "1.0.0",
            "capabilities": ["cancel"],
            "protocols": [SPEC],
            "max_concurrency": self.args.max_concurrency,
        }, callback=self.on_registered)

    def on_registered(self, reply=None):
        if isinstance(reply, dict) and reply.get("ok"):
            self.registered_once = True
            print("registered as %s" % reply["component_id"], flush=True)
            return
        error = reply.get("error", {}) if isinstance(reply, dict) else {}
        message = "%s: %s" % (error.get("code", "?"), error.get("message", reply))
        if self.registered_once and "held by another connection" in message:
            # After a reconnect the hub may not have noticed yet that the old connection is
            # gone; it frees the id when it does.
            retry = threading.Timer(2.0, lambda: self.online and self.register())
            retry.daemon = True
            retry.start()
            return
        print("echo_provider: the hub refused the registration: %s" % message, file=sys.stderr)
        self.exit_code = 1
        self.shutdown()

    def shutdown(self):
        self.stop.set()
        self.wake.set()

    # --- the calls ---

    def on_execute(self, call):
        # python-socketio runs each event on a thread of its own, so a delay blocks only its
        # own call; what this returns is the ack the hub waits for.
        task_id = call.get("task_id")
        cancelled = threading.Event()
        with self.lock:
            self.running[task_id] = cancelled
        try:
            reply = self.execute(call.get("method"), call.get("params") or {}, cancelled)
        except Exception as e:  # a bug here must still answer the call, or it waits for its timeout
            reply = failure("%s: %s" % (type(e).__name__, e))
        finally:
            with self.lock:
                if self.running.get(task_id) is cancelled:
                    del self.running[task_id]
                self.handled_total += 1
        return reply

    def execute(self, method, params, cancelled):
        if method == "echo":
            return {"ok": True, "result": params}
        if method == "delay":
            ms = params.get("ms")
            # Checked here too: a ${...} reference is checked only once it is substituted.
            if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
                return failure("delay: params.ms must be an integer >= 0", "invalid_argument")
            if cancelled.wait(ms / 1000.0):
                return failure("cancelled", "cancelled")
            return {"ok": True, "result": {"slept_ms": ms}}
        if method == "fail":
            message = params.get("message")
            if not isinstance(message, str):
                return failure("fail: params.message must be a string", "invalid_argument")
            return failure(message, retryable=params.get("retryable") is not False)
        return failure("%s has no method '%s'" % (PROTOCOL, method), "invalid_argument")

    def on_cancel(self, payload):
        # The hub sends cancel_task at a task's timeout and when its workflow is cancelled;
        # whatever this call would still answer is ignored by then.
        task_id = (payload or {}).get("task_id")
        print("echo_provider: cancel_task %s (%s)" % (task_id, (payload or {}).get("reason")),
              file=sys.stderr, flush=True)
        with self.lock:
            cancelled = self.running.get(task_id)
        if cancelled:
            cancelled.set()

    def on_heartbeat(self, payload=None):
        with self.lock:
            metrics = {"in_flight": len(self.running), "handled_total": self.handled_total}
        self.sio.emit("heartbeat_response", {"metrics": metrics})


def main():
    provider = EchoProvider(parse_args())
    # Python runs signal handlers on the main thread, which only waits (EchoProvider.wait):
    # it leaves run()'s loop and disconnects cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: provider.shutdown())
    sys.exit(provider.run())


if __name__ == "__main__":
    main()
