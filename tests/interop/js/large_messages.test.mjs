// Large results and the heartbeat (issue 20): a 50 MB task result broadcast to ten
// socket.io-client clients must not cost any of them its connection, with heartbeats short
// enough that a ping held behind the result would show; and a result over [server]
// max_payload fails its task with a clear error instead of being sent (docs/events.md,
// "Components"). The results come from provider-echo, which returns its params.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { call, connected, q, removeTempDirs, stagePlugins, startHub } from "./plugin_harness.mjs";

const CLIENTS = 10;
const ENDS = ["workflow_completed", "workflow_failed", "workflow_cancelled"];

let hub;

afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

after(() => removeTempDirs());

/** gleitzeitd with the in-process plugins and provider-echo; `server`: lines of [server]. */
async function startEchoHub(server) {
  const p = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_ECHO"]);
  return startHub(
    `[server]\n${server}` +
      `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n`,
  );
}

/**
 * `v` with every string over 1000 characters replaced by {length}: the test keeps no 50 MB
 * copies alive, which would slow its own clients (`.length` still reads the same).
 */
const shrink = (v) =>
  typeof v === "string"
    ? v.length > 1000 ? { length: v.length } : v
    : Array.isArray(v)
      ? v.map(shrink)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shrink(x)]))
        : v;

/**
 * `n` connected clients, each in rooms "workflows" and "tasks" (observer_rooms: true),
 * each recording its disconnects with their reasons, every progress event it gets and
 * when it handled each ping. They share this one Node process, so each takes longer to
 * take in a large message than a client with a process of its own would.
 */
async function observers(n) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = hub.client(undefined, { auth: { observer_rooms: true } });
    c.disconnects = [];
    c.events = [];
    c.pings = []; // when it handled each ping: its own heartbeat budget runs from there
    c.io.on("ping", () => c.pings.push(Date.now()));
    c.on("disconnect", (reason, details) => c.disconnects.push(details?.description?.message ?? reason));
    c.onAny((event, payload) => c.events.push([event, shrink(payload), Date.now()]));
    clients.push(c);
  }
  await Promise.all(clients.map((c) => connected(c)));
  return clients;
}

/** Resolves once every client got the end of workflow `id` or was disconnected. */
function allEnded(clients, id, ms) {
  const done = (c) => c.disconnects.length > 0 || c.events.some(([e, p]) => ENDS.includes(e) && p?.workflow_id === id);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const check = () => {
      if (clients.every(done)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`not every client saw the end of ${id} within ${ms} ms`));
      setTimeout(check, 50);
    };
    check();
  });
}

/** gleitzeit_sessions_closed_total by reason, from /metrics. */
async function closeReasons() {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^gleitzeit_sessions_closed_total\{reason="([^"]*)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const event = (c, name, id) => c.events.find(([e, p]) => e === name && p?.workflow_id === id)?.[1];

test("a 50 MB result reaches ten clients with short heartbeats, and none is disconnected", async (t) => {
  const size = 50 * 1000 * 1000;
  // Short next to the default heartbeats (25 s / 20 s), and long enough for what one Node
  // process needs to take in ten copies of two 50 MB messages on two cores: its event loop
  // is then blocked for seconds, and its clients handled pings up to 3.4 s apart at
  // 1000/2000 ms and 4.5 s at 1500/3000, at the edge of their own budget of ping_interval +
  // ping_timeout. (Before the fix, 1000/2000 dropped 1 to 6 of the ten in each of five
  // runs.) Beside the other tests of `make test` one client handled pings 6.5 s apart and
  // closed the connection itself at 1000/6000 (2026-12-08): its budget is now 13 s, and the
  // hub still pings every second through the transfer. The hub's side of the rule is checked
  // without such noise in tests/unit/sio/heartbeat_test.cpp.
  hub = await startEchoHub(`max_payload = ${64 * 1024 * 1024}\nping_interval = 1000\nping_timeout = 12000\n`);
  const clients = await observers(CLIENTS);
  const started = Date.now();
  const reply = await call(clients[0], "submit_workflow", {
    workflow: { id: "big", tasks: [{ id: "t", protocol: "echo/v1", method: "echo", params: { data: "x".repeat(size) } }] },
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  await allEnded(clients, "big", 120000);
  t.diagnostic(`all ended after ${Date.now() - started} ms`);
  // A few heartbeats more: a session the result starved would be closed by now.
  await sleep(3000);

  const reasons = await closeReasons();
  const dropped = clients.map((c, i) => [i, c.disconnects]).filter(([, d]) => d.length);
  const gaps = clients.map((c) => Math.max(...c.pings.slice(1).map((at, k) => at - c.pings[k])));
  t.diagnostic(`clients disconnected: ${dropped.length} ${JSON.stringify(dropped)}; hub's close reasons: ${JSON.stringify(reasons)}`);
  t.diagnostic(`longest time between two pings a client handled: ${Math.max(...gaps)} ms`);
  for (const [i, c] of clients.entries()) {
    const done = event(c, "task_completed", "big");
    const end = event(c, "workflow_completed", "big");
    assert.equal(done?.result?.data?.length, size, `client ${i} got the whole task_completed`);
    assert.equal(end?.results?.t?.data?.length, size, `client ${i} got the whole workflow_completed`);
  }
  assert.deepEqual(dropped, [], "no client was disconnected");
  assert.equal(reasons["ping timeout"] ?? 0, 0, "the hub closed no session for a ping timeout");
  assert.ok(clients.every((c) => c.connected));
});

// An echo's result is its params, so with provider-echo the params are what goes over first:
// the result's own bound (a provider whose answer is larger than what it was sent) is
// tests/unit/hub/providers_test.cpp's.
test("params over max_payload once substituted fail their task with a clear error; no client is disconnected", async (t) => {
  hub = await startEchoHub(""); // max_payload: the default, 1,000,000 bytes
  const clients = await observers(CLIENTS);
  // The submission stays under the limit; b's params, two copies of a's result, go over it.
  const half = "y".repeat(600 * 1000);
  const reply = await call(clients[0], "submit_workflow", {
    workflow: {
      id: "over",
      tasks: [
        { id: "a", protocol: "echo/v1", method: "echo", params: { s: half } },
        { id: "b", protocol: "echo/v1", method: "echo", params: { x: "${a.result.s}", y: "${a.result.s}" }, dependencies: ["a"], retry: { max_attempts: 3, base_delay_ms: 10 } },
      ],
    },
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  await allEnded(clients, "over", 30000);
  await sleep(500);

  for (const [i, c] of clients.entries()) {
    assert.equal(event(c, "task_completed", "over")?.task_id, "a", `client ${i} got a's result`);
    const failed = event(c, "task_failed", "over");
    assert.equal(failed?.task_id, "b", `client ${i} got b's failure`);
    assert.equal(failed.error.code, "invalid_argument");
    assert.equal(failed.error.retryable, false);
    assert.match(failed.error.message, /^the params are 1200\d+ bytes of JSON once \$\{\.\.\.\} are substituted, over \[server\] max_payload \(1000000 bytes\)$/);
    assert.equal(event(c, "task_retrying", "over"), undefined, `client ${i}: no retry of a result too large`);
    assert.equal(event(c, "workflow_failed", "over")?.state, "failed");
  }
  const status = await call(clients[1], "query_status", { workflow_id: "over" });
  assert.equal(status.workflow.state, "failed");
  assert.equal(status.workflow.tasks.b.state, "failed");
  assert.equal(status.workflow.tasks.b.attempt, 0, "b was never sent");
  assert.match(status.workflow.tasks.b.error.message, /max_payload/);
  assert.equal(status.workflow.tasks.a.result.s.length, half.length);

  const dropped = clients.map((c, i) => [i, c.disconnects]).filter(([, d]) => d.length);
  t.diagnostic(`clients disconnected: ${dropped.length}; hub's close reasons: ${JSON.stringify(await closeReasons())}`);
  assert.deepEqual(dropped, [], "no client was disconnected");
  assert.ok(clients.every((c) => c.connected));
});
