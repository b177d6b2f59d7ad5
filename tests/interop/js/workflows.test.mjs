// The workflow pipeline end to end in gleitzeitd, with the shipped in-process plugins
// (queue-memory, resolver-dag, provider-echo) and npm socket.io-client as the submitter:
// a DAG with ${...} substitution, refusals of invalid workflows, retries, fail_fast and
// continue, the hub's timeout, and cancelling.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  call, connectClient, connected, pollUntil, q, removeTempDirs, stagePlugins, startHub, tempDir, runWorkflow } from "./plugin_harness.mjs";

let hub;
let client;
let db;

/** Rows of the hub's SQLite file, read with Python's sqlite3. */
function sql(query) {
  const script = "import json,sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(json.dumps(c.execute(sys.argv[2]).fetchall()))";
  return JSON.parse(execFileSync("python3", ["-c", script, db, query]).toString());
}

before(async () => {
  const p = stagePlugins();
  const state = tempDir("gleitzeit-workflows-state-");
  db = join(state, "gleitzeit.db");
  hub = await startHub(
    `[state]\ndirectory = ${q(state)}\n` +
      `[plugins]\nwatch = false\n` +
      `[slots.persistence]\nplugin = "persistence-sqlite"\nfile = ${q(p.PERSISTENCE_SQLITE)}\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n` +
      `config = { max_concurrency = 4 }\n`,
  );
  client = connectClient(hub.url);
  await connected(client);
});

after(async () => {
  client?.close();
  await hub?.stop();
  removeTempDirs();
});

const run = (workflow, opts) => runWorkflow(client, workflow, opts);

const echo = (id, params, more = {}) => ({ id, protocol: "echo/v1", method: "echo", params, ...more });
const names = (events, kind) => events.filter(([e]) => e === kind).map(([, p]) => p.task_id).sort();

test("a diamond DAG runs in dependency order with ${...} substitution, keeping JSON types", async () => {
  const { id, events, end } = await run({
    name: "diamond",
    tasks: [
      echo("a", { n: 21, tag: "hi", list: [{ v: "deep" }] }),
      echo("b", { doubled: "${a.result.n}", text: "tag=${a.result.tag}" }, { dependencies: ["a"] }),
      { id: "c", protocol: "echo/v1", method: "delay", params: { ms: 30 }, dependencies: ["a"] },
      echo("d", { b: "${b.result}", slept: "${c.result.slept_ms}", deep: "${a.result.list[0].v}" },
        { dependencies: ["b", "c"] }),
    ],
  });
  assert.equal(end.state, "completed");
  assert.deepEqual(end.results, {
    a: { n: 21, tag: "hi", list: [{ v: "deep" }] },
    b: { doubled: 21, text: "tag=hi" },
    c: { slept_ms: 30 },
    d: { b: { doubled: 21, text: "tag=hi" }, slept: 30, deep: "deep" },
  });
  // Each task started once, and only after every one of its dependencies completed.
  const at = (kind, task) => events.findIndex(([e, p]) => e === kind && p.task_id === task);
  for (const [task, deps] of [["b", ["a"]], ["c", ["a"]], ["d", ["b", "c"]]])
    for (const dep of deps) assert.ok(at("task_completed", dep) < at("task_started", task), `${dep} before ${task}`);
  assert.deepEqual(names(events, "task_started"), ["a", "b", "c", "d"]);
  assert.equal(events[0][0], "workflow_started");

  const status = await call(client, "query_status", { workflow_id: id });
  assert.equal(status.workflow.state, "completed");
  assert.deepEqual(status.workflow.tasks.d, { state: "completed", attempt: 1, result: end.results.d });
});

test("invalid workflows are refused whole with the resolver's precise message", async () => {
  const cases = [
    [[echo("a", {}, { dependencies: ["b"] }), echo("b", {}, { dependencies: ["a"] })], "dependency cycle: a -> b -> a"],
    [[echo("a", {}, { dependencies: ["a"] })], "task 'a' depends on itself"],
    [[echo("a", {}, { dependencies: ["ghost"] })], "task 'a' depends on unknown task 'ghost'"],
    [[echo("a", {}), echo("a", {})], "duplicate task id 'a'"],
  ];
  for (const [tasks, message] of cases) {
    const { reply } = await run({ id: "refused-wf", tasks });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } });
    // Nothing of it was kept.
    const status = await call(client, "query_status", { workflow_id: "refused-wf" });
    assert.deepEqual(status, { ok: false, error: { code: "not_found", message: "no workflow 'refused-wf'" } });
    assert.deepEqual(sql("SELECT count(*) FROM workflows WHERE id = 'refused-wf'"), [[0]]);
    assert.deepEqual(sql("SELECT count(*) FROM tasks WHERE workflow_id = 'refused-wf'"), [[0]]);
  }
  const bad = await call(client, "submit_workflow", { workflow: { tasks: [{ id: "x", timeout_ms: "soon" }] } });
  assert.deepEqual(bad, {
    ok: false,
    error: { code: "invalid_workflow", message: "workflow.tasks[0].timeout_ms: expected an integer, got string" },
  });
});

test("tasks are checked against the registry's schemas of the providers' protocols", async () => {
  const cases = [
    [{ id: "w", protocol: "echo/v1", method: "delay", params: { ms: "soon" } }, "task 'w': echo/v1 delay: params.ms: expected an integer, got string"],
    [{ id: "v", protocol: "echo/v9", method: "echo", params: {} }, "task 'v': unknown protocol 'echo/v9' (known: echo/v1)"],
    [{ id: "m", protocol: "echo/v1", method: "ech", params: {} }, "task 'm': protocol 'echo/v1' has no method 'ech' (did you mean 'echo'?)"],
  ];
  for (const [task, message] of cases) {
    const { reply } = await run({ id: "checked-wf", tasks: [echo("ok", {}), task] });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } });
    assert.deepEqual(sql("SELECT count(*) FROM tasks WHERE workflow_id = 'checked-wf'"), [[0]]);
  }
  // A protocol nobody knows may still get a provider later: it is accepted, and waits.
  const reply = await call(client, "submit_workflow",
    { workflow: { id: "later-wf", tasks: [{ id: "x", protocol: "other/v1", method: "go" }] } });
  // Without a _correlation_id of its own, the workflow id is the one its events carry.
  assert.deepEqual(reply, { ok: true, workflow_id: "later-wf", _correlation_id: "later-wf" });
  const status = await call(client, "query_status", { workflow_id: "later-wf" });
  assert.equal(status.workflow.tasks.x.state, "ready");
  // An accepted workflow is in the file before the reply: the checks above can see rows.
  assert.deepEqual(sql("SELECT id, state FROM workflows WHERE id = 'later-wf'"), [["later-wf", "running"]]);
  // Its row stays "pending": ready is not written, since recovery makes a task ready again
  // from its dependencies' durable results (none here), and the queue is rebuilt then.
  assert.deepEqual(sql("SELECT id, state FROM tasks WHERE workflow_id = 'later-wf'"), [["later-wf/x", "pending"]]);
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: "later-wf" }), { ok: true, workflow_id: "later-wf" });
});

test("a retryable failure is retried up to max_attempts, then the task and the workflow fail", async () => {
  const retry = { max_attempts: 3, backoff: "fixed", base_delay_ms: 20, max_delay_ms: 20, jitter: 0 };
  const { events, end } = await run({
    tasks: [
      { id: "flaky", protocol: "echo/v1", method: "fail", params: { message: "boom" }, retry },
      echo("after", {}, { dependencies: ["flaky"] }),
    ],
  });
  assert.equal(end.state, "failed");
  const retrying = events.filter(([e]) => e === "task_retrying").map(([, p]) => [p.attempt, p.delay_ms]);
  assert.deepEqual(retrying, [[1, 20], [2, 20]]);
  assert.deepEqual(events.filter(([e]) => e === "task_started").map(([, p]) => p.attempt), [1, 2, 3]);
  const failed = events.find(([e]) => e === "task_failed")[1];
  assert.deepEqual(failed.error, { code: "provider_error", message: "boom", retryable: true });
  assert.ok(!names(events, "task_started").includes("after"), "a dependent of a failed task never runs");
});

test("a non-retryable failure is not retried", async () => {
  const { events, end } = await run({
    tasks: [{ id: "f", protocol: "echo/v1", method: "fail", params: { message: "no", retryable: false },
      retry: { max_attempts: 5, base_delay_ms: 10 } }],
  });
  assert.equal(end.state, "failed");
  assert.equal(events.filter(([e]) => e === "task_started").length, 1);
  assert.equal(events.filter(([e]) => e === "task_retrying").length, 0);
});

test("on_failure = continue runs the independent branch, skips the failed one's dependents", async () => {
  const { events, end } = await run({
    on_failure: "continue",
    tasks: [
      { id: "bad", protocol: "echo/v1", method: "fail", params: { message: "x", retryable: false } },
      echo("child", {}, { dependencies: ["bad"] }),
      echo("grandchild", {}, { dependencies: ["child"] }),
      { id: "slow", protocol: "echo/v1", method: "delay", params: { ms: 100 } },
      echo("other", { ok: true }, { dependencies: ["slow"] }),
    ],
  });
  assert.equal(end.state, "failed");
  assert.deepEqual(end.results, { slow: { slept_ms: 100 }, other: { ok: true } });
  assert.deepEqual(names(events, "task_skipped"), ["child", "grandchild"]);
});

test("a reference the result does not have fails its task with unresolved_reference; it never runs, its dependents are skipped", async () => {
  const { id, events, end } = await run({
    on_failure: "continue",
    tasks: [
      echo("a", { items: [1, 2], n: null }),
      echo("beyond", { x: "${a.result.items[5]}" }, { dependencies: ["a"] }),
      echo("misspelt", { x: "count: ${a.result.itemz}" }, { dependencies: ["a"] }),
      echo("after", {}, { dependencies: ["misspelt"] }),
      echo("is_null", { x: "${a.result.n}" }, { dependencies: ["a"] }),
    ],
  });
  assert.equal(end.state, "failed");
  assert.deepEqual(end.results, { a: { items: [1, 2], n: null }, is_null: { x: null } });
  const failed = Object.fromEntries(events.filter(([e]) => e === "task_failed").map(([, p]) => [p.task_id, p.error]));
  assert.deepEqual(failed, {
    beyond: { code: "unresolved_reference", message: "${a.result.items[5]}: result.items of task 'a' has 2 elements, no [5]", retryable: false },
    misspelt: { code: "unresolved_reference", message: "${a.result.itemz}: result of task 'a' has no field 'itemz' (it has items, n)", retryable: false },
  });
  assert.deepEqual(names(events, "task_skipped"), ["after"]);
  // Neither ran: no task_started for them.
  assert.deepEqual(names(events, "task_started").sort(), ["a", "is_null"]);
  const status = await call(client, "query_status", { workflow_id: id });
  assert.deepEqual(status.workflow.tasks.beyond, { state: "failed", attempt: 0, error: failed.beyond });
});

test("params that ${...} grow past max_payload fail their task, not the hub: a doubling chain stops there", async () => {
  const { events, end } = await run({
    tasks: [
      echo("a", { s: "x".repeat(300000) }),
      echo("b", { s: "${a.result.s}${a.result.s}" }, { dependencies: ["a"] }),
      echo("c", { s: "${b.result.s}${b.result.s}" }, { dependencies: ["b"] }),
      echo("d", {}, { dependencies: ["c"] }),
    ],
  });
  assert.equal(end.state, "failed");
  assert.deepEqual(Object.keys(end.results).sort(), ["a", "b"]);
  assert.equal(end.results.b.s.length, 600000);
  const failed = events.filter(([e]) => e === "task_failed").map(([, p]) => [p.task_id, p.error]);
  assert.deepEqual(failed, [["c", { code: "invalid_argument", retryable: false,
    message: "the params are 1200008 bytes of JSON once ${...} are substituted, over [server] max_payload (1000000 bytes)" }]]);
  assert.deepEqual(names(events, "task_skipped"), ["d"]);
  assert.deepEqual(names(events, "task_started"), ["a", "b"]);
});

test("the hub enforces a task's timeout", async () => {
  const t0 = Date.now();
  const { events, end } = await run({
    tasks: [{ id: "sleepy", protocol: "echo/v1", method: "delay", params: { ms: 5000 }, timeout_ms: 150 }],
  });
  assert.equal(end.state, "failed");
  const failed = events.find(([e]) => e === "task_failed")[1];
  assert.deepEqual(failed.error, { code: "timeout", message: "no result within the task's timeout", retryable: true });
  assert.ok(Date.now() - t0 < 3000, "it did not wait for the provider");
});

test("cancel_workflow cancels pending and executing tasks", async () => {
  let resolveStarted;
  const started = new Promise((r) => (resolveStarted = r));
  const done = run({
    tasks: [
      { id: "long", protocol: "echo/v1", method: "delay", params: { ms: 10000 } },
      echo("next", {}, { dependencies: ["long"] }),
    ],
  }, { onStarted: (p) => resolveStarted(p.workflow_id) });
  const id = await started;
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: id }), { ok: true, workflow_id: id });
  const { end } = await done;
  assert.equal(end.state, "cancelled");
  const status = await call(client, "query_status", { workflow_id: id });
  assert.equal(status.workflow.state, "cancelled");
  assert.equal(status.workflow.tasks.long.state, "cancelled");
  assert.equal(status.workflow.tasks.next.state, "cancelled");
  const again = await call(client, "cancel_workflow", { workflow_id: id });
  assert.deepEqual(again, { ok: false, error: { code: "invalid_argument", message: `workflow '${id}' is cancelled` } });
});

// Finished workflows do not pile up in memory: the hub keeps the newest [state] keep_finished
// of them in memory, and forgets older ones, whose rows stay in the database: query_status
// lists only those in memory, and reads a forgotten one back from the database.
test("the hub keeps only the newest keep_finished finished workflows; the database keeps all", async () => {
  const p = stagePlugins();
  const state = tempDir("gleitzeit-keep-state-");
  const small = await startHub(
    `[state]\ndirectory = ${q(state)}\nkeep_finished = 2\n` +
      `[plugins]\nwatch = false\n` +
      `[slots.persistence]\nplugin = "persistence-sqlite"\nfile = ${q(p.PERSISTENCE_SQLITE)}\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n`,
  );
  const c = connectClient(small.url);
  try {
    await connected(c);
    for (const id of ["keep-1", "keep-2", "keep-3"]) {
      const done = new Promise((resolve) => c.on("workflow_completed", (w) => w.workflow_id === id && resolve(w)));
      const reply = await call(c, "submit_workflow", { workflow: { id, tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: { id } }] } });
      assert.equal(reply.ok, true);
      assert.deepEqual((await done).results, { a: { id } });
    }
    // The forgetting follows the last save of the third: poll briefly for it.
    let list;
    for (let i = 0; i < 50; ++i) {
      list = (await call(c, "query_status", {})).workflows.map((w) => [w.id, w.state]);
      if (list.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(list, [["keep-2", "completed"], ["keep-3", "completed"]]);
    assert.deepEqual(await call(c, "query_status", { workflow_id: "keep-1" }), {
      ok: true,
      workflow: { id: "keep-1", name: "", state: "completed", tasks: { a: { state: "completed", attempt: 1, result: { id: "keep-1" } } } },
    });
    assert.equal((await call(c, "query_status", { workflow_id: "keep-2" })).workflow.tasks.a.result.id, "keep-2");
    const file = join(state, "gleitzeit.db");
    const rows = JSON.parse(execFileSync("python3", ["-c",
      "import json,sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(json.dumps(c.execute(\"SELECT w.id, w.state, r.ok FROM workflows w JOIN results r ON r.task_id = w.id || '/a' ORDER BY w.id\").fetchall()))",
      file]).toString());
    assert.deepEqual(rows, [["keep-1", "completed", 1], ["keep-2", "completed", 1], ["keep-3", "completed", 1]]);
  } finally {
    c.close();
    await small.stop();
  }
});

test("rooms workflows and tasks are asked for: a default client is not in them, observer_rooms: true and join_room put it there; watch: end sends only workflow_* events", async () => {
  const plain = await connected(connectClient(hub.url));
  const own = await connected(connectClient(hub.url, undefined, { auth: { observer_rooms: false } }));
  const ends = await connected(connectClient(hub.url, undefined, { auth: { observer_rooms: false } }));
  const observer = await connected(connectClient(hub.url, undefined, { auth: { observer_rooms: true } }));
  const seen = { plain: [], own: [], ends: [], observer: [] };
  for (const [name, c] of Object.entries({ plain, own, ends, observer }))
    c.onAny((event, p) => seen[name].push([event, p.workflow_id]));
  try {
    // Another client's workflow: the observer sees it; the default client and the two that
    // opted out see nothing.
    const other = await run({ tasks: [echo("a", { text: "x" })] });
    const otherId = other.id;
    assert.equal(other.end.state, "completed");
    // Their own workflows: all events with the default watch, workflow_* only with "end".
    const mine = await call(own, "submit_workflow", { workflow: { tasks: [echo("a", { text: "y" })] } });
    const endOnly = await call(ends, "submit_workflow", { watch: "end", workflow: { tasks: [echo("a", { text: "z" })] } });
    await pollUntil(() => seen.ends.some(([e]) => e === "workflow_completed") &&
      seen.own.some(([e]) => e === "workflow_completed") &&
      seen.observer.some(([e, id]) => e === "workflow_completed" && id === endOnly.workflow_id), "the workflows completed", 10000, 10);
    assert.deepEqual(seen.own.map(([e, id]) => [e, id === mine.workflow_id]),
      [["workflow_started", true], ["task_started", true], ["task_completed", true], ["workflow_completed", true]]);
    assert.deepEqual(seen.ends, [["workflow_started", endOnly.workflow_id], ["workflow_completed", endOnly.workflow_id]]);
    assert.ok(seen.observer.some(([e, id]) => e === "task_completed" && id === endOnly.workflow_id), "the observer sees every workflow");
    assert.ok(seen.observer.some(([e, id]) => e === "task_completed" && id === otherId));
    assert.deepEqual(seen.plain, [], "a default client is in no room that carries workflows");
    assert.ok(!seen.own.some(([, id]) => id === otherId) && !seen.ends.some(([, id]) => id === otherId));
    // join_room tasks: task events only; leave_room ends them.
    assert.deepEqual(await call(plain, "join_room", { room: "tasks" }), { ok: true, room: "tasks" });
    const joined = await run({ tasks: [echo("a", { text: "j" })] });
    await pollUntil(() => seen.plain.some(([e, id]) => e === "task_completed" && id === joined.id), "task_completed in room tasks", 10000, 10);
    assert.deepEqual(seen.plain.map(([e]) => e), ["task_started", "task_completed"]);
    assert.deepEqual(await call(plain, "leave_room", { room: "tasks" }), { ok: true, room: "tasks" });
    await run({ tasks: [echo("a", { text: "k" })] });
    assert.equal(seen.plain.length, 2, "nothing after leave_room");
    for (const bad of [undefined, {}, { room: "workflow:x" }, { room: 7 }])
      assert.deepEqual(await call(plain, "join_room", bad), { ok: false, error: { code: "invalid_argument",
        message: "join_room needs {room}: one of workflows, tasks, components, plugins" } });
  } finally {
    for (const c of [plain, own, ends, observer]) c.close();
  }
});
