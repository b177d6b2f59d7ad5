#!/usr/bin/env bash
# The Debian package end to end, installed into this machine (issue 6):
#  1. build gleitzeit and gleitzeit-dev (packaging/build-deb: dpkg-buildpackage, lintian);
#  2. apt-get install them;
#  3. run the unit's ExecStart as the service user, the way systemd would (its environment,
#     NOTIFY_SOCKET for Type=notify, RUNTIME_DIRECTORY), with systemd itself not involved;
#  4. /health answers, and READY=1 came only once it did;
#  5. `gleitzeit run /usr/share/doc/gleitzeit/examples/hello.toml` completes;
#  6. the example plugin, built from /usr/share/doc/gleitzeit-dev/examples with the installed
#     files only, is dropped into /etc/gleitzeit/plugins.d, SIGHUP, and `gleitzeit plugins`
#     lists it;
#  7. a higher version built on the spot upgrades it: the conffile edit and the state stay;
#  8. dpkg --purge leaves nothing behind: config, state, user, files, unit links.
#
#   package_test.sh --source-dir DIR --work-dir DIR
#
# It needs root, and refuses to run where gleitzeit is already installed. The hub binds
# 127.0.0.1 port 0 (the test's conffile edit), and every process it starts is stopped.
set -euo pipefail

source_dir="" work=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --source-dir) source_dir=$2; shift 2 ;;
    --work-dir) work=$2; shift 2 ;;
    *) echo "usage: package_test.sh --source-dir DIR --work-dir DIR" >&2; exit 2 ;;
    esac
done
[[ -n $source_dir && -n $work ]] || { echo "usage: package_test.sh --source-dir DIR --work-dir DIR" >&2; exit 2; }

step() { echo "package test: $*"; }
fail() { echo "package test: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "run as root: it installs the package into this machine"
for p in gleitzeit gleitzeit-dev; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [[ -n $status && $status != not-installed ]]; then
        fail "$p is $status here; the test installs and purges it, so remove it first (dpkg --purge gleitzeit-dev gleitzeit)"
    fi
done

rm -rf "$work"
mkdir -p "$work"
# The notify socket, where the service user reaches it whatever the checkout's folders allow
# (systemd's own is under /run too).
notify_dir=$(mktemp -d /run/gleitzeit-package-test.XXXXXX)
chmod 0755 "$notify_dir"
notify_socket="$notify_dir/notify"
hub_pid="" listener_pid="" installed=""
cleanup() {
    set +e # every step, whatever the one before it did
    [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
    [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null && wait "$listener_pid" 2>/dev/null
    rm -f /etc/gleitzeit/plugins.d/example-greeter.so
    [[ -n $installed ]] && dpkg --purge gleitzeit-dev gleitzeit >/dev/null 2>&1
    rm -rf /run/gleitzeit "$notify_dir"
    true
}
trap cleanup EXIT

# ---- 1. build ------------------------------------------------------------------------------
step "1. make deb (packaging/build-deb, lintian --pedantic included)"
"$source_dir/packaging/build-deb" "$work/v1"
version=$(dpkg-parsechangelog -l "$source_dir/packaging/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs=("$work/v1/gleitzeit_${version}_${arch}.deb" "$work/v1/gleitzeit-dev_${version}_${arch}.deb")
for d in "${debs[@]}"; do [[ -f $d ]] || fail "make deb did not write $d"; done

# ---- 2. install ----------------------------------------------------------------------------
step "2. apt-get install ${debs[*]##*/}"
installed=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "apt-get install failed"; }
# Where systemd runs, the package has started the service; this test runs it itself.
[[ -d /run/systemd/system ]] && systemctl stop gleitzeit
dpkg-query -W -f='${Version}' gleitzeit | grep -qx "$version" || fail "gleitzeit $version is not installed"
getent passwd gleitzeit >/dev/null || fail "the system user gleitzeit was not created (sysusers)"
[[ $(stat -c '%U:%G %a' /var/lib/gleitzeit) == "gleitzeit:gleitzeit 750" ]] ||
    fail "/var/lib/gleitzeit is $(stat -c '%U:%G %a' /var/lib/gleitzeit), not gleitzeit:gleitzeit 750"
dpkg-query -W -f='${Conffiles}' gleitzeit | grep -q " /etc/gleitzeit/gleitzeit.toml " ||
    fail "/etc/gleitzeit/gleitzeit.toml is not a conffile"
[[ -d /etc/gleitzeit/plugins.d ]] || fail "no drop-in directory /etc/gleitzeit/plugins.d"
for p in queue-memory resolver-dag registry-default persistence-sqlite provider-echo \
    provider-llm provider-python provider-mcp provider-http; do
    [[ -f /usr/lib/$triplet/gleitzeit/plugins/$p.so ]] || fail "plugin $p is not in /usr/lib/$triplet/gleitzeit/plugins"
done
readelf -d /usr/sbin/gleitzeitd | grep -q "RUNPATH.*\[/usr/lib/$triplet/gleitzeit\]" ||
    fail "gleitzeitd has no RUNPATH to /usr/lib/$triplet/gleitzeit"
# Bash completion, made by the binary at build time.
grep -q '^complete -F _gleitzeit gleitzeit$' /usr/share/bash-completion/completions/gleitzeit ||
    fail "no bash completion in /usr/share/bash-completion/completions/gleitzeit"
# The provider pages, which docs/operations.md links to.
for doc in llm python mcp http; do
    ls /usr/share/doc/gleitzeit/providers/$doc.md* >/dev/null 2>&1 ||
        fail "docs/providers/$doc.md is not in /usr/share/doc/gleitzeit/providers"
done
for page in gleitzeitd.8 gleitzeit.1; do
    [[ -f /usr/share/man/man${page##*.}/$page.gz ]] || fail "man page $page is missing"
done
unit=$(dpkg -L gleitzeit | grep '/systemd/system/gleitzeit\.service$') || fail "the package has no gleitzeit.service"
# The packages' files and links (not directories, nor /lib and the like, which are links to
# directories on a merged /usr), to check after the purge that none is left.
dpkg -L gleitzeit gleitzeit-dev | sort -u | while read -r f; do
    [[ -d $f ]] || echo "$f"
done >"$work/files.txt"
(($(wc -l <"$work/files.txt") > 40)) || fail "the packages list only $(wc -l <"$work/files.txt") files"

# The conffile edit the upgrade must keep: port 0, so that the hub takes a free port.
sed -i 's/^port = 6680$/port = 0/' /etc/gleitzeit/gleitzeit.toml
echo "# kept across upgrades (package test)" >>/etc/gleitzeit/gleitzeit.toml
grep -qx 'port = 0' /etc/gleitzeit/gleitzeit.toml || fail "could not set port = 0 in the conffile"

# ---- 3. the unit's ExecStart, as systemd would run it --------------------------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
group=$(sed -n 's/^Group=//p' "$unit")
umask_value=$(sed -n 's/^UMask=//p' "$unit")
systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "systemd-analyze verify $unit failed"; }
grep -qx 'Type=notify' "$unit" || fail "$unit is not Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "$unit does not reload with SIGHUP"
for h in ProtectSystem=strict ReadWritePaths=/var/lib/gleitzeit NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes CapabilityBoundingSet=; do
    grep -qx "$h" "$unit" || fail "$unit lacks $h"
done
start_hub() { # as User=/Group=, in / with systemd's clean environment and UMask, no capabilities
    : >"$work/hub.out"
    install -d -o "$user" -g "$group" -m 0755 /run/gleitzeit # RuntimeDirectory=gleitzeit
    # shellcheck disable=SC2086 # ExecStart is a command line, split as systemd splits it
    (cd / && umask "${umask_value:-0022}" && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 NOTIFY_SOCKET="$notify_socket" RUNTIME_DIRECTORY=/run/gleitzeit \
        setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all -- $exec_start) >"$work/hub.out" 2>>"$work/hub.err" &
    hub_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/hub.out")
        [[ -n $port ]] && return 0
        kill -0 "$hub_pid" 2>/dev/null || { cat "$work/hub.err" >&2; fail "gleitzeitd exited at start"; }
        sleep 0.1
    done
    cat "$work/hub.err" >&2
    fail "gleitzeitd did not print 'listening on' within 10 s"
}
stop_hub() {
    kill -TERM "$hub_pid"
    wait "$hub_pid" || true
    hub_pid=""
}
wait_for_line() { # FILE REGEX [SECONDS]
    for _ in $(seq $((${3:-10} * 10))); do
        grep -qE "$2" "$1" && return 0
        sleep 0.1
    done
    return 1
}

step "3. $exec_start as $user:$group"
python3 "$source_dir/tests/package/notify_listener.py" "$notify_socket" "$work/notify.log" &
listener_pid=$!
for _ in $(seq 50); do [[ -S $notify_socket ]] && break; sleep 0.1; done
[[ -S $notify_socket ]] || fail "the notify listener did not bind $notify_socket"
start_hub
[[ $(ps -o user= -p "$hub_pid") == "$user" ]] || fail "gleitzeitd runs as $(ps -o user= -p "$hub_pid"), not $user"

# ---- 4. /health, and readiness only once listening ------------------------------------------
step "4. /health on port $port"
health=$(curl -fsS "http://127.0.0.1:$port/health") || fail "/health did not answer"
grep -q '"status":"ok"' <<<"$health" || fail "/health said: $health"
for p in queue-memory resolver-dag registry-default persistence-sqlite provider-echo; do
    grep -q "\"$p\"" <<<"$health" || fail "/health lists no $p: $health"
done
wait_for_line "$work/notify.log" '^health-at-ready ' || fail "no READY=1 came on NOTIFY_SOCKET"
grep -qx "health-at-ready 200" "$work/notify.log" ||
    fail "READY=1 came before /health answered: $(cat "$work/notify.log")"
cli() { gleitzeit --url "http://127.0.0.1:$port" "$@"; } # the port of the hub running now

# ---- 5. the example workflow ---------------------------------------------------------------
step "5. gleitzeit run /usr/share/doc/gleitzeit/examples/hello.toml"
cli --json run /usr/share/doc/gleitzeit/examples/hello.toml >"$work/run.json" ||
    fail "gleitzeit run exited $?: $(cat "$work/run.json")"
greeting=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["state"], r["results"]["together"]["greeting"])' "$work/run.json")
[[ $greeting == "completed Hello, world!" ]] || fail "hello.toml ended as: $greeting"
[[ $(stat -c '%U %a' /var/lib/gleitzeit/gleitzeit.db) == "gleitzeit 640" ]] ||
    fail "the database is $(stat -c '%U %a' /var/lib/gleitzeit/gleitzeit.db), not the service user's with mode 640"
workflow_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["workflow_id"])' "$work/run.json")

# ---- 6. the SDK from the installed files, a drop-in, SIGHUP ---------------------------------
step "6. example plugin from /usr/share/doc/gleitzeit-dev/examples into /etc/gleitzeit/plugins.d"
cmake -S /usr/share/doc/gleitzeit-dev/examples -B "$work/sdk" >"$work/sdk.log" 2>&1 &&
    cmake --build "$work/sdk" >>"$work/sdk.log" 2>&1 || { cat "$work/sdk.log" >&2; fail "the example plugin did not build"; }
cp "$work/sdk/example-greeter.so" /etc/gleitzeit/plugins.d/
kill -HUP "$hub_pid"
listed=""
for _ in $(seq 100); do
    cli --json plugins >"$work/plugins.json" 2>/dev/null || true
    if grep -q '"example-greeter"' "$work/plugins.json"; then listed=yes; break; fi
    sleep 0.1
done
[[ -n $listed ]] || fail "gleitzeit plugins does not list example-greeter: $(cat "$work/plugins.json")"
wait_for_line "$work/notify.log" '^RELOADING=1' || fail "no RELOADING=1 on SIGHUP"
wait_for_line "$work/notify.log" '^READY=1[|]STATUS=reload applied' || fail "no READY=1 after the reload: $(cat "$work/notify.log")"

# ---- 7. upgrade to a higher version built on the spot --------------------------------------
next="$version+1"
step "7. upgrade to $next, with a workflow unfinished"
# A workflow still running when the hub stops: the stop drains, so "wait" finishes, and "after"
# is not started (docs/operations.md, "Stopping"); the upgraded hub must take it up from the
# state.
cat >"$work/unfinished.toml" <<'TOML'
name = "across the upgrade"
[[tasks]]
id = "wait"
protocol = "echo/v1"
method = "delay"
[tasks.params]
ms = 1500
[[tasks]]
id = "after"
protocol = "echo/v1"
method = "echo"
dependencies = ["wait"]
[tasks.params]
n = 1
TOML
unfinished_id=$(cli submit "$work/unfinished.toml") || fail "submit failed: $unfinished_id"
stop_hub
"$source_dir/packaging/build-deb" "$work/v2" --version "$next"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$work/v2/gleitzeit_${next}_${arch}.deb" "$work/v2/gleitzeit-dev_${next}_${arch}.deb" >"$work/upgrade.log" 2>&1 ||
    { cat "$work/upgrade.log" >&2; fail "the upgrade failed"; }
[[ -d /run/systemd/system ]] && systemctl stop gleitzeit
dpkg-query -W -f='${Version}' gleitzeit | grep -qx "$next" || fail "gleitzeit $next is not installed"
grep -qx 'port = 0' /etc/gleitzeit/gleitzeit.toml && grep -q '^# kept across upgrades' /etc/gleitzeit/gleitzeit.toml ||
    fail "the conffile edit did not survive the upgrade"
[[ -f /etc/gleitzeit/plugins.d/example-greeter.so ]] || fail "the drop-in did not survive the upgrade"
# The finished workflow's rows are still in the database.
rows=$(python3 - "$workflow_id" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:/var/lib/gleitzeit/gleitzeit.db?mode=ro", uri=True)
wf = sys.argv[1]
state = db.execute("SELECT state FROM workflows WHERE id = ?", (wf,)).fetchone()
results = db.execute("SELECT count(*) FROM results WHERE task_id LIKE ? || '/%'", (wf,)).fetchone()[0]
print(state[0] if state else "missing", results)
PY
) || fail "could not read /var/lib/gleitzeit/gleitzeit.db"
[[ $rows == "completed 4" ]] || fail "after the upgrade, hello's rows in the database are: $rows"
start_hub
grep -q "recovered 1 unfinished workflows" "$work/hub.err" || fail "the upgraded hub did not take up the unfinished workflow"
state=""
for _ in $(seq 100); do
    state=$(cli --json status "$unfinished_id" 2>/dev/null) || true
    grep -q '"state":"completed"' <<<"$state" && break
    sleep 0.2
done
grep -q '"state":"completed"' <<<"$state" || fail "after the upgrade, $unfinished_id is: $state"
# hello.toml finished before the upgrade: the hub reads it back from the database.
greeting=$(cli --json status "$workflow_id" | python3 -c 'import json,sys; w=json.load(sys.stdin)["workflow"]; print(w["state"], w["tasks"]["together"]["result"]["greeting"])') ||
    fail "after the upgrade, status $workflow_id failed"
[[ $greeting == "completed Hello, world!" ]] || fail "after the upgrade, hello.toml's workflow reads: $greeting"
stop_hub

# ---- 8. purge ------------------------------------------------------------------------------
step "8. dpkg --purge"
rm -f /etc/gleitzeit/plugins.d/example-greeter.so # the user's own file, not the package's
dpkg --purge gleitzeit-dev gleitzeit >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
installed=""
left=()
while read -r f; do
    [[ -f $f || -L $f ]] && left+=("$f")
done <"$work/files.txt"
for d in /etc/gleitzeit /var/lib/gleitzeit /usr/lib/"$triplet"/gleitzeit /usr/share/doc/gleitzeit \
    /usr/share/doc/gleitzeit-dev /usr/include/gleitzeit /etc/systemd/system/multi-user.target.wants/gleitzeit.service \
    /var/lib/systemd/deb-systemd-helper-enabled/gleitzeit.service; do
    [[ -e $d || -L $d ]] && left+=("$d")
done
getent passwd gleitzeit >/dev/null && left+=("user gleitzeit")
getent group gleitzeit >/dev/null && left+=("group gleitzeit")
((${#left[@]} == 0)) || fail "dpkg --purge left behind: ${left[*]}"
step "passed: built, installed, served, ran hello.toml, loaded a drop-in, upgraded $version -> $next, purged"
