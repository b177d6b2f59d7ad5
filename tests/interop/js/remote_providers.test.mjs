// Remote providers end to end: gleitzeitd with queue-memory, resolver-dag and
// registry-default but no in-process provider, so every call goes over execute_method to the
// example providers of examples/providers (Node and Python) run as real processes. Covers
// ${...} substitution and the routing fields, a provider killed with calls in flight, the
// retry rules on a remote failure, no_provider and waiting for a provider, cancel_task, and
// re-registration after the hub restarts.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGleitzeitd } from "./harness.mjs";
import { call, connectClient, connected, nextEvent, pollUntil, q, removeTempDirs, stagePlugins, sleep, startHub } from "./plugin_harness.mjs";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const JS_PROVIDER = join(ROOT, "examples/providers/echo_provider.mjs");
const PY_PROVIDER = join(ROOT, "examples/providers/echo_provider.py");
// Debian's interpreter has python3-socketio; a python3 earlier on PATH may not.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** The three stateful slots, no provider: staged copies (gleitzeitd refuses plugins that others may write). */
function slotsConfig() {
  const file = (v) => q(stagePlugins([v])[v]);
  return (
    `[plugins]\nwatch = false\n` +
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${file("QUEUE_MEMORY_V1")}\n` +
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${file("RESOLVER_DAG")}\n` +
    `[slots.registry]\nplugin = "registry-default"\nfile = ${file("REGISTRY_DEFAULT")}\n`
  );
}

const providers = new Set();

/**
 * Starts an example provider ("js" or "py") against `url`; resolves once it printed
 * "registered as <id>". `registrations` counts those lines (re-registration after a drop).
 */
function startProvider(kind, url, extra = []) {
  const argv = kind === "js" ? [process.execPath, JS_PROVIDER] : [PYTHON, PY_PROVIDER];
  const proc = spawn(argv[0], [...argv.slice(1), "--url", url, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const p = { proc, kind, out: "", err: "", registrations: 0 };
  providers.add(p);
  p.exited = new Promise((resolve) => proc.on("exit", (code, signal) => (providers.delete(p), resolve({ code, signal }))));
  proc.stderr.on("data", (d) => (p.err += d));
  p.stop = async (signal = "SIGTERM") => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return p.exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} provider did not register within 10 s: ${p.out}${p.err}`)), 10000);
    proc.stdout.on("data", (d) => {
      p.out += d;
      const ids = [...p.out.matchAll(/^registered as (\S+)$/gm)];
      p.registrations = ids.length;
      if (ids.length && !p.id) {
        p.id = ids[0][1];
        clearTimeout(timer);
        resolve(p);
      }
    });
    p.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${kind} provider exited (${code ?? signal}) before registering: ${p.err}`));
    });
  });
}

let hub;
let client;

before(async () => {
  hub = await startHub(`[server]\nheartbeat_interval = 200\n${slotsConfig()}`);
  client = await hub.connect(); // no [[auth.tokens]]: every role, so it observes "components" too
});

// Every provider a test started is gone before the next test, whatever happened.
afterEach(async () => {
  for (const p of [...providers]) await p.stop("SIGKILL");
  await pollUntil(async () => (await call(client, "list_components")).components.length === 0, "no components left");
});

after(async () => {
  for (const p of [...providers]) await p.stop("SIGKILL");
  await hub?.stop();
  removeTempDirs();
});

const next = nextEvent;

const ENDS = ["workflow_completed", "workflow_failed", "workflow_cancelled"];

/**
 * Submits `workflow` (which has its own id) and resolves with {reply, events, end} once it
 * ends. `onEvent` sees each of its events as it comes.
 */
function run(workflow, { correlation, onEvent } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    let reply;
    const listener = (event, payload) => {
      if (payload?.workflow_id !== workflow.id) return;
      events.push([event, payload]);
      onEvent?.(event, payload);
      if (ENDS.includes(event)) {
        client.offAny(listener);
        resolve({ reply, events, end: payload });
      }
    };
    client.onAny(listener);
    const args = correlation ? { workflow, _correlation_id: correlation } : { workflow };
    call(client, "submit_workflow", args).then((r) => {
      reply = r;
      if (!r.ok) {
        client.offAny(listener);
        resolve({ reply: r, events });
      }
    }, reject);
  });
}

const of = (events, kind) => events.filter(([e]) => e === kind).map(([, p]) => p);

async function threeTasksOn(kind) {
  const p = await startProvider(kind, hub.url);
  const id = `three-${kind}`;
  const { reply, events, end } = await run(
    {
      id,
      tasks: [
        { id: "a", protocol: "echo/v1", method: "echo", params: { text: "hello", n: 2 } },
        { id: "b", protocol: "echo/v1", method: "echo", params: { greeting: "${a.result.text}, world", n: "${a.result.n}" }, dependencies: ["a"] },
        { id: "c", protocol: "echo/v1", method: "delay", params: { ms: "${a.result.n}" }, dependencies: ["a"] },
      ],
    },
    { correlation: `corr-${kind}` },
  );
  assert.deepEqual(reply, { ok: true, workflow_id: id, _correlation_id: `corr-${kind}` });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, {
    a: { text: "hello", n: 2 },
    b: { greeting: "hello, world", n: 2 },
    c: { slept_ms: 2 },
  });
  const started = of(events, "task_started");
  assert.deepEqual(started.map((s) => [s.task_id, s.provider, s.attempt]).sort(), [["a", p.id, 1], ["b", p.id, 1], ["c", p.id, 1]]);
  const completed = of(events, "task_completed");
  assert.equal(completed.length, 3);
  for (const c of completed) {
    assert.equal(c._source_component, p.id, `${c.task_id} came from the provider`);
    assert.equal(c._correlation_id, `corr-${kind}`);
    assert.match(c._timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  // A clean stop is a clean exit.
  assert.deepEqual(await p.stop(), { code: 0, signal: null });
}

test("the Node example provider runs a workflow with ${...} substitution; events carry its id and the correlation id", async () => {
  await threeTasksOn("js");
});

test("the Python example provider does the same", async () => {
  await threeTasksOn("py");
});

// Issue acceptance (worker failure). The killed provider's calls in flight go back to the
// queue, not counted as attempts, and run on the survivor.
test("a provider killed with calls in flight: they run on the other one and the workflow completes", async () => {
  const js = await startProvider("js", hub.url, ["--max-concurrency", "4"]);
  const py = await startProvider("py", hub.url, ["--max-concurrency", "4"]);
  const disconnected = next(client, "component_disconnected", (p) => p.component_id === js.id);
  const busy = new Set();
  let killedAt = -1;
  const tasks = Array.from({ length: 40 }, (_, i) => ({ id: `d${String(i).padStart(2, "0")}`, protocol: "echo/v1", method: "delay", params: { ms: 300 } }));
  const { events, end } = await run({ id: "kill-one", tasks }, {
    onEvent: (event, p) => {
      if (event !== "task_started" || killedAt >= 0) return;
      busy.add(p.provider);
      if (busy.has(js.id) && busy.has(py.id)) {
        killedAt = Date.now();
        js.proc.kill("SIGKILL");
      }
    },
  });
  assert.ok(killedAt > 0, "both providers had calls in flight");
  assert.deepEqual(await js.exited, { code: null, signal: "SIGKILL" });
  const gone = await disconnected;

  assert.equal(end.state, "completed", `workflow ${end.state}: ${JSON.stringify(of(events, "task_failed").slice(0, 2))}`);
  assert.deepEqual(end.results, Object.fromEntries(tasks.map((t) => [t.id, { slept_ms: 300 }])));
  // In flight on the killed one: started there, never completed by it.
  const completedBy = new Map(of(events, "task_completed").map((c) => [c.task_id, c._source_component]));
  const onKilled = of(events, "task_started").filter((s) => s.provider === js.id).map((s) => s.task_id);
  const lost = onKilled.filter((id) => completedBy.get(id) !== js.id);
  assert.ok(lost.length > 0, "some calls were in flight on the killed provider");
  for (const id of lost) {
    const again = of(events, "task_started").filter((s) => s.task_id === id && s.provider === py.id);
    assert.equal(again.length, 1, `${id} started again on the survivor`);
    assert.equal(again[0].attempt, 1, `${id}: the requeue did not use up an attempt`);
    assert.equal(completedBy.get(id), py.id, `${id} completed by the survivor`);
  }
  assert.equal(of(events, "task_failed").length, 0);
  assert.equal(of(events, "task_retrying").length, 0, "a requeue is not a failed attempt");
  assert.deepEqual(
    { ...gone, _timestamp: undefined },
    { component_id: js.id, component_type: "provider", requeued: lost.length, _source_component: "hub", _timestamp: undefined },
  );
});

// Provider choice is the registry's find_provider: least loaded, then round-robin. Filling
// providers' credits in name order instead would give the first one all four calls.
test("the registry chooses providers: calls spread to the least loaded, ties take turns", async () => {
  const a = await startProvider("js", hub.url, ["--component-id", "choice-a", "--max-concurrency", "8"]);
  const b = await startProvider("js", hub.url, ["--component-id", "choice-b", "--max-concurrency", "8"]);
  const tasks = Array.from({ length: 4 }, (_, i) => ({ id: `t${i}`, protocol: "echo/v1", method: "delay", params: { ms: 400 } }));
  const { events, end } = await run({ id: "spread", tasks });
  assert.equal(end.state, "completed");
  const on = (id) => of(events, "task_started").filter((s) => s.provider === id).length;
  assert.deepEqual([on(a.id), on(b.id)], [2, 2], "four calls at once: two on each");

  // One call at a time: each finds both idle, and they take turns.
  const turns = [];
  for (let i = 0; i < 4; ++i) {
    const one = await run({ id: `turn-${i}`, tasks: [{ id: "x", protocol: "echo/v1", method: "echo", params: { i } }] });
    assert.equal(one.end.state, "completed");
    turns.push(of(one.events, "task_started")[0].provider);
  }
  assert.ok(turns[0] !== turns[1] && turns[1] !== turns[2] && turns[2] !== turns[3], `turns: ${turns}`);
  assert.deepEqual(new Set(turns), new Set([a.id, b.id]));
});

test("a retryable remote failure is retried up to max_attempts; a non-retryable one is not", async () => {
  const p = await startProvider("js", hub.url);
  const retry = { max_attempts: 3, backoff: "fixed", base_delay_ms: 20, max_delay_ms: 20, jitter: 0 };
  const flaky = await run({ id: "flaky", tasks: [{ id: "f", protocol: "echo/v1", method: "fail", params: { message: "boom", retryable: true }, retry }] });
  assert.equal(flaky.end.state, "failed");
  assert.deepEqual(of(flaky.events, "task_started").map((s) => [s.attempt, s.provider]), [[1, p.id], [2, p.id], [3, p.id]]);
  assert.deepEqual(
    of(flaky.events, "task_retrying").map((r) => [r.attempt, r.delay_ms, r.error]),
    [1, 2].map((n) => [n, 20, { code: "provider_error", message: "boom", retryable: true }]),
  );
  const [failed] = of(flaky.events, "task_failed");
  assert.deepEqual(failed.error, { code: "provider_error", message: "boom", retryable: true });
  assert.equal(failed._source_component, p.id);

  const final = await run({ id: "final", tasks: [{ id: "f", protocol: "echo/v1", method: "fail", params: { message: "no", retryable: false }, retry }] });
  assert.equal(final.end.state, "failed");
  assert.equal(of(final.events, "task_started").length, 1);
  assert.equal(of(final.events, "task_retrying").length, 0);
  assert.deepEqual(of(final.events, "task_failed")[0].error, { code: "provider_error", message: "no", retryable: false });
});

test("a protocol nobody serves fails with no_provider at the task's timeout; echo/v1 waits for its provider", async () => {
  const t0 = Date.now();
  const nobody = await run({ id: "nobody", tasks: [{ id: "x", protocol: "nobody/v1", method: "go", timeout_ms: 1000 }] });
  const waited = Date.now() - t0;
  assert.equal(nobody.end.state, "failed");
  assert.deepEqual(of(nobody.events, "task_failed")[0].error, {
    code: "no_provider",
    message: "no provider serves nobody/v1 (waited 1000 ms, the task's timeout)",
    retryable: false,
  });
  assert.ok(waited >= 1000 && waited < 3000, `failed after ${waited} ms`);

  const later = run({ id: "later", tasks: [{ id: "y", protocol: "echo/v1", method: "echo", params: { v: 1 }, timeout_ms: 20000 }] });
  await sleep(1200); // longer than the first one waited: this one keeps waiting
  const status = await call(client, "query_status", { workflow_id: "later" });
  assert.deepEqual(status.workflow.tasks.y, { state: "ready", attempt: 0 });
  const p = await startProvider("py", hub.url);
  const { events, end } = await later;
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, { y: { v: 1 } });
  assert.equal(of(events, "task_completed")[0]._source_component, p.id);
});

test("cancel_workflow sends cancel_task {task_id, reason} to the provider running the task", async () => {
  // A bare provider that never answers shows the wire exactly.
  const bare = connectClient(hub.url);
  try {
    await connected(bare);
    const calls = [];
    const cancels = [];
    bare.on("execute_method", (c) => calls.push(c));
    bare.on("cancel_task", (c) => cancels.push(c));
    const delay = { name: "delay", params: { ms: { type: "integer", required: true, minimum: 0 } } };
    const reg = await call(bare, "register_component", {
      component_type: "provider", component_id: "bare", protocols: [{ id: "echo/v1", methods: [delay] }], max_concurrency: 1,
    });
    assert.equal(reg.ok, true);
    const done = run({ id: "cancel-bare", tasks: [{ id: "long", protocol: "echo/v1", method: "delay", params: { ms: 20000 } }] });
    const [exec] = await pollUntil(() => calls.length > 0 && calls, "execute_method at the bare provider");
    assert.equal(typeof exec.task_id, "string");
    assert.match(exec._timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual({ ...exec, _timestamp: "t" }, {
      task_id: exec.task_id, workflow_id: "cancel-bare", attempt: 1, protocol: "echo/v1", method: "delay",
      params: { ms: 20000 }, timeout_ms: 30000, _correlation_id: "cancel-bare", _source_component: "hub", _timestamp: "t",
    });
    assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: "cancel-bare" }), { ok: true, workflow_id: "cancel-bare" });
    assert.equal((await done).end.state, "cancelled");
    await pollUntil(() => cancels.length > 0, "cancel_task at the bare provider", 5000);
    assert.deepEqual(cancels, [{ task_id: exec.task_id, reason: "cancelled by request" }]);
  } finally {
    bare.close();
  }
  await pollUntil(async () => (await call(client, "list_components")).components.length === 0, "the bare provider gone");

  // The example provider stops such a call at once (its heartbeats say so), not after 20 s.
  const p = await startProvider("js", hub.url);
  const started = next(client, "task_started", (s) => s.workflow_id === "cancel-example");
  const done = run({ id: "cancel-example", tasks: [{ id: "long", protocol: "echo/v1", method: "delay", params: { ms: 20000 } }] });
  assert.equal((await started).provider, p.id);
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: "cancel-example" }), { ok: true, workflow_id: "cancel-example" });
  assert.equal((await done).end.state, "cancelled");
  await pollUntil(() => /^echo_provider: cancel_task \S*long \(cancelled by request\)$/m.test(p.err), "the provider's cancel_task line", 5000);
  const metrics = await pollUntil(async () => {
    const { components } = await call(client, "list_components");
    const m = components.find((c) => c.component_id === p.id)?.metrics;
    return m?.handled_total === 1 && m;
  }, "the provider's metrics after the cancel", 5000);
  assert.deepEqual(metrics, { in_flight: 0, handled_total: 1 });
});

/** A port nobody listens on now, for a hub that must come back on the same address. */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test("both example providers reconnect and register again when the hub restarts", async () => {
  const port = await freePort();
  const toml = slotsConfig();
  let second;
  let first = await startGleitzeitd(toml, port);
  try {
    const js = await startProvider("js", first.url, ["--component-id", "js-again"]);
    const py = await startProvider("py", first.url, ["--component-id", "py-again"]);
    await first.stop();
    rmSync(dirname(first.proc.spawnargs[first.proc.spawnargs.indexOf("--config") + 1]), { recursive: true });
    first = null;
    second = await startGleitzeitd(toml, port);
    await pollUntil(() => js.registrations === 2 && py.registrations === 2, "both registered again", 15000, 100);
    assert.deepEqual([js.out, py.out], ["registered as js-again\n".repeat(2), "registered as py-again\n".repeat(2)]);
    const observer = await connected(connectClient(second.url));
    try {
      const { components } = await call(observer, "list_components");
      assert.deepEqual(components.map((c) => c.component_id).sort(), ["js-again", "py-again"]);
    } finally {
      observer.close();
    }
    // Work reaches them on the new hub.
    const submitter = await connected(connectClient(second.url));
    try {
      const done = next(submitter, "workflow_completed");
      const tasks = [1, 2, 3, 4].map((i) => ({ id: `e${i}`, protocol: "echo/v1", method: "echo", params: { i } }));
      assert.equal((await call(submitter, "submit_workflow", { workflow: { id: "again", tasks } })).ok, true);
      assert.deepEqual((await done).results, { e1: { i: 1 }, e2: { i: 2 }, e3: { i: 3 }, e4: { i: 4 } });
    } finally {
      submitter.close();
    }
    for (const p of [js, py]) assert.deepEqual(await p.stop(), { code: 0, signal: null });
  } finally {
    for (const h of [first, second]) {
      if (!h) continue;
      await h.stop();
      rmSync(dirname(h.proc.spawnargs[h.proc.spawnargs.indexOf("--config") + 1]), { recursive: true, force: true });
    }
  }
});
