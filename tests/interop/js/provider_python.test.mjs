// provider-python in a real gleitzeitd, driven by npm socket.io-client: a workflow whose
// tasks pass results on through ${...} references, a swap of the plugin while calls run (none
// lost), the provider's timeout, cancel_workflow of a running call (its worker is killed),
// params refused at submit by the method's schema, and a raise reported in task_failed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  call, connectClient, connected, pollUntil, q, removeTempDirs, stagePlugins, startHub, tempDir, runWorkflow } from "./plugin_harness.mjs";

let hub;
let client;
let plugins;
let scripts;

before(async () => {
  plugins = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_PYTHON"]);
  scripts = tempDir("gleitzeit-python-scripts-");
  writeFileSync(join(scripts, "report.py"),
    "squares = context['squares']\nresult = f\"mean {context['mean']} of {len(squares)} squares\"\n");
  hub = await startHub(
    `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(plugins.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(plugins.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(plugins.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-python"\nfile = ${q(plugins.PROVIDER_PYTHON)}\n` +
      `config = { workers = 2, max_queued = 0, script_dirs = [${q(scripts)}], allowed_modules = ["statistics"] }\n`,
  );
  client = connectClient(hub.url);
  await connected(client);
});

after(async () => {
  client?.close();
  try {
    await hub?.stop();
  } finally {
    removeTempDirs();
  }
});

const run = (workflow, opts) => runWorkflow(client, workflow, opts);

const py = (id, code, more = {}) => ({ id, protocol: "python/v1", method: "execute", params: { code, ...more } });
const failedError = (events) => events.find(([e]) => e === "task_failed")?.[1].error;

/** Whether process `pid` has ended (no /proc entry, or a zombie). */
function gone(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return true;
  try {
    const stat = readFileSync(file, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

test("a workflow passes results from task to task through ${...} references", async () => {
  const { end } = await run({
    name: "python pipeline",
    tasks: [
      py("squares", "print('squaring', len(context['numbers']))\nresult = [n * n for n in context['numbers']]",
        { context: { numbers: [1, 2, 3, 4] } }),
      { id: "mean", protocol: "python/v1", method: "call", dependencies: ["squares"],
        params: { function: "statistics:mean", args: ["${squares.result.result}"] } },
      { id: "report", protocol: "python/v1", method: "execute", dependencies: ["squares", "mean"],
        params: { file: "report.py", context: { squares: "${squares.result.result}", mean: "${mean.result.result}" } } },
    ],
  });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.deepEqual(end.results, {
    squares: { result: [1, 4, 9, 16], stdout: "squaring 4\n", stderr: "" },
    mean: { result: 7.5, stdout: "", stderr: "" },
    report: { result: "mean 7.5 of 4 squares", stdout: "", stderr: "" },
  });
});

test("params that break the method's schema are refused at submit", async () => {
  const pattern = String.raw`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`;
  const cases = [
    [py("bad", 5), "task 'bad': python/v1 execute: params.code: expected a string, got number"],
    [py("extra", "1", { timeout_s: 3 }), "task 'extra': python/v1 execute: params.timeout_s: unknown parameter (the method allows only: code, file, file_path, context, timeout)"],
    [py("slow", "1", { timeout: 0 }), "task 'slow': python/v1 execute: params.timeout: 0 is below the minimum 0.001"],
    [{ id: "fn", protocol: "python/v1", method: "call", params: { function: "os.system" } },
      `task 'fn': python/v1 call: params.function: 'os.system' does not match the pattern '${pattern}'`],
    [{ id: "nofn", protocol: "python/v1", method: "call", params: { args: [] } },
      "task 'nofn': python/v1 call: params.function: required parameter is missing"],
  ];
  for (const [task, message] of cases) {
    const { reply } = await run({ tasks: [task] });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } });
  }
});

test("a script that raises fails its task with the exception's line, not retried", async () => {
  const { events, end } = await run({
    tasks: [{ ...py("boom", "def f():\n    raise ValueError('no such thing')\nf()"), retry: { max_attempts: 3, base_delay_ms: 10 } }],
  });
  assert.equal(end.state, "failed");
  const error = failedError(events);
  assert.equal(error.code, "provider_error");
  assert.equal(error.retryable, false);
  assert.ok(error.message.endsWith("\n    raise ValueError('no such thing')\nValueError: no such thing"), error.message);
  assert.equal(events.filter(([e]) => e === "task_started").length, 1);
});

test("a call past its timeout fails with timeout, and the next call is served", async () => {
  const t0 = Date.now();
  const { events, end } = await run({ tasks: [py("sleepy", "import time\ntime.sleep(60)", { timeout: 0.5 })] });
  assert.equal(end.state, "failed");
  assert.deepEqual(failedError(events),
    { code: "timeout", message: "execute: timed out after 0.5 s; its worker was killed", retryable: true });
  assert.ok(Date.now() - t0 < 10000);
  const next = await run({ tasks: [py("next", "result = 'served'")] });
  assert.deepEqual(next.end.results, { next: { result: "served", stdout: "", stderr: "" } });
});

test("cancel_workflow kills the worker running the call", async () => {
  const pidFile = join(tempDir("gleitzeit-python-cancel-"), "pid");
  let startedId;
  const done = run({
    tasks: [py("long", "import os, time\nopen(context['file'], 'w').write(str(os.getpid()))\ntime.sleep(60)",
      { context: { file: pidFile } })],
  }, { onStarted: (p) => (startedId = p.workflow_id) });
  const pid = await pollUntil(() => existsSync(pidFile) && Number(readFileSync(pidFile, "utf8")), "the call's pid", 10000);
  assert.ok(!gone(pid));
  // The call may start before workflow_started reaches us: that event waits for the save.
  await pollUntil(() => startedId, "workflow_started", 10000);
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: startedId }), { ok: true, workflow_id: startedId });
  const { end } = await done;
  assert.equal(end.state, "cancelled");
  await pollUntil(() => gone(pid), `worker ${pid} gone`, 5000);
});

// max_queued = 0 keeps the hub's credit at the two workers: the calls not yet sent wait in
// the hub's queue and go to the new generation, while the old one finishes its own.
test("a swap of provider-python while calls run loses none of them", async () => {
  const N = 16;
  const tasks = Array.from({ length: N }, (_, n) =>
    py(`t${n}`, "import os, time\ntime.sleep(0.25)\nresult = {'n': context['n'], 'pid': os.getpid()}", { context: { n: n } }));
  let completed = 0;
  const counter = (event, p) => event === "task_completed" && p.task_id?.startsWith("t") && ++completed;
  client.onAny(counter);
  const done = run({ name: "swapped", tasks });
  try {
    await pollUntil(() => completed >= 3, "calls under way before the swap", 20000, 5);
    const r = await call(client, "swap_plugin", { slot: "provider", path: plugins.PROVIDER_PYTHON });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.slot, "provider:provider-python");
    assert.equal(r.generations[0].generation, 2, JSON.stringify(r.generations));
  } finally {
    client.offAny(counter);
  }
  const { events, end } = await done;
  assert.equal(end.state, "completed", JSON.stringify(end).slice(0, 1000));
  for (let n = 0; n < N; ++n) assert.equal(end.results[`t${n}`].result.n, n);
  assert.equal(events.filter(([e]) => e === "task_failed" || e === "task_retrying").length, 0);
  // Both generations served calls, and the old one's workers ended with it.
  const pids = new Set(Object.values(end.results).map((r) => r.result.pid));
  assert.ok(pids.size > 2, `pids: ${[...pids]}`);
  const first = end.results.t0.result.pid;
  await pollUntil(() => gone(first), `old worker ${first} gone`, 10000);
});
