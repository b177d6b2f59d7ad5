// Remote slots end to end: gleitzeitd with [slots.<slot>] remote = true and the small JS
// components of remote_components.mjs in the queue, resolver, registry and persistence
// slots, the in-process provider-echo serving echo/v1. For each slot: the component fills
// it (list_plugins, /health), a DAG workflow completes with the exact results, and the
// component saw exactly the events the pipeline owes it. Also: the refusals (a slot not
// configured remote, a slot filled already), a remote queue that goes mid-workflow and a
// new one that takes over without a task lost, and all four remote with [server] threads = 1.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { call, health, nextEvent, pollUntil, q, removeTempDirs, sleep, slotOf, stagePlugins, startHub } from "./plugin_harness.mjs";
import { startPersistence, startQueue, startRegistry, startResolver } from "./remote_components.mjs";
import { io } from "socket.io-client";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PLUGINS = { queue: ["queue-memory", "QUEUE_MEMORY_V1"], resolver: ["resolver-dag", "RESOLVER_DAG"], registry: ["registry-default", "REGISTRY_DEFAULT"] };

/** A config with `remote` slots remote, the other stateful slots as shipped plugins, provider-echo. */
function config(remote, { threads, echoConcurrency = 4, remoteTimeout } = {}) {
  const p = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_ECHO"]);
  let toml = `[server]\nheartbeat_interval = 500\n${threads ? `threads = ${threads}\n` : ""}[plugins]\nwatch = false\n` +
    (remoteTimeout ? `remote_timeout = ${remoteTimeout}\n` : "");
  for (const slot of ["queue", "resolver", "registry", "persistence"]) {
    if (remote.includes(slot)) toml += `[slots.${slot}]\nremote = true\n`;
    else if (PLUGINS[slot]) toml += `[slots.${slot}]\nplugin = "${PLUGINS[slot][0]}"\nfile = ${q(p[PLUGINS[slot][1]])}\n`;
  }
  return toml + `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\nconfig = { max_concurrency = ${echoConcurrency} }\n`;
}

const hubs = [];
const components = [];
async function hubWith(remote, opts) {
  const hub = await startHub(config(remote, opts));
  hubs.push(hub);
  return { hub, client: await hub.connect() };
}
/** Keeps `c` to be closed after the test; asserts it was let in. */
function registered(c, type) {
  components.push(c);
  assert.deepEqual(c.reply, { ok: true, component_id: c.id, component_type: type, heartbeat_interval_ms: 500 });
  return c;
}

afterEach(async () => {
  for (const c of components.splice(0)) c.close();
  for (const h of hubs.splice(0)) await h.stop();
});
after(removeTempDirs);

/**
 * `n` echo/v1 tasks: t00..; each depends on the tasks 3 and 7 before it (when there are
 * such), priorities mixed. `method` "delay" makes each take `ms`.
 */
function dag(n, { method = "echo", ms = 0 } = {}) {
  const id = (i) => `t${String(i).padStart(2, "0")}`;
  return Array.from({ length: n }, (_, i) => ({
    id: id(i),
    protocol: "echo/v1",
    method,
    params: method === "delay" ? { ms } : { i, tag: `task ${i}` },
    dependencies: [i - 3, i - 7].filter((d) => d >= 0).map(id),
    priority: ["low", "normal", "high", "urgent"][i % 4],
  }));
}
const expected = (tasks) =>
  Object.fromEntries(tasks.map((t) => [t.id, t.method === "delay" ? { slept_ms: t.params.ms } : t.params]));

/** Submits and resolves with {id, end, events} once the workflow ends; events of this workflow only. */
async function run(client, workflow, { onEvent } = {}) {
  const events = [];
  let id;
  const early = [];
  let done;
  const ended = new Promise((resolve) => (done = resolve));
  const take = (event, p) => {
    if (p.workflow_id !== id) return;
    events.push([event, p]);
    onEvent?.(event, p);
    if (["workflow_completed", "workflow_failed", "workflow_cancelled"].includes(event)) done(p);
  };
  const listener = (event, p) => (p && typeof p === "object" ? (id === undefined ? early.push([event, p]) : take(event, p)) : 0);
  client.onAny(listener);
  try {
    const reply = await call(client, "submit_workflow", { workflow });
    if (!reply.ok) return { reply };
    id = reply.workflow_id;
    for (const [e, p] of early.splice(0)) take(e, p);
    const end = await Promise.race([
      ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`workflow ${id} did not end within 30 s`)), 30000)),
    ]);
    return { reply, id, end, events };
  } finally {
    client.offAny(listener);
  }
}

/** What `c` was sent as `event`, in order. */
const sent = (c, event) => c.seen.filter(([e]) => e === event).map(([, p]) => p);
/** The routing fields (docs/architecture.md, "Events") on every event the hub sent `c`. */
function assertStamped(c) {
  assert.ok(c.seen.length > 0);
  for (const [event, p] of c.seen) {
    assert.equal(p._source_component, "hub", event);
    assert.match(p._timestamp, ISO, event);
  }
}

test("a remote queue fills the queue slot, gets every task once, and runs a workflow to its exact results", async () => {
  const { hub, client } = await hubWith(["queue"]);
  const queue = registered(await startQueue(hub.url, "queue-a"), "queue");

  // list_plugins and /health show the slot as remote, with the component's id and version.
  const slot = await slotOf(client, "queue");
  assert.equal(slot.kind, "queue");
  assert.equal(slot.generations.length, 1);
  const { loaded_at, ...gen } = slot.generations[0];
  assert.match(loaded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(gen, { generation: 1, name: "queue-a", version: "1.0.0", file: "", state: "active", in_flight: 0, remote: true, component_id: "queue-a" });
  assert.deepEqual((await health(hub)).slots.find((s) => s.slot === "queue"), slot);

  const tasks = dag(30);
  const { id, end, events } = await run(client, { name: "remote queue", tasks });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, expected(tasks));
  assert.equal(events.filter(([e]) => e === "task_started").length, 30);

  // Every task was enqueued exactly once, with its qualified id, and handed out exactly once.
  const enqueued = sent(queue, "enqueue_task").map((p) => p.task.id).sort();
  assert.deepEqual(enqueued, tasks.map((t) => `${id}/${t.id}`).sort());
  const handed = sent(queue, "request_next_task").length;
  assert.ok(handed >= 30, `request_next_task ${handed} times`);
  assert.deepEqual(sent(queue, "request_next_task")[0].protocols, ["echo/v1"]);
  assert.equal(queue.size(), 0);
  const first = sent(queue, "enqueue_task")[0].task;
  assert.equal(first.protocol, "echo/v1");
  assert.equal(first.workflow_id, id);
  assert.equal(first.state, "ready");
  assertStamped(queue);

  // The admin events reach the remote queue too.
  assert.deepEqual(await call(client, "list_queue", {}), { ok: true, size: 0, tasks: [] });

  // A second queue component is refused while queue-a fills the slot; a resolver is refused
  // because its slot is not configured remote. Neither is listed.
  const second = await startQueue(hub.url, "queue-b");
  components.push(second);
  assert.equal(second.reply.ok, false);
  assert.equal(second.reply.error.code, "invalid_argument");
  assert.match(second.reply.error.message, /^register_component: the queue slot is filled already, by remote component queue-a 1\.0\.0 \(generation 1\)$/);
  const resolver = await startResolver(hub.url, "resolver-x");
  components.push(resolver);
  assert.deepEqual(resolver.reply, {
    ok: false,
    error: { code: "invalid_argument", message: "register_component: the resolver slot is not configured remote (config: [slots.resolver] remote = true)" },
  });
  const listed = (await call(client, "list_components")).components.map((c) => c.component_id).sort();
  assert.deepEqual(listed, ["provider-echo", "queue-a"]);
  assert.equal(sent(second, "enqueue_task").length + sent(resolver, "analyze_workflow").length, 0);

  // When the component goes, the slot empties.
  const gone = nextEvent(client, "component_disconnected", (p) => p.component_id === "queue-a");
  queue.close();
  assert.deepEqual({ ...(await gone), _timestamp: 0 }, { component_id: "queue-a", component_type: "queue", requeued: 0, _source_component: "hub", _timestamp: 0 });
  assert.equal(await slotOf(client, "queue"), undefined);
});

test("a remote resolver analyzes, releases and forgets; its refusal reaches the submitter as it said it", async () => {
  const { hub, client } = await hubWith(["resolver"]);
  const resolver = registered(await startResolver(hub.url, "resolver-a"), "resolver");
  assert.equal((await slotOf(client, "resolver")).generations[0].component_id, "resolver-a");

  const tasks = dag(30);
  const { id, end } = await run(client, { name: "remote resolver", tasks });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, expected(tasks));

  const analyzed = sent(resolver, "analyze_workflow");
  assert.equal(analyzed.length, 1);
  assert.equal(analyzed[0].workflow.id, id);
  assert.equal(analyzed[0]._correlation_id, id);
  assert.deepEqual(analyzed[0].workflow.tasks.map((t) => [t.id, t.dependencies]), tasks.map((t) => [t.id, t.dependencies]));
  // Each task's result once, with the workflow's own task id and the echoed params, all of
  // them before the workflow is forgotten.
  await pollUntil(() => sent(resolver, "forget_workflow").length >= 1, "forget_workflow at the resolver", 5000);
  const order = resolver.seen.map(([e]) => e).filter((e) => e === "task_completed" || e === "forget_workflow");
  assert.deepEqual(order, [...Array(30).fill("task_completed"), "forget_workflow"]);
  const completed = sent(resolver, "task_completed");
  assert.deepEqual(completed.map((p) => p.result.task_id).sort(), tasks.map((t) => t.id));
  for (const p of completed) {
    assert.equal(p.workflow_id, id);
    assert.deepEqual(p.result.result, expected(tasks)[p.result.task_id]);
  }
  assert.deepEqual(sent(resolver, "forget_workflow").map((p) => p.workflow_id), [id]);
  assertStamped(resolver);

  const refused = await run(client, { id: "bad", tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: {}, dependencies: ["ghost"] }] });
  assert.deepEqual(refused.reply, { ok: false, error: { code: "invalid_workflow", message: "task 'a' depends on unknown task 'ghost'" } });
  assert.deepEqual(await call(client, "query_status", { workflow_id: "bad" }), { ok: false, error: { code: "not_found", message: "no workflow 'bad'" } });
});

test("[plugins] remote_timeout bounds the wait for a silent remote component", async () => {
  const { hub, client } = await hubWith(["resolver"], { remoteTimeout: 400 });
  // Registers as the resolver, then never answers analyze_workflow.
  const silent = io(hub.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  components.push({ close: () => silent.close() });
  await new Promise((r) => silent.once("connect", r));
  const reg = await silent.timeout(5000).emitWithAck("register_component", { component_type: "resolver", component_id: "mute", version: "1.0.0" });
  assert.equal(reg.ok, true, JSON.stringify(reg));
  const t0 = Date.now();
  const reply = await call(client, "submit_workflow", { workflow: { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: {} }] } });
  const took = Date.now() - t0;
  assert.equal(reply.ok, false, JSON.stringify(reply));
  assert.equal(reply.error.code, "timeout", JSON.stringify(reply));
  assert.ok(took >= 350 && took < 3000, `refused after ${took} ms, with remote_timeout 400`);
});

test("a remote resolver that replaces one that left mid-run is told the running workflow; it completes", async () => {
  const { hub, client } = await hubWith(["resolver"]);
  const first = registered(await startResolver(hub.url, "resolver-a"), "resolver");
  const tasks = [
    { id: "t0", protocol: "echo/v1", method: "delay", params: { ms: 400 } },
    { id: "t1", protocol: "echo/v1", method: "echo", params: { n: 1 }, dependencies: ["t0"] },
    { id: "t2", protocol: "echo/v1", method: "echo", params: { n: 2 }, dependencies: ["t1"] },
  ];
  let second;
  const { id, end } = await run(client, { name: "resolver replaced", tasks }, {
    onEvent: (event, p) => {
      // The first resolver goes while t0 runs; the next registers before t0's result comes.
      if (event === "task_started" && p.task_id === "t0") {
        first.close();
        setTimeout(async () => (second = registered(await startResolver(hub.url, "resolver-b"), "resolver")), 100);
      }
    },
  });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.deepEqual(end.results, { t0: { slept_ms: 400 }, t1: { n: 1 }, t2: { n: 2 } });
  // The second was told the workflow when t0's result reached it, then released the rest.
  assert.deepEqual(sent(second, "analyze_workflow").map((p) => p.workflow.id), [id]);
  assert.ok(sent(second, "task_completed").some((p) => p.result.task_id === "t0"));
  assert.equal(sent(first, "task_completed").length, 0);
});

test("a remote registry learns the providers, checks every task, and refuses what it does not know", async () => {
  const { hub, client } = await hubWith(["registry"]);
  const registry = registered(await startRegistry(hub.url, "registry-a"), "registry");
  // Filling the slot gives it the in-process providers at once.
  await pollUntil(() => registry.providers.has("provider-echo"), "provider-echo registered with the remote registry");
  assert.deepEqual(registry.providers.get("provider-echo"), { id: "provider-echo", protocols: ["echo/v1"], max_concurrency: 4 });
  assert.deepEqual(registry.protocols.get("echo/v1").methods.map((m) => m.name), ["echo", "delay", "fail"]);

  const tasks = dag(30);
  const before = sent(registry, "validate_call").length;
  const { end } = await run(client, { name: "remote registry", tasks });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, expected(tasks));
  const checked = sent(registry, "validate_call").slice(before);
  assert.deepEqual(checked.map((p) => [p.protocol, p.method, p.params]), tasks.map((t) => ["echo/v1", "echo", t.params]));
  // It chose the provider of every task, once each, and was told of each start.
  assert.deepEqual(sent(registry, "find_provider").map((p) => p.protocol), tasks.map(() => "echo/v1"));
  const starts = sent(registry, "track_load").filter((p) => p.delta === 1);
  assert.deepEqual(starts.map((p) => p.provider_id), tasks.map(() => "provider-echo"));
  assertStamped(registry);

  const refused = await run(client, { tasks: [{ id: "x", protocol: "echo/v1", method: "nope", params: {} }] });
  assert.deepEqual(refused.reply, { ok: false, error: { code: "invalid_workflow", message: "task 'x': echo/v1 has no method 'nope'" } });
  const missing = await run(client, { tasks: [{ id: "y", protocol: "echo/v1", method: "delay", params: {} }] });
  assert.deepEqual(missing.reply, { ok: false, error: { code: "invalid_workflow", message: "task 'y': delay: params.ms is missing" } });
});

test("a remote persistence that registers after the start is read for recovery: its unfinished workflow runs to the end", async () => {
  const { hub, client } = await hubWith(["persistence"]);
  // What a store kept of a hub that died: "a" completed with its result, "b" pending on it.
  const saved = {
    id: "old-1", name: "left over", state: "running",
    tasks: [
      { id: "old-1/a", workflow_id: "old-1", protocol: "echo/v1", method: "echo", params: { n: 7 }, state: "completed", attempt: 1 },
      { id: "old-1/b", workflow_id: "old-1", protocol: "echo/v1", method: "echo", params: { x: "${a.result.n}" }, dependencies: ["a"], state: "pending", attempt: 0 },
    ],
  };
  const batches = [];
  const store = io(hub.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  components.push({ close: () => store.close() });
  store.on("query_data", ({ query, task_id }, ack) => {
    if (query === "unfinished_workflows") return ack({ ok: true, workflows: batches.length ? [] : [saved] });
    const result = task_id === "old-1/a" ? { task_id, result: { n: 7 }, provider: "provider-echo", duration_ms: 1 } : null;
    ack({ ok: true, result });
  });
  store.on("save_batch", (batch, ack) => {
    batches.push(batch);
    ack({ ok: true });
  });
  await new Promise((r) => store.once("connect", r));
  const reg = await store.timeout(5000).emitWithAck("register_component", { component_type: "persistence", component_id: "late-store", version: "1.0.0" });
  assert.equal(reg.ok, true, JSON.stringify(reg));
  let status;
  await pollUntil(async () => {
    status = await call(client, "query_status", { workflow_id: "old-1" });
    return status.ok && status.workflow.state === "completed";
  }, "old-1 taken up and completed", 10000, 50);
  assert.deepEqual(status.workflow.tasks.b, { state: "completed", attempt: 1, result: { x: 7 } });
  assert.deepEqual(status.workflow.tasks.a.result, { n: 7 });
  // The store saw b's result saved, once.
  const results = batches.flatMap((b) => b.results ?? []).filter((r) => r.task_id === "old-1/b");
  assert.deepEqual(results.map((r) => r.result), [{ x: 7 }]);
});

test("a remote persistence gets every change in batches: the workflow, each task's last state, each result", async () => {
  const { hub, client } = await hubWith(["persistence"]);
  const store = registered(await startPersistence(hub.url, "store-a"), "persistence");
  const tasks = dag(30);
  const { id, end } = await run(client, { name: "remote persistence", tasks });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, expected(tasks));

  // The workflow with its 30 tasks was saved first; its end state last.
  const batches = sent(store, "save_batch");
  const saved = batches.flatMap((b) => b.workflows).filter((w) => w.id === id);
  assert.equal(saved[0].tasks.length, 30);
  assert.deepEqual(saved[0].tasks.map((t) => t.id).sort(), tasks.map((t) => `${id}/${t.id}`).sort());
  assert.equal(saved.at(-1).state, "completed");
  // Each task's last saved state is completed; each result was saved once, as echoed.
  const last = new Map();
  for (const t of batches.flatMap((b) => b.tasks)) last.set(t.id, t.state);
  for (const t of tasks) assert.equal(last.get(`${id}/${t.id}`), "completed", t.id);
  const results = batches.flatMap((b) => b.results);
  assert.deepEqual(results.map((r) => r.task_id).sort(), tasks.map((t) => `${id}/${t.id}`).sort());
  for (const r of results) assert.deepEqual(r.result, expected(tasks)[r.task_id.slice(id.length + 1)]);
  // The event log: every progress event the room got, workflow_completed once.
  const logged = batches.flatMap((b) => b.events).filter((e) => e.workflow_id === id);
  assert.equal(logged.filter((e) => e.event === "workflow_completed").length, 1);
  assert.equal(logged.filter((e) => e.event === "task_completed").length, 30);
  assertStamped(store);
});

test("a remote queue that goes mid-workflow loses no task: the next one gets the ready ones back", async () => {
  const { hub, client } = await hubWith(["queue"], { echoConcurrency: 2 });
  const first = registered(await startQueue(hub.url, "queue-a"), "queue");
  const tasks = dag(40, { method: "delay", ms: 15 });
  let swapped;
  let completedCount = 0;
  const swap = new Promise((resolve, reject) => (swapped = { resolve, reject }));
  const running = run(client, { name: "queue goes", tasks }, {
    onEvent(event) {
      if (event !== "task_completed" || ++completedCount !== 10) return;
      (async () => {
        const gone = nextEvent(client, "component_disconnected", (p) => p.component_id === "queue-a");
        first.close();
        await gone;
        assert.equal(await slotOf(client, "queue"), undefined);
        // Tasks running meanwhile finish and release others: the queue's calls wait.
        await sleep(200);
        const next = registered(await startQueue(hub.url, "queue-b"), "queue");
        return next;
      })().then(swapped.resolve, swapped.reject);
    },
  });
  const [{ id, end, events }, second] = await Promise.all([running, swap]);
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.deepEqual(end.results, expected(tasks));
  assert.deepEqual(events.filter(([e]) => ["task_failed", "task_retrying", "task_skipped"].includes(e)), []);
  // Each task ran exactly once: none lost with queue-a, none run twice.
  const started = events.filter(([e]) => e === "task_started").map(([, p]) => p.task_id).sort();
  assert.deepEqual(started, tasks.map((t) => t.id).sort());
  // queue-a got the first tasks; queue-b the rest, among them what queue-a held when it went.
  const a = new Set(sent(first, "enqueue_task").map((p) => p.task.id));
  const b = new Set(sent(second, "enqueue_task").map((p) => p.task.id));
  assert.ok(a.size >= 10 && b.size >= 1, `queue-a ${a.size}, queue-b ${b.size}`);
  for (const t of tasks) assert.ok(a.has(`${id}/${t.id}`) || b.has(`${id}/${t.id}`), t.id);
  assert.equal(second.size(), 0);
  assert.equal((await slotOf(client, "queue")).generations[0].component_id, "queue-b");
});

test("all four slots remote with [server] threads = 1: a workflow completes, each component saw its part", async () => {
  const { hub, client } = await hubWith(["queue", "resolver", "registry", "persistence"], { threads: 1 });
  const store = registered(await startPersistence(hub.url, "store-1"), "persistence");
  const registry = registered(await startRegistry(hub.url, "registry-1"), "registry");
  const resolver = registered(await startResolver(hub.url, "resolver-1"), "resolver");
  const queue = registered(await startQueue(hub.url, "queue-1"), "queue");
  const kinds = (await call(client, "list_plugins")).slots.filter((s) => s.kind !== "provider");
  assert.deepEqual(kinds.map((s) => [s.slot, s.generations[0].component_id]).sort(), [
    ["persistence", "store-1"], ["queue", "queue-1"], ["registry", "registry-1"], ["resolver", "resolver-1"],
  ]);
  await pollUntil(() => registry.providers.has("provider-echo"), "provider-echo registered with the remote registry");

  const tasks = dag(25);
  const { id, end } = await run(client, { name: "all remote", tasks });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, expected(tasks));
  const qualified = tasks.map((t) => `${id}/${t.id}`).sort();
  assert.deepEqual(sent(queue, "enqueue_task").map((p) => p.task.id).sort(), qualified);
  // The workflow ends once its last result is durable; that result may reach the resolver
  // just after (see the first test).
  await pollUntil(() => sent(resolver, "task_completed").length >= 25, "25 task_completed at the resolver", 5000);
  assert.deepEqual(sent(resolver, "task_completed").map((p) => p.result.task_id).sort(), tasks.map((t) => t.id));
  assert.equal(sent(registry, "validate_call").length, 25);
  assert.deepEqual(sent(store, "save_batch").flatMap((b) => b.results).map((r) => r.task_id).sort(), qualified);
  // The event loop was never held: the hub still answers at once.
  assert.deepEqual(await call(client, "echo", 1, 2000), 1);
});
