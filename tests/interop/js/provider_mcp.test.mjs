// provider-mcp (mcp/v1) in a real gleitzeitd with npm socket.io-client as the submitter and
// real MCP servers: @modelcontextprotocol/server-everything over stdio, the SDK-made HTTP
// fixture (tests/fixtures/mcp_http_server.mjs) over Streamable HTTP, and a stdio server that
// writes garbage (tests/fixtures/mcp_garbage_server.mjs). Covered: tool calls end to end with
// exact results (SSE and JSON answers), a tool's inputSchema refusing bad arguments at submit,
// progress reaching the room, isError, a tool name two servers share, a forgotten HTTP
// session, tools/list_changed, resources and prompts, a killed server respawned, garbage on
// stdout, cancel and timeout reaching the server as notifications/cancelled, and a hot swap
// of provider-mcp while calls are in flight.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  call, connectClient, connected, health, pollUntil, q, removeTempDirs, stagePlugins, startHub, writeAtomic, runWorkflow } from "./plugin_harness.mjs";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures");
const nodeModules = process.env.NODE_PATH;
const everything = join(nodeModules ?? "", "@modelcontextprotocol", "server-everything", "dist", "index.js");

let hub;
let client;
let web; // the HTTP fixture answering in SSE streams: {proc, port, lines}
let webJson; // the same answering in JSON bodies; its tools have web's names

/** An HTTP fixture; resolves once it printed its port. Its later stdout lines are kept. */
function startWeb(...args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(fixtures, "mcp_http_server.mjs"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = [];
    let buffered = "";
    let port;
    proc.stdout.on("data", (d) => {
      buffered += d;
      const parts = buffered.split("\n");
      buffered = parts.pop();
      lines.push(...parts);
      if (lines.length && !port) resolve({ proc, port: (port = Number(lines[0])), lines });
    });
    proc.once("exit", (code) => reject(new Error(`mcp_http_server.mjs exited with ${code}`)));
  });
}

const servers = () =>
  `[{ name = "everything", transport = "stdio", command = [${q(process.execPath)}, ${q(everything)}, "stdio"] }, ` +
  `{ name = "web", transport = "http", url = ${q(`http://127.0.0.1:${web.port}/mcp`)} }, ` +
  `{ name = "junk", transport = "stdio", command = [${q(process.execPath)}, ${q(join(fixtures, "mcp_garbage_server.mjs"))}] }, ` +
  `{ name = "webjson", transport = "http", url = ${q(`http://127.0.0.1:${webJson.port}/mcp`)} }]`;

/** The hub's config; a different call_timeout makes a reload swap provider-mcp. */
const hubConfig = (p, callTimeout) =>
  `[plugins]\nwatch = false\n` +
  `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
  `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
  `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
  `[[providers]]\nplugin = "provider-mcp"\nfile = ${q(p.PROVIDER_MCP)}\n` +
  `config = { servers = ${servers()}, call_timeout = ${callTimeout}, restart_backoff = { initial = 100, max = 1000 } }\n`;

before(async () => {
  if (!nodeModules) throw new Error("NODE_PATH is not set (run the test through ctest)");
  web = await startWeb();
  webJson = await startWeb("--json");
  const p = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_MCP"]);
  hub = await startHub(hubConfig(p, 20000));
  hub.staged = p;
  client = connectClient(hub.url);
  await connected(client);
  // Each server's tools are methods once the registry refuses bad arguments with their schema.
  await registered("tool.echo", "task 'probe': mcp/v1 tool.echo: params.message: required parameter is missing");
  await registered("tool.join", "task 'probe': mcp/v1 tool.join: params.a: required parameter is missing");
  await registered("tool.shout", "task 'probe': mcp/v1 tool.shout: params.text: required parameter is missing");
  await registered("tool.webjson.join", "task 'probe': mcp/v1 tool.webjson.join: params.a: required parameter is missing");
});

after(async () => {
  client?.close();
  await hub?.stop();
  for (const w of [web, webJson].filter(Boolean)) {
    const exited = new Promise((r) => (w.proc.exitCode !== null ? r() : w.proc.once("exit", r)));
    w.proc.kill("SIGTERM");
    await exited;
  }
  removeTempDirs();
});

const run = (workflow, opts) => runWorkflow(client, workflow, opts);

const mcp = (id, method, params, more = {}) => ({ id, protocol: "mcp/v1", method, params, ...more });
const text = (t) => [{ type: "text", text: t }];

/**
 * Waits until `method` is registered with its schema: a task with no params is refused with
 * `message`. A probe the hub took (mcp/v1 not registered yet: it waits in the queue) is
 * cancelled at once.
 */
async function registered(method, message) {
  await pollUntil(async () => {
    const reply = await call(client, "submit_workflow", { workflow: { tasks: [mcp("probe", method, {})] } });
    if (reply.ok) await call(client, "cancel_workflow", { workflow_id: reply.workflow_id });
    return !reply.ok && reply.error.message === message;
  }, `${method} registered`, 20000, 100);
}

/** The error of the one task_failed event of a run. */
function failure(events) {
  const failed = events.filter(([e]) => e === "task_failed");
  assert.equal(failed.length, 1, JSON.stringify(events));
  return failed[0][1].error;
}

/** The pid of the latest start of stdio server `name` in the hub's log, after `from`. */
function pidOf(name, from = 0) {
  const all = [...hub.log.slice(from).matchAll(new RegExp(`server '${name}' started \\(pid (\\d+)\\)`, "g"))];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
}

test("server-everything over stdio: tool.echo fed by tool.get-sum through ${...}", async () => {
  const { end } = await run({
    name: "mcp chain",
    tasks: [
      mcp("sum", "tool.get-sum", { a: 19, b: 23 }),
      mcp("say", "tool.echo", { message: "the sum said: ${sum.result.result}" }, { dependencies: ["sum"] }),
    ],
  });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.deepEqual(end.results.sum, { content: text("The sum of 19 and 23 is 42."), result: "The sum of 19 and 23 is 42." });
  assert.deepEqual(end.results.say, {
    content: text("Echo: the sum said: The sum of 19 and 23 is 42."),
    result: "Echo: the sum said: The sum of 19 and 23 is 42.",
  });
});

test("a tool's inputSchema refuses bad arguments at submit", async () => {
  const cases = [
    [mcp("sum", "tool.get-sum", { a: "one", b: 2 }), "task 'sum': mcp/v1 tool.get-sum: params.a: expected a number, got string"],
    [mcp("sum", "tool.get-sum", { a: 1 }), "task 'sum': mcp/v1 tool.get-sum: params.b: required parameter is missing"],
    [mcp("j", "tool.join", { a: "x", b: "y", c: "z" }), "task 'j': mcp/v1 tool.join: params.c: unknown parameter (the method allows only: a, b)"],
    [mcp("r", "resource.read", {}), "task 'r': mcp/v1 resource.read: params.uri: required parameter is missing"],
  ];
  for (const [task, message] of cases) {
    const { reply } = await run({ tasks: [task] });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } }, JSON.stringify(task));
  }
  // The registry names what there is: the fixed methods, then each server's tools in order.
  const { reply } = await run({ tasks: [mcp("n", "tool.nope", {})] });
  assert.equal(reply.error.code, "invalid_workflow");
  assert.match(reply.error.message, /^task 'n': protocol 'mcp\/v1' has no method 'tool\.nope' \(it has: resources\.list, resource\.read, prompts\.list, prompt\.get, tool\.echo, .*tool\.get-sum, .*tool\.join, tool\.fail, tool\.slow, tool\.weather, tool\.add_tool, .*tool\.shout, tool\.flood, tool\.webjson\.join, tool\.webjson\.fail, tool\.webjson\.slow, tool\.webjson\.weather, tool\.webjson\.add_tool\)$/);
});

test("progress of a long-running tool reaches the room as task_progress, stdio and HTTP", async () => {
  const { end, events } = await run({
    tasks: [
      mcp("long", "tool.trigger-long-running-operation", { duration: 0.8, steps: 4 }),
      mcp("slow", "tool.slow", { steps: 3, ms: 100 }),
    ],
  });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.equal(end.results.long.result, "Long running operation completed. Duration: 0.8 seconds, Steps: 4.");
  assert.equal(end.results.slow.result, "done after 3 steps");
  const progress = (task) =>
    events.filter(([e, p]) => e === "task_progress" && p.task_id === task).map(([, p]) => {
      const { workflow_id, task_id, _source_component, _timestamp, _correlation_id, ...rest } = p;
      return rest;
    });
  assert.deepEqual(progress("long"), [1, 2, 3, 4].map((i) => ({ progress: i, total: 4 })));
  assert.deepEqual(progress("slow"), [1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i}` })));
  // All of it while the task ran.
  for (const task of ["long", "slow"]) {
    const last = events.findLastIndex(([e, p]) => e === "task_progress" && p.task_id === task);
    const done = events.findIndex(([e, p]) => e === "task_completed" && p.task_id === task);
    assert.ok(last < done, `${task}: progress before completion`);
  }
});

test("the HTTP server: a call end to end, structuredContent, isError fails the task", async () => {
  const ok = await run({ tasks: [mcp("j", "tool.join", { a: "foo", b: "bar" }), mcp("w", "tool.weather", {})] });
  assert.equal(ok.end.state, "completed", JSON.stringify(ok.end));
  assert.deepEqual(ok.end.results.j, { content: text("foobar"), result: "foobar" });
  assert.deepEqual(ok.end.results.w, {
    content: text('{"temperature":21}'), result: { temperature: 21 }, structuredContent: { temperature: 21, unit: "C" },
  });
  const bad = await run({ tasks: [mcp("f", "tool.fail", { reason: "the disk is full" })] });
  assert.equal(bad.end.state, "failed");
  assert.deepEqual(failure(bad.events), { code: "provider_error", message: "the disk is full", retryable: false });
});

test("a tool name two servers share: the first keeps it, the later one's is tool.<server>.<name>", async () => {
  const { end } = await run({ tasks: [mcp("first", "tool.join", { a: "a", b: "1" }), mcp("second", "tool.webjson.join", { a: "b", b: "2" })] });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.equal(end.results.first.result, "a1");
  assert.equal(end.results.second.result, "b2"); // from the server that answers in JSON bodies
  assert.ok(hub.log.includes("tool 'join' of server 'webjson' is also a tool of server 'web', which keeps tool.join; this one is tool.webjson.join"));
});

test("an HTTP server that forgot the session: the call fails retryable, the session starts over", async () => {
  const forgot = await fetch(`http://127.0.0.1:${web.port}/forget`, { method: "POST" });
  assert.equal(forgot.status, 200);
  const sessions = web.lines.filter((l) => l.startsWith("session ")).length;
  const { end, events } = await run({
    tasks: [mcp("j", "tool.join", { a: "again", b: "!" }, { retry: { max_attempts: 3, base_delay_ms: 300, jitter: 0 } })],
  });
  assert.equal(end.state, "completed", JSON.stringify(events));
  assert.equal(end.results.j.result, "again!");
  const retrying = events.filter(([e]) => e === "task_retrying").map(([, p]) => p.error);
  assert.equal(retrying.length, 1, JSON.stringify(retrying));
  assert.equal(retrying[0].code, "provider_error");
  assert.equal(retrying[0].retryable, true);
  assert.match(retrying[0].message, /^MCP server 'web' went away: the server does not know session [0-9a-f-]+ any more \(HTTP 404\)$/);
  assert.equal(web.lines.filter((l) => l.startsWith("session ")).length, sessions + 1, "one new session");
});

test("tools/list_changed: a tool the server adds becomes a method", async () => {
  const { end } = await run({ tasks: [mcp("add", "tool.add_tool", { name: "greet" })] });
  assert.equal(end.state, "completed", JSON.stringify(end));
  assert.equal(end.results.add.result, "added greet");
  await registered("tool.greet", "task 'probe': mcp/v1 tool.greet: params.text: required parameter is missing");
  const greet = await run({ tasks: [mcp("g", "tool.greet", { text: "hi" })] });
  assert.deepEqual(greet.end.results.g, { content: text("greet: hi"), result: "greet: hi" });
});

test("resources and prompts of server-everything", async () => {
  const uri = "demo://resource/static/document/architecture.md";
  const { end } = await run({
    tasks: [
      mcp("list", "resources.list", { server: "everything" }),
      mcp("read", "resource.read", { uri }),
      mcp("prompt", "prompt.get", { name: "simple-prompt" }),
    ],
  });
  assert.equal(end.state, "completed", JSON.stringify(end).slice(0, 2000));
  assert.ok(end.results.list.resources.some((r) => r.uri === uri), JSON.stringify(end.results.list).slice(0, 500));
  assert.equal(end.results.read.contents.length, 1);
  assert.equal(end.results.read.contents[0].uri, uri);
  assert.equal(end.results.read.result, end.results.read.contents[0].text);
  assert.match(end.results.read.result, /^# /);
  assert.deepEqual(end.results.prompt.messages, [
    { role: "user", content: { type: "text", text: "This is a simple prompt without arguments." } },
  ]);
});

test("a killed stdio server is restarted; the call it was running fails retryable and is retried", async () => {
  const pid = pidOf("everything");
  assert.ok(pid, "the hub logged the server's pid");
  const from = hub.log.length;
  let killed = false;
  const { end, events } = await run(
    {
      tasks: [mcp("long", "tool.trigger-long-running-operation", { duration: 1, steps: 2 },
        { retry: { max_attempts: 2, base_delay_ms: 50, jitter: 0 } })],
    },
    {
      onEvent: (event) => {
        if (event === "task_progress" && !killed) {
          killed = true;
          process.kill(pid, "SIGKILL");
        }
      },
    },
  );
  assert.equal(end.state, "completed", JSON.stringify(events));
  const retrying = events.filter(([e]) => e === "task_retrying").map(([, p]) => p.error);
  assert.deepEqual(retrying, [{
    code: "provider_error", message: "MCP server 'everything' went away: the process was killed by signal 9", retryable: true,
  }]);
  const next = pidOf("everything", from);
  assert.ok(next && next !== pid, `a new server process (${next}) replaced ${pid}`);
  const again = await run({ tasks: [mcp("say", "tool.echo", { message: "back" })] });
  assert.equal(again.end.results.say.result, "Echo: back");
});

test("a server writing garbage: lines skipped and logged, a flood restarts it, the hub stays up", async () => {
  const from = hub.log.length;
  const ok = await run({ tasks: [mcp("s", "tool.shout", { text: "hi" }), mcp("t", "tool.shout", { text: "ho" }, { dependencies: ["s"] })] });
  assert.deepEqual(ok.end.results.s, { content: text("HI"), result: "HI" });
  assert.deepEqual(ok.end.results.t, { content: text("HO"), result: "HO" });
  // The server writes one of its junk lines before every answer, in turn (initialize,
  // tools/list, at the hub's start, and the two calls make four). The log comes through the
  // hub's standard error, which may reach this process after the workflow's end came over the
  // socket: each line is waited for, in the whole log.
  for (const line of [
    "(not JSON (syntax error)), skipped: this is not JSON",
    "(not JSON (incomplete JSON)), skipped: {\"broken\": ",
    "(batch element 0: not a JSON object), skipped: [1, 2, 3]",
    "('jsonrpc' is not \"2.0\"), skipped: {\"jsonrpc\": \"1.0\", \"id\": 1}",
  ])
    await hub.waitForLog(`server 'junk' wrote a line that is not JSON-RPC ${line}\n`, 0);
  const pid = pidOf("junk");
  const flood = await run({ tasks: [mcp("f", "tool.flood", { lines: 150 })] });
  assert.equal(flood.end.state, "failed");
  assert.deepEqual(failure(flood.events), {
    code: "provider_error",
    message: "MCP server 'junk' went away: the process was killed: 100 lines in a row on stdout were not JSON-RPC",
    retryable: true,
  });
  await pollUntil(() => (pidOf("junk", from) ?? pid) !== pid, "junk restarted");
  assert.equal((await health(hub)).status, "ok");
  const again = await run({ tasks: [mcp("s2", "tool.shout", { text: "again" })] });
  assert.equal(again.end.results.s2.result, "AGAIN");
});

test("cancel_workflow and the task's timeout reach the server as notifications/cancelled", async () => {
  let progressed;
  const firstProgress = new Promise((r) => (progressed = r));
  const running = run({ tasks: [mcp("slow", "tool.slow", { steps: 100, ms: 50 })] }, {
    onEvent: (event, p) => event === "task_progress" && progressed(p.workflow_id),
  });
  const id = await firstProgress;
  const seen = web.lines.length;
  assert.deepEqual(await call(client, "cancel_workflow", { workflow_id: id }), { ok: true, workflow_id: id });
  assert.equal((await running).end.state, "cancelled");
  await pollUntil(() => web.lines.slice(seen).some((l) => l.startsWith("cancelled ")), "the server saw the cancel", 5000);

  const before = web.lines.length;
  const timed = await run({ tasks: [mcp("t", "tool.slow", { steps: 100, ms: 50 }, { timeout_ms: 400 })] });
  assert.equal(timed.end.state, "failed");
  assert.equal(failure(timed.events).code, "timeout");
  await pollUntil(() => web.lines.slice(before).some((l) => l.startsWith("cancelled ")), "the server saw the timeout's cancel", 5000);
});

test("provider-mcp swapped while calls are in flight: every call completes", async () => {
  // A reload with a changed config swaps the provider with that config (swap_plugin would
  // start the new generation with an empty one, which provider-mcp refuses: no servers).
  const N = 6;
  let started = 0;
  let swapped;
  const running = run({ tasks: Array.from({ length: N }, (_, i) => mcp(`s${i}`, "tool.slow", { steps: 10, ms: 100 })) }, {
    onEvent: (event) => {
      if (event === "task_started" && ++started === N) {
        writeAtomic(hub.configPath, hubConfig(hub.staged, 20001));
        swapped = call(client, "reload_config");
      }
    },
  });
  const { end } = await running;
  const r = await swapped;
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(r.reload.applied, ["providers: swap provider-mcp"]);
  assert.equal(end.state, "completed", JSON.stringify(end).slice(0, 1000));
  for (let i = 0; i < N; ++i) assert.equal(end.results[`s${i}`].result, "done after 10 steps", `s${i}`);
  // The new generation starts its own servers and serves once they listed their tools.
  const next = await run({ tasks: [mcp("say", "tool.echo", { message: "new" }), mcp("j", "tool.join", { a: "n", b: "ew" })] });
  assert.equal(next.end.state, "completed", JSON.stringify(next.end));
  assert.equal(next.end.results.say.result, "Echo: new");
  assert.equal(next.end.results.j.result, "new");
});
