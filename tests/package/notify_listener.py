#!/usr/bin/env python3
"""Plays systemd's side of Type=notify for the package test: binds the NOTIFY_SOCKET a
service writes to, and logs each state it sends, one line per datagram with newlines shown
as '|'. On READY=1 after "STATUS=listening on HOST:PORT" it at once asks GET /health, and
logs "health-at-ready 200" or the failure: a READY sent before the port accepts shows there.

usage: notify_listener.py SOCKET_PATH LOG_PATH
"""
import os
import socket
import sys
import urllib.request


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            return str(r.status)
    except Exception as e:  # the log line is the test's evidence
        return f"failed: {e}"


def main():
    path, log_path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)  # the service runs as its own user
    with open(log_path, "a", buffering=1) as log:
        while True:
            data = s.recv(4096).decode()
            log.write(data.replace("\n", "|") + "\n")
            fields = data.split("\n")
            if "READY=1" in fields:
                for f in fields:
                    if f.startswith("STATUS=listening on "):
                        log.write("health-at-ready " + health(f.rsplit(":", 1)[1]) + "\n")


if __name__ == "__main__":
    main()
