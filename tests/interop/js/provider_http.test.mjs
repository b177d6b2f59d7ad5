// provider-http (http/v1) in a real gleitzeitd against a Node http server on 127.0.0.1, with
// npm socket.io-client as the submitter: a workflow whose second request takes the first's
// result through ${...}, the allow list refusing a host and a redirect, the call's timeout,
// an endless body capped by max_body while the hub stays up, cancel_workflow aborting the
// request the server sees, bad params refused at submit, and hot swaps of provider-http (by a
// config reload and by swap_plugin) while calls are in flight, with every call completing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  call, connectClient, connected, health, pollUntil, q, removeTempDirs, slotOf, stagePlugins, startHub,
  writeAtomic, runWorkflow } from "./plugin_harness.mjs";

const MAX_BODY = 65536;
let hub;
let client;
let server;
let port;
const seen = []; // "METHOD /path" of every request the server took
const aborted = new Set(); // paths whose request the client aborted before the response

/** The API the provider calls: JSON items, an echo, redirects, slow and endless answers. */
function handle(req, res) {
  const url = new URL(req.url, "http://x");
  seen.push(`${req.method} ${url.pathname}`);
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const json = (status, value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const item = url.pathname.match(/^\/item\/(\d+)$/);
    if (item) return json(200, { n: Number(item[1]), name: `item ${item[1]}` });
    if (url.pathname === "/echo")
      return json(200, { got: JSON.parse(body), ua: req.headers["user-agent"], q: url.searchParams.get("q") });
    if (url.pathname === "/redirect-in") {
      res.writeHead(302, { location: "/item/5" });
      return res.end();
    }
    if (url.pathname === "/redirect-out") {
      res.writeHead(302, { location: `http://localhost:${port}/item/6` });
      return res.end();
    }
    if (url.pathname === "/sleep") {
      const timer = setTimeout(() => json(200, { slept: Number(url.searchParams.get("ms")) }), Number(url.searchParams.get("ms")));
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname === "/hang") {
      res.on("close", () => {
        if (!res.writableEnded) aborted.add(url.pathname);
      });
      return;
    }
    if (url.pathname === "/endless") {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(4096);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once("drain", pump);
      };
      return pump();
    }
    json(404, { error: "no such path" });
  });
}

let staged;

/** The hub's config: the in-process slots and one provider-http allowed only the test's server. */
function hubConfig({ userAgent } = {}) {
  const ua = userAgent ? `, user_agent = ${q(userAgent)}` : "";
  return `[plugins]\nwatch = false\n` +
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(staged.QUEUE_MEMORY_V1)}\n` +
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(staged.RESOLVER_DAG)}\n` +
    `[slots.registry]\nplugin = "registry-default"\nfile = ${q(staged.REGISTRY_DEFAULT)}\n` +
    `[[providers]]\nplugin = "provider-http"\nfile = ${q(staged.PROVIDER_HTTP)}\n` +
    `config = { allow = [${q(`127.0.0.1:${port}`)}], max_body = ${MAX_BODY}, max_redirects = 3${ua} }\n`;
}

before(async () => {
  server = createServer(handle);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  port = server.address().port;
  staged = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_HTTP"]);
  hub = await startHub(hubConfig());
  hub.staged = staged;
  client = connectClient(hub.url);
  await connected(client);
});

after(async () => {
  client?.close();
  await hub?.stop();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r()));
  removeTempDirs();
});

const run = (workflow, opts) => runWorkflow(client, workflow, opts);

const request = (id, params, more = {}) => ({ id, protocol: "http/v1", method: "request", params, ...more });
const at = (path) => `http://127.0.0.1:${port}${path}`;

/** The error of the one task_failed event of a run. */
function failure(events) {
  const failed = events.filter(([e]) => e === "task_failed");
  assert.equal(failed.length, 1, JSON.stringify(events));
  return failed[0][1].error;
}

test("a GET's JSON feeds the next request through ${...}", async () => {
  const { end } = await run({
    name: "http chain",
    tasks: [
      request("first", { url: at("/item/7") }),
      request("second", {
        method: "POST",
        url: at("/echo"),
        query: { q: "${first.result.json.name}" },
        json: { name: "${first.result.json.name}", n: "${first.result.json.n}" },
      }, { dependencies: ["first"] }),
      request("moved", { url: at("/redirect-in") }),
    ],
  });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.equal(end.results.first.status, 200);
  assert.deepEqual(end.results.first.json, { n: 7, name: "item 7" });
  assert.equal(end.results.first.headers["content-type"], "application/json");
  assert.deepEqual(end.results.second.json, {
    got: { name: "item 7", n: 7 }, ua: "gleitzeit-provider-http/1.0", q: "item 7",
  });
  assert.equal(end.results.second.url, at("/echo?q=item%207"));
  assert.deepEqual(end.results.moved.json, { n: 5, name: "item 5" });
  assert.equal(end.results.moved.url, at("/item/5"));
});

test("a host off the allow list and a redirect out of it are refused", async () => {
  const off = await run({ tasks: [request("off", { url: `http://localhost:${port}/item/1?key=k` })] });
  assert.equal(off.end.state, "failed");
  assert.deepEqual(failure(off.events), {
    code: "provider_error", message: `http://localhost:${port}/item/1 is not on the allow list`, retryable: false,
  });
  const before = seen.length;
  const out = await run({ tasks: [request("out", { url: at("/redirect-out") })] });
  assert.equal(out.end.state, "failed");
  assert.deepEqual(failure(out.events), {
    code: "provider_error",
    message: `redirect from ${at("/redirect-out")} to http://localhost:${port}/item/6 refused: not on the allow list`,
    retryable: false,
  });
  assert.deepEqual(seen.slice(before), ["GET /redirect-out"], "the redirect's target was never called");
});

test("a request over its timeout fails with code timeout", async () => {
  const t0 = Date.now();
  const { end, events } = await run({ tasks: [request("slow", { url: at("/sleep?ms=5000"), timeout: 0.3 })] });
  assert.equal(end.state, "failed");
  assert.deepEqual(failure(events), {
    code: "timeout", message: `GET ${at("/sleep")} not finished within the timeout of 300 ms`, retryable: true,
  });
  assert.ok(Date.now() - t0 < 3000, "it did not wait for the server");
});

test("an endless body is cut at max_body and the hub keeps serving", async () => {
  const { end, events } = await run({ tasks: [request("flood", { url: at("/endless") })] });
  assert.equal(end.state, "failed");
  assert.deepEqual(failure(events), {
    code: "provider_error", message: `127.0.0.1:${port}: response body over max_body (${MAX_BODY} bytes)`, retryable: false,
  });
  assert.equal((await health(hub)).status, "ok");
  const next = await run({ tasks: [request("after", { url: at("/item/3") })] });
  assert.equal(next.end.state, "completed");
  assert.deepEqual(next.end.results.after.json, { n: 3, name: "item 3" });
});

test("cancel_workflow aborts the running request at the server", async () => {
  let started;
  const isStarted = new Promise((r) => (started = r));
  const done = run({ tasks: [request("hang", { url: at("/hang") })] }, { onStarted: (p) => started(p.workflow_id) });
  const id = await isStarted;
  await pollUntil(() => seen.includes("GET /hang"), "the server got the request");
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: id }), { ok: true, workflow_id: id });
  const { end } = await done;
  assert.equal(end.state, "cancelled");
  await pollUntil(() => aborted.has("/hang"), "the server saw the request aborted", 5000);
});

test("bad params are refused at submit_workflow with invalid_workflow", async () => {
  const p = "task 'bad': http/v1 request: params.";
  const cases = [
    [{ method: "GET" }, `${p}url: required parameter is missing`],
    [{ url: at("/"), method: "FOO" }, `${p}method: 'FOO' is not one of ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]`],
    [{ url: "ftp://h/" }, `${p}url: 'ftp://h/' does not match the pattern '^[Hh][Tt][Tt][Pp][Ss]?://'`],
    [{ url: at("/"), retries: 2 }, `${p}retries: unknown parameter (the method allows only: method, url, headers, query, json, body, timeout)`],
    [{ url: at("/"), timeout: 0 }, `${p}timeout: 0 is below the minimum 0.001`],
    [{ url: at("/"), headers: "x" }, `${p}headers: expected an object, got string`],
  ];
  const before = seen.length;
  for (const [params, message] of cases) {
    const { reply } = await run({ tasks: [request("bad", params)] });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } }, JSON.stringify(params));
    
  }
});

/** Starts N calls of about 800 ms and resolves once the server has all of them. */
async function callsInFlight(N) {
  const before = seen.length;
  const done = run({
    tasks: Array.from({ length: N }, (_, i) => request(`s${i}`, { url: at(`/sleep?ms=${800 + i}`) })),
  });
  await pollUntil(() => seen.slice(before).filter((s) => s === "GET /sleep").length === N, "all calls at the server");
  return { done, before };
}

/** Every call completed with its own answer, each sent once: none lost, none repeated. */
async function assertAllSlept({ done, before }, N) {
  const { end, events } = await done;
  assert.equal(end.state, "completed", JSON.stringify(end).slice(0, 1000));
  for (let i = 0; i < N; ++i) assert.deepEqual(end.results[`s${i}`].json, { slept: 800 + i }, `s${i}`);
  assert.equal(events.filter(([e]) => e === "task_started").length, N, "each task started once");
  assert.equal(seen.slice(before).filter((s) => s === "GET /sleep").length, N, "each request sent once");
}

test("a config reload swaps provider-http while calls are in flight: every call completes", async () => {
  const N = 12;
  const flight = await callsInFlight(N);
  writeAtomic(hub.configPath, hubConfig({ userAgent: "swapped/2" }));
  const reply = await call(client, "reload_config");
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(reply.reload.ok, true, JSON.stringify(reply.reload));
  assert.equal(reply.reload.applied.length, 1, JSON.stringify(reply.reload.applied));
  assert.match(reply.reload.applied[0], /provider-http/);
  await assertAllSlept(flight, N);
  const slot = await slotOf(client, "provider:provider-http");
  assert.deepEqual(slot.generations.map((g) => [g.generation, g.state]), [[2, "active"]]);
  // The new generation serves, with the new config.
  const next = await run({ tasks: [request("new", { method: "POST", url: at("/echo"), json: { x: 1 } })] });
  assert.deepEqual(next.end.results.new.json, { got: { x: 1 }, ua: "swapped/2", q: null });
});

test("swap_plugin of provider-http while calls are in flight: every call completes", async () => {
  const N = 12;
  const flight = await callsInFlight(N);
  const r = await call(client, "swap_plugin", { slot: "provider", path: hub.staged.PROVIDER_HTTP });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.slot, "provider:provider-http");
  assert.equal(r.generations[0].generation, 3, JSON.stringify(r.generations));
  await assertAllSlept(flight, N);
});
