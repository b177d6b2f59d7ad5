#!/usr/bin/env bash
# Writes the seed corpus of the fuzz targets, tests/fuzz/corpus/<target>/, from the inputs the
# unit, interop and compat tests use, the shipped config and the examples. Each seed is small:
# libFuzzer mutates them, so what counts is that each reaches a different part of its parser.
#
# Rerun after changing it; it overwrites its own files and leaves any other (an input merged
# with FUZZ_MERGE=1, tests/fuzz/run.sh) alone. The files are committed.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)

python3 - "$root" <<'PY'
import json, os, shutil, struct, sys

root = sys.argv[1]
corpus = os.path.join(root, "tests", "fuzz", "corpus")

def put(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)

def copy(target, name, path):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    shutil.copyfile(os.path.join(root, path), os.path.join(corpus, target, name))

RS = "\x1e"

# ---- engine_packet: long-polling payloads and WebSocket text frames ----------------------
for name, data in {
    "message": "4hello",
    "probe": "2probe",
    "pong": "3",
    "upgrade": "5",
    "noop": "6",
    "close": "1",
    "open": '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,'
            '"pingTimeout":20000,"maxPayload":1000000}',
    "binary": "bAQIDBA==",
    "binary_padded": "bAQ==",
    "payload": "4hello" + RS + "2" + RS + "bAQIDBA==" + RS + '42["chat","hi"]',
    "payload_empty_part": "4a" + RS + RS + "4b",
    "bad_base64": "bAQI*BA==",
    "socketio_event": '42/admin,7["project:delete",123]',
}.items():
    put("engine_packet", name, data)

# ---- sio_packet: Socket.IO packets, then messages split at 0x1e ('b': binary) ------------
placeholder = '{"_placeholder":true,"num":%d}'
for name, data in {
    "connect": "0",
    "connect_nsp_auth": '0/admin,{"token":"123"}',
    "disconnect": "1/admin,",
    "event": '2["foo"]',
    "event_nsp_id": '2/admin,456["project:delete",123]',
    "ack": '3456[1,"2"]',
    "ack_nsp": '3/admin,13["bar"]',
    "connect_error": '4{"message":"Not authorized"}',
    "binary_event": '51-["hello",%s]' % (placeholder % 0) + RS + "b\x01\x02\x03",
    "binary_ack": '62-/admin,456[%s,%s]' % (placeholder % 0, placeholder % 1)
                  + RS + "bA" + RS + "b\xff\x00",
    "binary_missing": '52-["x",%s]' % (placeholder % 1) + RS + "bA" + RS + '2["early"]',
    "unicode": '2["\\ud83d\\ude00"]',
    "huge_id": '218446744073709551615["e"]',
    "huge_number": '2["n",1e400,-1E999]',
    "nested": '2["deep",' + "[" * 30 + "]" * 30 + "]",
}.items():
    put("sio_packet", name, data)

# ---- ws_frame: byte 0 = mode (bit 0 masked, bits 1-3 limit, bits 4-7 piece size) --------
def frame(op, payload, fin=True, mask=b"\x37\xfa\x21\x3d"):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n < 126:
        head = bytes([b0, n | (0x80 if mask else 0)])
    elif n < 65536:
        head = bytes([b0, 126 | (0x80 if mask else 0)]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 127 | (0x80 if mask else 0)]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))

server = lambda mode: bytes([mode | 1])  # a server reading masked client frames
client = lambda mode: bytes([mode & ~1])
limit_1000 = 5 << 1
limit_65536 = 7 << 1
for name, data in {
    "text": server(limit_65536) + frame(1, b"4hello"),
    "binary_in_pieces": server(limit_65536 | 3 << 4) + frame(2, bytes(range(40))),
    "fragmented_with_ping": server(limit_1000 | 1 << 4) + frame(1, b"ab", False)
        + frame(9, b"") + frame(0, b"cd", False) + frame(0, b"e"),
    "close": server(limit_1000) + frame(8, struct.pack(">H", 1000) + b"bye"),
    "length_126": server(limit_1000 | 7 << 4) + frame(2, b"x" * 200),
    "too_big": server(2 << 1) + frame(1, b"x" * 200),
    "unmasked_from_server": client(limit_1000) + frame(1, b"40", mask=None)
        + frame(10, b"pong", mask=None),
    "rsv_bit": server(limit_1000) + bytes([0xC1, 0x80]) + b"\0\0\0\0",
    "bad_length_encoding": server(limit_65536) + bytes([0x82, 0xFE, 0x00, 0x05]) + b"\0" * 9,
}.items():
    put("ws_frame", name, data)

# ---- http_request: target, Host, Origin, allowed hosts, allowed origins -----------------
loopback = "localhost,127.0.0.1,::1"
for name, lines in {
    "polling": ["/socket.io/?EIO=4&transport=polling&t=N8hyd6w", "127.0.0.1:6680", "",
                loopback, ""],
    "websocket_sid": ["/socket.io/?EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC",
                      "localhost:6680", "http://localhost:6680", loopback, ""],
    "old_protocol": ["/socket.io/?EIO=3&transport=polling", "[::1]:6680", "", loopback, ""],
    "percent": ["/socket.io/?EIO=%34&transport=poll%69ng&sid=a%2Bb+c%2", "LocalHost.:80", "",
                loopback, ""],
    "foreign_origin": ["/socket.io/?EIO=4&transport=polling", "127.0.0.1:6680",
                       'http://e"vil\\.example', loopback, "https://app.example"],
    "listed_origin": ["/", "127.0.0.1:6680", "HTTP://Other.example:8080/", "127.0.0.1",
                      "https://app.example,HTTP://Other.example:8080"],
    "rebound": ["/status", "evil.example:6680", "null", loopback, "*"],
    "any_host": ["/metrics?x=1&&EIO", "anything.example", "", "*", ""],
}.items():
    put("http_request", name, "\n".join(lines))

# ---- workflow_json: submit_workflow's workflow, and what remote peers send ---------------
workflows = {
    "minimal": {"tasks": [{"id": "a", "protocol": "echo/v1", "method": "echo"}]},
    "full": {
        "id": "wf-1", "name": "full", "on_failure": "continue", "description": "d",
        "version": "1.0", "metadata": {"owner": "ops"}, "timeout": 90.5,
        "tasks": [
            {"id": "a", "name": "first", "protocol": "echo/v1", "method": "echo",
             "params": {"text": "hi"}, "priority": "urgent", "timeout_ms": 500,
             "retry": {"max_attempts": 3, "backoff": "linear", "base_delay": 0.25,
                       "max_delay_ms": 4000, "jitter": 0.5}},
            {"id": "b", "protocol": "llm/v1", "method": "chat", "dependencies": ["a"],
             "parameters": {"prompt": "${a.result.text}"}, "state": "retry_pending",
             "attempt": 2, "due_ms": 1700000000000, "metadata": {"k": [1, 2.5, None]}},
        ],
    },
    "wrong_type": {"tasks": [{"id": "a", "retry": {"jitter": "lots"}}]},
    "conflict": {"timeout": 1, "timeout_ms": 1000, "tasks": []},
    "task_result_ok": {"task_id": "t1", "result": {"n": 1}, "provider": "echo",
                       "duration_ms": 1.5},
    "task_result_error": {"task_id": "t1", "result": None,
                          "error": {"code": "timeout", "message": "late", "retryable": False}},
    "protocol_spec": {"id": "echo/v1", "description": "echo",
                      "methods": [{"name": "echo", "params": {"text": {"type": "string"}}}]},
    "method_call": {"task_id": "t1", "protocol": "echo/v1", "method": "echo",
                    "params": {"text": "x"}, "timeout_ms": 30000},
}
for name, value in workflows.items():
    put("workflow_json", name + ".json", json.dumps(value))

# ---- result_reference: {"params": ..., "results": ...}, or raw text -----------------------
results = {"a": {"n": 5, "list": [1, {"x": "y"}], "obj": {"k": True}, "s": "txt"},
           "step.1": {"name": "n"}}
for name, params in {
    "whole": {"whole": "${a.result}", "num": "${a.result.n}"},
    "paths": {"deep": "${a.result.list[1].x}", "missing": "${a.result.nope}",
              "out_of_range": "${a.result.list[7]}", "dotted_id": "x${step.1.result.name}"},
    "mixed_text": {"numbers": "${a.result.n}|${a.result.obj}", "shell": "${HOME} and ${a.result.s}",
                   "nested": [{"inner": ["${a.result.list}"]}]},
    "malformed_index": {"q": "${a.result[x]}"},
    "malformed_empty_field": {"q": "${a.result..v}"},
    "no_task": {"q": "${.result}"},
}.items():
    put("result_reference", name + ".json", json.dumps({"params": params, "results": results}))
put("result_reference", "unclosed.txt", "${a.result")
put("result_reference", "empty.txt", "costs $5 ${} {not}")
put("result_reference", "inner.txt", "${x${a.result.n}}")

# ---- config: gleitzeit.toml ---------------------------------------------------------------
copy("config", "shipped.toml", "config/gleitzeit.toml")
put("config", "full.toml", """[server]
bind = "0.0.0.0"
port = 7001
path = "/rt"
allowed_origins = ["https://a.example", "*"]
allowed_hosts = ["hub.example", "10.0.0.5"]
ping_interval = 1000
max_payload = 4096
threads = 3

[log]
level = "debug"

[[auth.tokens]]
token = "t1"
roles = ["submit", "admin"]

[auth]
revoke_grace = 5000

[[auth.tokens]]
token_sha256 = "C44474038D459E40E4714AFEFA7BF8DAE9F9834B22F5E8EC1DD434ECB62B512E"
""")
put("config", "plugins.toml", """[state]
directory = "state"
keep_finished = 10

[plugins]
directory = "../lib/plugins"
dropin = "/etc/gleitzeit/plugins.d"
watch = false
drain_timeout = 100

[slots.queue]
plugin = "queue-memory"
config = { max_size = 100 }

[slots.registry]
remote = true

[[providers]]
plugin = "provider-llm"
name = "llm-a"
config = { endpoint = "http://127.0.0.1:11434", models = ["a", "b"], at = 1979-05-27T07:32:00Z }

[[providers]]
plugin = "provider-echo"
file = "echo.so"
""")
put("config", "misspelt.toml", "[server]\nprot = 1\n[logging]\nlevel = \"info\"\n")
put("config", "bad_role.toml", "[[auth.tokens]]\ntoken = \"x\"\nroles = [\"sumbit\"]\n")

# ---- workflow_file: TOML and JSON workflow files -----------------------------------------
for example in ["hello", "http", "llm", "mcp", "python", "summarise"]:
    copy("workflow_file", example + ".toml", "examples/%s.toml" % example)
put("workflow_file", "full.json", json.dumps(workflows["full"]))
put("workflow_file", "misspelt.json", '{"tasks": [{"id": "a", "dependecies": []}]}')
put("workflow_file", "misspelt.toml", '[[tasks]]\nid = "a"\ndependecies = []\n')
put("workflow_file", "retry.toml", '[[tasks]]\nid = "a"\nmethod = "echo"\n'
    '[tasks.retry]\nmax_attempts = 3\nbase_delay = 0.5\njitter = 0.1\n'
    '[tasks.params]\nwhen = 1979-05-27\nat = 07:32:00\nratio = 0.1\n')

# ---- original_workflow: the original Gleitzeit's YAML files ------------------------------
compat = os.path.join(root, "tests", "compat")
for f in sorted(os.listdir(compat)):
    if f.endswith(".yaml"):
        copy("original_workflow", f, os.path.join("tests", "compat", f))
# The target's workspace has data/ with a.txt, b.png, c.md and .hidden.
put("original_workflow", "batch_in_workspace.yaml", """name: batch
type: batch
batch:
  directory: data
  pattern: "*.*"
template:
  method: llm/vision
  prompt: describe
final_task:
  method: llm/chat
  params:
    items: ${batch.results}
""")
put("original_workflow", "anchors.yaml", """base: &base
  method: echo/echo
  protocol: echo/v1
tasks:
  - <<: *base
    name: one
    params: {text: "hi", n: 0x1F, on: yes, v: 1_000}
  - <<: [*base]
    name: two
    dependencies: [one]
    params: {text: "${one.result.text} ${one}"}
""")
put("original_workflow", "alias_loop.yaml", "a: &a [*a]\n")

# ---- queue_state: queue-memory's state formats -------------------------------------------
good = '["g","w","n","echo/v1","m",{},[],2,1,[1,2,3,4,0.5],1,0,0]'
record_a = ('["a","wf-1","step a","echo/v1","echo",{"text":"hello a"},["z"],1,30000,'
            '[1,2,1000,60000,1E-1],1,0,0]')
record_b = ('["b","wf-1","step b","echo/v1","echo",{"text":"hello b"},[],3,30000,'
            '[1,2,1000,60000,1E-1],1,0,0]')
urgent = '["u","w","n","llm/v1","m",{"deep":[[{"x":null}]]},["g"],0,5,[3,0,0,0,0],5,2,17]'
for name, state in {
    "v1": {"format": "queue/1", "tasks": [record_a, record_b]},
    "v1_mixed_levels": {"format": "queue/1", "tasks": [record_b, good, urgent, record_a]},
    "v2": {"format": "queue/2",
           "levels": {"urgent": urgent + "\n", "high": record_a + "\n", "normal": good + "\n",
                      "low": record_b + "\n"},
           "stats": {"enqueued_total": 7, "dequeued_total": 3}},
    "v2_empty": {"format": "queue/2", "levels": {"urgent": "", "high": "", "normal": "",
                                                 "low": ""},
                 "stats": {"enqueued_total": 0, "dequeued_total": 0}},
    "v1_twice": {"format": "queue/1", "tasks": [good, good]},
    "v1_short_record": {"format": "queue/1",
                        "tasks": ['["x","w","n","p","m",{},[],2,1,[1,2,3,4,0.5],1,0]']},
    "unknown_format": {"format": "queue/3", "tasks": []},
    "v2_wrong_level": {"format": "queue/2",
                       "levels": {"urgent": good + "\n", "high": "", "normal": "", "low": ""},
                       "stats": {"enqueued_total": 1, "dequeued_total": 0}},
}.items():
    put("queue_state", name + ".json", json.dumps(state))
PY
du -sh corpus
