#!/usr/bin/python3
"""Interop: a workflow submitted from Debian's python3-socketio runs on the Python example
provider (examples/providers/echo_provider.py), a remote provider of gleitzeitd.

Run with /usr/bin/python3 through ctest, which names the binaries: GLEITZEITD and the plugin
files QUEUE_MEMORY_V1, RESOLVER_DAG and REGISTRY_DEFAULT. The hub has no in-process
provider, so every call goes over execute_method to the example. Each test stops what it
started, also when it fails.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

import socketio

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROVIDER = os.path.join(ROOT, "examples", "providers", "echo_provider.py")
TIMEOUT = 10  # seconds; generous for a loaded 2-core machine


class Process:
    """A child whose stdout and stderr are read as they come; waits for a line on stdout."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out, self.err = [], []
        self.cond = threading.Condition()
        self.readers = [threading.Thread(target=self.read, args=(f, lines), daemon=True)
                        for f, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self.readers:
            r.start()

    def read(self, f, lines):
        for line in f:
            with self.cond:
                lines.append(line)
                self.cond.notify_all()

    def wait_for(self, pattern):
        """The first match of `pattern` in a stdout line, within TIMEOUT."""
        def found():
            for line in self.out:
                m = re.search(pattern, line)
                if m:
                    return m
            return None if self.proc.poll() is None else False
        with self.cond:
            m = self.cond.wait_for(found, TIMEOUT)
        if not m:
            self.stop(signal.SIGKILL)
            raise AssertionError("%s: no '%s' on stdout (stderr: %s)"
                                 % (os.path.basename(self.proc.args[1]), pattern, "".join(self.err)))
        return m

    def stop(self, sig=signal.SIGTERM):
        """Stops the process and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for r in self.readers:
            r.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def start_hub(directory):
    """gleitzeitd on 127.0.0.1, port 0, with private copies of the three stateful slots."""
    toml = "[plugins]\nwatch = false\n"
    for slot, plugin, var in (("queue", "queue-memory", "QUEUE_MEMORY_V1"),
                              ("resolver", "resolver-dag", "RESOLVER_DAG"),
                              ("registry", "registry-default", "REGISTRY_DEFAULT")):
        # gleitzeitd refuses plugin files that others may write: copies with known modes.
        path = os.path.join(directory, os.path.basename(os.environ[var]))
        shutil.copyfile(os.environ[var], path)
        os.chmod(path, 0o755)
        toml += '[slots.%s]\nplugin = "%s"\nfile = "%s"\n' % (slot, plugin, path)
    config = os.path.join(directory, "gleitzeit.toml")
    with open(config, "w") as f:
        f.write(toml)
    hub = Process([os.environ["GLEITZEITD"], "--config", config, "--port", "0"])
    hub.url = "http://127.0.0.1:%s" % hub.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1)
    return hub


class RemoteProviderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gleitzeit-pyremote-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.hub = start_hub(self.dir)
        self.addCleanup(self.stop_hub)
        self.provider = Process([sys.executable, PROVIDER, "--url", self.hub.url,
                                 "--component-id", "py-remote", "--max-concurrency", "2"])
        self.addCleanup(self.provider.stop, signal.SIGKILL)  # a no-op once the test stopped it
        self.provider.wait_for(r"^registered as py-remote$")

    def stop_hub(self):
        self.assertEqual(self.hub.stop(), 0, "gleitzeitd's exit code after SIGTERM")

    def test_a_workflow_from_python_runs_on_the_python_provider(self):
        client = socketio.Client(reconnection=False)
        self.addCleanup(client.disconnect)
        events = []
        ended = threading.Event()

        @client.on("*")
        def any_event(event, payload):
            if payload.get("workflow_id") == "py-wf":
                events.append((event, payload))
                if event in ("workflow_completed", "workflow_failed", "workflow_cancelled"):
                    ended.set()

        client.connect(self.hub.url, transports=["websocket"], wait_timeout=TIMEOUT)
        workflow = {"id": "py-wf", "tasks": [
            {"id": "a", "protocol": "echo/v1", "method": "echo", "params": {"word": "grüß", "n": 7}},
            {"id": "b", "protocol": "echo/v1", "method": "delay", "params": {"ms": "${a.result.n}"},
             "dependencies": ["a"]},
            {"id": "c", "protocol": "echo/v1", "method": "echo",
             "params": {"said": "${a.result.word} after ${b.result.slept_ms} ms"}, "dependencies": ["b"]},
        ]}
        reply = client.call("submit_workflow", {"workflow": workflow, "_correlation_id": "py-corr"},
                            timeout=TIMEOUT)
        self.assertEqual(reply, {"ok": True, "workflow_id": "py-wf", "_correlation_id": "py-corr"})
        self.assertTrue(ended.wait(TIMEOUT), "the workflow did not end: %s" % events)

        end = events[-1][1]
        self.assertEqual(events[-1][0], "workflow_completed")
        self.assertEqual(end["results"], {"a": {"word": "grüß", "n": 7}, "b": {"slept_ms": 7},
                                          "c": {"said": "grüß after 7 ms"}})
        started = sorted((p["task_id"], p["provider"], p["attempt"]) for e, p in events if e == "task_started")
        self.assertEqual(started, [("a", "py-remote", 1), ("b", "py-remote", 1), ("c", "py-remote", 1)])
        completed = [p for e, p in events if e == "task_completed"]
        self.assertEqual([p["task_id"] for p in completed], ["a", "b", "c"])
        for p in completed:
            self.assertEqual(p["_source_component"], "py-remote")
            self.assertEqual(p["_correlation_id"], "py-corr")

        self.assertEqual(self.provider.stop(), 0, "the provider's exit code after SIGTERM")


class UnreachableHubTest(unittest.TestCase):
    def test_the_provider_exits_non_zero_when_no_hub_listens(self):
        with socket.socket() as s:  # a port that was free a moment ago
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        provider = Process([sys.executable, PROVIDER, "--url", "http://127.0.0.1:%d" % port])
        try:
            code = provider.proc.wait(TIMEOUT)
        finally:
            provider.stop(signal.SIGKILL)
        self.assertEqual(code, 1)
        self.assertEqual(provider.out, [])
        self.assertEqual("".join(provider.err),
                         "echo_provider: cannot connect to http://127.0.0.1:%d: Connection error\n" % port)


if __name__ == "__main__":
    for var in ("GLEITZEITD", "QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT"):
        if not os.environ.get(var):
            sys.exit("%s is not set; run this through ctest" % var)
    unittest.main(verbosity=2)
