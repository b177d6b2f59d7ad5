#!/usr/bin/env bash
# Runs every YAML workflow file of the original Python Gleitzeit (its examples/*.yaml,
# examples/**/*.yaml and tests/*.yaml) through `gleitzeit --json run FILE` against one
# gleitzeitd of BUILD_DIR, and prints one line per file: the file, the CLI's exit code, the
# workflow's state and, when it did not complete, the first error.
#
#   tests/compat/original/run.sh BUILD_DIR ORIGINAL_CHECKOUT
#
# ORIGINAL_CHECKOUT is a checkout (or `git archive` export) of github.com/leifmarkthaler/gleitzeit.
# This is not part of `make test`: it needs that copy, which the project does not ship.
# docs/workflows.md ("The original's own example files") records an outcome and says why each
# file that does not complete does not.
#
# The hub is set up as tests/compat/compat.test.mjs sets up its own: the slot plugins of
# BUILD_DIR (queue-memory, resolver-dag, registry-default, persistence-sqlite), provider-llm on
# the fake LLM server tests/fixtures/llm_server.mjs (answers "echo: <last user text>"; its
# file_root is ORIGINAL_CHECKOUT), provider-python (script_dirs ORIGINAL_CHECKOUT/examples/scripts
# and ORIGINAL_CHECKOUT; its workers run in ORIGINAL_CHECKOUT, the directory the original's
# scripts expect to start from), provider-mcp on @modelcontextprotocol/server-everything over
# stdio, and provider-echo. Each file runs with ORIGINAL_CHECKOUT as the current directory.
#
# Environment: TIMEOUT (seconds per file, default 60), VERBOSE=1 (also print each file's
# standard error), KEEP=1 (keep the temporary directory, with the hub's log, and say where).
#
# Exit status: 0 when every file ran to an answer of the CLI (completed or not); 1 when
# gleitzeitd or the CLI crashed (a signal) or a file ran out of time; 2 for bad usage or a hub
# that would not start.
set -euo pipefail

usage() {
    echo "usage: $0 BUILD_DIR ORIGINAL_CHECKOUT" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
build=$(cd "$1" && pwd) || usage
orig=$(cd "$2" && pwd) || usage
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
per_file=${TIMEOUT:-60}

die() {
    echo "run.sh: $*" >&2
    exit 2
}

# A file of the build tree may be missing for a moment while it is relinked: wait up to 60 s.
wait_for() { # wait_for FILE
    local i
    for i in $(seq 120); do
        [[ -f $1 ]] && return 0
        sleep 0.5
    done
    return 1
}

# The binaries: the hub is host/gleitzeitd in this build tree; look further if it moved.
gleitzeitd=
for f in "$build/host/gleitzeitd" "$build/host/daemon/gleitzeitd"; do
    [[ -x $f && -f $f ]] && { gleitzeitd=$f; break; }
done
if [[ -z $gleitzeitd ]]; then
    gleitzeitd=$(find "$build" -type f -name gleitzeitd -perm -u+x 2>/dev/null | sort | head -n 1)
fi
if [[ -z $gleitzeitd ]] && wait_for "$build/host/gleitzeitd"; then gleitzeitd="$build/host/gleitzeitd"; fi
[[ -n $gleitzeitd ]] || die "no gleitzeitd under $build"
gleitzeit="$build/host/cli/gleitzeit"
wait_for "$gleitzeit" || die "no gleitzeit (the CLI) at $gleitzeit"
everything="$root/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
[[ -f $everything ]] || die "$everything is missing (npm ci in $root)"
[[ -d $orig/examples ]] || die "$orig has no examples/: is it a checkout of the original Gleitzeit?"
command -v node >/dev/null || die "node is not in PATH"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gleitzeit-original-XXXXXX")
chmod 0755 "$tmp"
llm_pid=
hub_pid=
stopped=0
crashed=0

stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 5 s; sets $stopped to its exit status
    local pid=$1
    stopped=0
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || stopped=$?
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$hub_pid"
    if ((stopped != 0)); then # a clean stop on SIGTERM exits 0
        echo "gleitzeitd exited with status $stopped on SIGTERM; the end of its log:"
        tail -n 20 "$tmp/gleitzeitd.log" | sed 's/^/    | /'
        ((rc != 0)) || rc=1
    fi
    stop_pid "$llm_pid"
    if [[ ${KEEP:-} == 1 ]]; then
        echo "run.sh: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The plugins are copied into the temp dir: a relink of the build tree while this runs does
# not pull a file from under the hub, and each directory is 0755 as gleitzeitd wants it.
mkdir -m 0755 "$tmp/plugins" "$tmp/state"
for p in queue-memory resolver-dag registry-default persistence-sqlite provider-llm provider-python provider-mcp provider-echo; do
    wait_for "$build/plugins/$p/$p.so" || die "$build/plugins/$p/$p.so is missing (build it first)"
    install -m 0755 "$build/plugins/$p/$p.so" "$tmp/plugins/$p.so"
done
plugin() { printf '%s' "$tmp/plugins/$1.so"; } # plugin NAME -> its staged copy
toml_str() { # a TOML basic string
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

# The fake LLM server on a free port: its first line of stdout is {"port":N}.
mkfifo "$tmp/llm.fifo"
node "$root/tests/fixtures/llm_server.mjs" --port 0 >"$tmp/llm.fifo" 2>"$tmp/llm.err" &
llm_pid=$!
exec 4<"$tmp/llm.fifo"
llm_port=
IFS= read -r -t 10 line <&4 && llm_port=$(sed -n 's/.*"port":[[:space:]]*\([0-9][0-9]*\).*/\1/p' <<<"$line")
cat <&4 >/dev/null & # keep draining its stdout
exec 4<&-
[[ -n $llm_port ]] || die "the LLM fixture did not report its port: $(cat "$tmp/llm.err")"
llm_url="http://127.0.0.1:$llm_port"

config="$tmp/gleitzeit.toml"
cat >"$config" <<TOML
# Written by tests/compat/original/run.sh.
[server]
bind = "127.0.0.1"
port = 0

[state]
directory = $(toml_str "$tmp/state")

[plugins]
watch = false

[slots.queue]
plugin = "queue-memory"
file = $(toml_str "$(plugin queue-memory)")

[slots.resolver]
plugin = "resolver-dag"
file = $(toml_str "$(plugin resolver-dag)")

[slots.registry]
plugin = "registry-default"
file = $(toml_str "$(plugin registry-default)")

[slots.persistence]
plugin = "persistence-sqlite"
file = $(toml_str "$(plugin persistence-sqlite)")
config = { path = $(toml_str "$tmp/state/gleitzeit.db") }

[[providers]]
plugin = "provider-llm"
file = $(toml_str "$(plugin provider-llm)")
config = { url = $(toml_str "$llm_url"), default_model = "llama3.2", file_root = $(toml_str "$orig") }

[[providers]]
plugin = "provider-python"
file = $(toml_str "$(plugin provider-python)")
config = { workers = 2, working_directory = $(toml_str "$orig"), script_dirs = [$(toml_str "$orig/examples/scripts"), $(toml_str "$orig")] }

[[providers]]
plugin = "provider-mcp"
file = $(toml_str "$(plugin provider-mcp)")
config = { servers = [{ name = "everything", transport = "stdio", command = [$(toml_str "$(command -v node)"), $(toml_str "$everything"), "stdio"] }] }

[[providers]]
plugin = "provider-echo"
file = $(toml_str "$(plugin provider-echo)")
TOML

# gleitzeitd on a free port: it prints "listening on 127.0.0.1:N" on standard output.
hub_url=
start_hub() {
    local fifo="$tmp/hub.fifo" line port=
    rm -f "$fifo"
    mkfifo "$fifo"
    "$gleitzeitd" --config "$config" --bind 127.0.0.1 --port 0 >"$fifo" 2>>"$tmp/gleitzeitd.log" &
    hub_pid=$!
    exec 5<"$fifo"
    while IFS= read -r -t 15 line <&5; do
        if [[ $line =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
            port=${BASH_REMATCH[1]}
            break
        fi
    done
    cat <&5 >>"$tmp/gleitzeitd.out" &
    exec 5<&-
    [[ -n $port ]] || {
        echo "run.sh: gleitzeitd did not report its port; its log:" >&2
        tail -n 40 "$tmp/gleitzeitd.log" >&2
        exit 2
    }
    hub_url="http://127.0.0.1:$port"
    # Ready when each protocol's methods are registered with their schemas: the hub then
    # refuses a probe without a required param (as compat.test.mjs waits). A probe it took,
    # before the method was there, is cancelled.
    local probes=(
        'llm/v1|chat|{}|params.messages: required parameter is missing'
        'python/v1|execute|{"code":5}|params.code: expected a string'
        'mcp/v1|tool.echo|{}|params.message: required parameter is missing'
        'echo/v1|delay|{}|params.ms: required parameter is missing'
    ) probe protocol method params expect reply id
    for probe in "${probes[@]}"; do
        IFS='|' read -r protocol method params expect <<<"$probe"
        for _ in $(seq 300); do
            reply=$(printf '{"tasks":[{"id":"probe","protocol":"%s","method":"%s","params":%s}]}' \
                "$protocol" "$method" "$params" | "$gleitzeit" --url "$hub_url" --json submit - 2>/dev/null || true)
            [[ $reply == *"$expect"* ]] && continue 2
            id=$(sed -n 's/.*"workflow_id":"\([^"]*\)".*/\1/p' <<<"$reply")
            [[ -n $id ]] && "$gleitzeit" --url "$hub_url" cancel "$id" >/dev/null 2>&1 || true
            kill -0 "$hub_pid" 2>/dev/null || break
            sleep 0.1
        done
        echo "run.sh: $protocol $method is not registered after 30 s; last reply: $reply" >&2
        tail -n 40 "$tmp/gleitzeitd.log" >&2
        exit 2
    done
}
start_hub

# One line per file from the CLI's JSON (stdout) and standard error: "state<TAB>first error".
# The state is the workflow's, or "not-sent" (gleitzeit refused the file: exit 2) or "refused"
# (the hub refused the workflow at submit, so no task ran).
summarise() { # summarise STDOUT_FILE STDERR_FILE EXIT_CODE
    node - "$1" "$2" "$3" <<'JS'
const fs = require("fs");
const [out, err] = process.argv.slice(2, 4).map((f) => fs.readFileSync(f, "utf8"));
const code = Number(process.argv[4]);
const one = (s) => String(s).replace(/\s+/g, " ").trim().slice(0, 300);
let j = null;
for (const line of out.split("\n").reverse()) {
  if (!line.trim()) continue;
  try { j = JSON.parse(line); break; } catch { /* not JSON */ }
}
const stderr = err.split("\n").filter((l) => l.trim() && !/: warning: /.test(l));
const warnings = err.split("\n").filter((l) => /: warning: /.test(l)).length;
const state = j?.state ?? (code === 2 ? "not-sent" : j?.ok === false ? "refused" : "-");
let error = "";
if (state !== "completed") {
  const failed = Object.entries(j?.workflow?.tasks ?? {}).find(([, t]) => t.state === "failed" && t.error);
  if (failed) error = `task ${failed[0]}: ${failed[1].error.code}: ${one(failed[1].error.message)}`;
  else if (j?.reason) error = one(j.reason);
  else if (j?.error) error = one(j.error.code ? `${j.error.code}: ${j.error.message}` : JSON.stringify(j.error));
  else if (stderr.length) error = one(stderr[0]);
}
if (warnings) error = `${error}${error ? " " : ""}(${warnings} warning${warnings > 1 ? "s" : ""})`;
console.log(`${state}\t${error}`);
JS
}

cd "$orig"
mapfile -t files < <({ find examples -name '*.yaml' -type f; find tests -maxdepth 1 -name '*.yaml' -type f; } | LC_ALL=C sort)
[[ ${#files[@]} -gt 0 ]] || die "no YAML files under $orig/examples or $orig/tests"
echo "# gleitzeit --json run FILE, in $orig against $hub_url (LLM fixture $llm_url), ${per_file} s each"
width=0
for f in "${files[@]}"; do
    if ((${#f} > width)); then width=${#f}; fi
done
for f in "${files[@]}"; do
    set +e
    timeout -k 5 "$per_file" "$gleitzeit" --url "$hub_url" --json run "$f" >"$tmp/out" 2>"$tmp/err"
    code=$?
    set -e
    IFS=$'\t' read -r state error < <(summarise "$tmp/out" "$tmp/err" "$code")
    if ((code == 124)); then
        error="no answer within ${per_file} s (killed)"
        crashed=1
    elif ((code > 128)); then
        error="CRASH: the CLI died of signal $((code - 128)) ${error}"
        crashed=1
    fi
    printf '%-*s  exit=%-3s %-10s %s\n' "$width" "$f" "$code" "$state" "$error"
    if [[ ${VERBOSE:-} == 1 && -s $tmp/err ]]; then sed 's/^/    | /' "$tmp/err"; fi
    if ! kill -0 "$hub_pid" 2>/dev/null; then
        set +e
        wait "$hub_pid"
        status=$?
        set -e
        echo "CRASH: gleitzeitd exited with status $status while $f ran; the end of its log:"
        tail -n 20 "$tmp/gleitzeitd.log" | sed 's/^/    | /'
        crashed=1
        start_hub # the rest of the files get a fresh hub
    fi
done
exit "$crashed"
