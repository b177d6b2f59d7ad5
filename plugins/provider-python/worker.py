# A warm worker of provider-python (protocol python/v1). The provider starts it as
#   python3 -I -u -c <this source> <config as JSON>
# and speaks JSON lines with it: one request per line on its stdin, one reply per line on its
# stdout. It sends {"ready": true, "pid": <pid>} first, then answers each request
#   {"id": n, "kind": "execute", "code": str | "file": str, "context": {...}}
#   {"id": n, "kind": "call", "module": str, "function": str, "args": [...], "kwargs": {...}}
# with {"id": n, "ok": true, "result": ..., "stdout": str, "stderr": str} or
# {"id": n, "ok": false, "error": str, "stdout": str, "stderr": str}.
#
# User code must not reach the protocol: before any of it runs, the protocol streams move to
# fds of their own (not inherited by exec), fd 0 becomes /dev/null and fds 1 and 2 become
# capture files, so print(), os.write(1, ...) and subprocesses all land in the capture.
# A process the code forks closes the protocol fds at once and leaves when the code returns.

import builtins
import importlib
import json
import linecache
import os
import resource
import sys
import tempfile
import traceback

CONFIG = json.loads(sys.argv[1])
MAX_OUTPUT = CONFIG["max_output"]
MAX_REPLY = CONFIG["max_reply"]
CPU_SECONDS = CONFIG.get("cpu_seconds")

WORKER_PID = os.getpid()
PROTO_IN = os.dup(0)    # os.dup makes fds that exec does not pass on
PROTO_OUT = os.dup(1)
OWN_ERR = os.dup(2)     # for the worker's own last words, never the code's


def detach_protocol():
    # In a forked child: it must never read a request or write a reply.
    for fd in (PROTO_IN, PROTO_OUT):
        try:
            os.close(fd)
        except OSError:
            pass


os.register_at_fork(after_in_child=detach_protocol)

null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.close(null)
captured_out = tempfile.TemporaryFile()
captured_err = tempfile.TemporaryFile()
os.dup2(captured_out.fileno(), 1)
os.dup2(captured_err.fileno(), 2)
STREAMS = (sys.stdin, sys.stdout, sys.stderr)
sys.path[:0] = CONFIG.get("module_dirs", [])


def encode(reply):
    # A lone surrogate in a str has no UTF-8 form: it goes out as U+FFFD.
    return (json.dumps(reply, ensure_ascii=False) + "\n").encode("utf-8", "replace")


def send(data):
    while data:
        data = data[os.write(PROTO_OUT, data):]


def arm_cpu_limit():
    # RLIMIT_CPU counts a process's whole life: a warm worker moves it on before each call so
    # that every call gets cpu_seconds of its own.
    if CPU_SECONDS is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + 1 + CPU_SECONDS
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def reset_capture():
    for f in (captured_out, captured_err):
        f.seek(0)
        f.truncate()


def read_capture(f):
    f.seek(0)
    data = f.read(MAX_OUTPUT + 1)
    text = data[:MAX_OUTPUT].decode("utf-8", "replace")
    if len(data) > MAX_OUTPUT:
        total = os.fstat(f.fileno()).st_size
        text += "\n[output truncated: %d bytes in all, max_output is %d]" % (total, MAX_OUTPUT)
    return text


def run_execute(request):
    if "file" in request:
        name = request["file"]
        with open(name, encoding="utf-8") as f:
            source = f.read()
    else:
        name = "<code>"
        source = request["code"]
        # So that a traceback shows the line of inline code, as it does for a file.
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    scope = {"__name__": "__main__", "__file__": name, "__builtins__": builtins,
             "context": request.get("context", {}), "result": None}
    exec(compile(source, name, "exec"), scope)
    return scope.get("result")


def run_call(request):
    target = importlib.import_module(request["module"])
    for part in request["function"].split("."):
        target = getattr(target, part)
    return target(*request.get("args", []), **request.get("kwargs", {}))


def describe_failure(error):
    # The last lines of the traceback, without the worker's own frames (file "<string>").
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
        tb = tb.tb_next
    lines = "".join(traceback.format_exception(type(error), error, tb)).rstrip().splitlines()
    if lines and lines[0].startswith("Traceback"):
        lines = lines[1:]
    return "\n".join(line for line in lines[-6:])


def leave_if_forked(code=0):
    if os.getpid() != WORKER_PID:
        os._exit(code)


def serve(request):
    reset_capture()
    arm_cpu_limit()
    reply = {"id": request["id"]}
    try:
        run = run_execute if request["kind"] == "execute" else run_call
        value = run(request)
        leave_if_forked()
        try:
            json.dumps(value, allow_nan=False)
            reply.update(ok=True, result=value)
        except (TypeError, ValueError, RecursionError) as e:
            reply.update(ok=False, error="the result is not JSON: %s" % e)
    except SystemExit as e:
        leave_if_forked(e.code if isinstance(e.code, int) else 1)
        reply.update(ok=False, error=describe_failure(e) or "SystemExit")
    except BaseException as e:
        leave_if_forked(1)
        reply.update(ok=False, error=describe_failure(e))
    sys.stdin, sys.stdout, sys.stderr = STREAMS
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    reply["stdout"] = read_capture(captured_out)
    reply["stderr"] = read_capture(captured_err)
    return reply


def send_reply(reply):
    data = encode(reply)
    if len(data) > MAX_REPLY:
        data = encode({"id": reply["id"], "ok": False,
                       "error": "the reply is %d bytes, over the limit of %d" % (len(data), MAX_REPLY),
                       "stdout": "", "stderr": ""})
    send(data)


def main():
    send(encode({"ready": True, "pid": WORKER_PID}))
    requests = os.fdopen(PROTO_IN, "rb")
    for line in requests:
        send_reply(serve(json.loads(line)))


try:
    main()
except BaseException:
    os.write(OWN_ERR, traceback.format_exc().encode("utf-8", "replace"))
    os._exit(70)
os._exit(0)
