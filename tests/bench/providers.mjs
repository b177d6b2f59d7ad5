// The provider rows of `make bench`: python/v1, llm/v1 and mcp/v1 served by their plugins in
// gleitzeitd (with the shipped slot plugins and a persistence file), driven by a real
// socket.io-client, each beside the same work done without the hub in the same run:
//   python/v1  calls/s of trivial inline code on 2 warm workers, and the latency of one call
//              at a time; reference: the same code through warm python3 processes over JSON
//              lines, driven from here.
//   llm/v1     a non-streamed generate against tests/fixtures/llm_server.mjs, one at a time;
//              reference: the same request over a keep-alive HTTP connection from here. And a
//              streamed one: the time from the fixture writing the first chunk (llm_stamp.mjs)
//              to its arrival here as task_progress; reference: as the first chunk of a direct
//              HTTP response.
//   mcp/v1     tool.echo calls/s on @modelcontextprotocol/server-everything over stdio, 16 in
//              flight; reference: the SDK's own Client, 16 in flight.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Agent, request } from "node:http";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { hubClient, percentiles, sequentialCalls, startChild, startHub, stopChild, toml, trackPid } from "./bench_hub.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const EVERYTHING = join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const FIXTURE = join(ROOT, "tests/fixtures/llm_server.mjs");

/** The provider plugins of build directory `build`. */
export const providerPlugins = (build) => ({
  python: join(build, "plugins/provider-python/provider-python.so"),
  llm: join(build, "plugins/provider-llm/provider-llm.so"),
  mcp: join(build, "plugins/provider-mcp/provider-mcp.so"),
});

/** The sizes of the runs; quick mode is for trying the bench, not for figures. */
const sizes = (quick) => ({
  pythonTasks: quick ? 2000 : 6000,
  sequential: quick ? 100 : 400,
  direct: quick ? 1000 : 4000,
  mcpCalls: quick ? 1000 : 4000,
});

// ---- python/v1
const PY_CODE = "result = 1";
// The reference backend: a warm python3 answering one JSON line per call, as a worker does,
// with the code run the same way (exec with a fresh namespace), minus the hub.
const PY_DIRECT = [
  "import json, sys",
  "for line in sys.stdin:",
  "    call = json.loads(line)",
  "    scope = {}",
  "    exec(call['code'], scope)",
  "    sys.stdout.write(json.dumps({'id': call['id'], 'result': scope.get('result')}) + '\\n')",
].join("\n");

/** A warm python3 driven over JSON lines: call(code) resolves with its result. */
function directPython() {
  const p = startChild("python3", ["-I", "-u", "-c", PY_DIRECT]);
  const waiting = new Map();
  let next = 0;
  createInterface({ input: p.stdout }).on("line", (line) => {
    const r = JSON.parse(line);
    waiting.get(r.id).res(r.result);
    waiting.delete(r.id);
  });
  let gone = null;
  const fail = (why) => {
    gone = new Error(`the direct python3 ${why}`);
    for (const w of waiting.values()) w.rej(gone);
    waiting.clear();
  };
  p.once("exit", (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
  p.once("error", (e) => fail(`could not start: ${e.message}`));
  p.stdin.on("error", () => {}); // EPIPE after a death: the exit above reports it
  const call = (code) =>
    new Promise((res, rej) => {
      if (gone) return rej(gone);
      const id = next++;
      waiting.set(id, { res, rej });
      p.stdin.write(JSON.stringify({ id, code }) + "\n");
    });
  return { call, stop: () => (p.stdin.end(), stopChild(p)) };
}

/**
 * One-task workflows on a hub with `providers`, one at a time, each beside a `direct()` call
 * (which resolves with its ms) in turn, so that a drift of the shared machine weighs on both:
 * {hub, direct, overhead} as {p50, p99} ms, overhead from the pairs' differences.
 */
async function latencyFigures({ gleitzeitd, plugins, providers, task, check, n, direct, persistence = true }) {
  const hub = await startHub(gleitzeitd, plugins, providers, { persistence });
  let client;
  try {
    client = await hubClient(hub.url);
    const viaHub = async () => (await sequentialCalls(client, task, 1, check))[0];
    const [ours, ref] = [[], []];
    for (let i = -20; i < n; i++) { // the first 20 pairs warm both up and are not counted
      let h, d; // which goes first alternates, so neither always finds the other's wake
      if (i % 2) (h = await viaHub()), (d = await direct());
      else (d = await direct()), (h = await viaHub());
      if (i >= 0) ours.push(h), ref.push(d);
    }
    const overhead = ours.map((t, i) => t - ref[i]);
    return { hub: percentiles(ours), direct: percentiles(ref), overhead: percentiles(overhead) };
  } finally {
    client?.close();
    await hub.stop();
  }
}

const PY_TASK = { protocol: "python/v1", method: "execute", params: { code: PY_CODE } };
const pyCheck = (r) => {
  if (r?.result !== 1) throw new Error(`python/v1: wrong result ${JSON.stringify(r)}`);
};

/** Calls/s of `n` calls on two warm python3 processes, each with one call at a time, as the
 * pool's two workers have. */
async function directPythonRate(n) {
  const workers = [directPython(), directPython()];
  try {
    for (const w of workers) for (let i = 0; i < 50; i++) await w.call(PY_CODE); // warm
    const t0 = performance.now();
    await Promise.all(workers.map(async (w) => {
      for (let i = 0; i < n / 2; i++) if ((await w.call(PY_CODE)) !== 1) throw new Error("direct python: wrong result");
    }));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** Calls/s of one workflow of `n` independent tasks on provider-python. */
async function hubPythonRate({ gleitzeitd, plugins, providers, n, persistence = true }) {
  const hub = await startHub(gleitzeitd, plugins, providers, { persistence });
  let client;
  try {
    client = await hubClient(hub.url);
    await sequentialCalls(client, PY_TASK, 20, pyCheck); // warm: registration, workers
    const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, ...PY_TASK }));
    const t0 = performance.now();
    const { end } = await client.run({ name: "bench python", tasks });
    const elapsed = performance.now() - t0;
    if (Object.keys(end.results).length !== n) throw new Error("python/v1: results missing");
    Object.values(end.results).forEach(pyCheck);
    return n / (elapsed / 1000);
  } finally {
    client?.close();
    await hub.stop();
  }
}

async function pythonFigures({ gleitzeitd, plugins, size }) {
  const providers = `[[providers]]\nplugin = "provider-python"\nfile = ${toml(plugins.python)}\nconfig = { workers = 2 }\n`;
  const load = { gleitzeitd, plugins, providers, n: size.pythonTasks };
  const rate = { hub: await hubPythonRate(load), volatile: await hubPythonRate({ ...load, persistence: false }),
    direct: await directPythonRate(size.direct) };
  const backend = directPython();
  try {
    const direct = async () => {
      const t0 = performance.now();
      if ((await backend.call(PY_CODE)) !== 1) throw new Error("direct python: wrong result");
      return performance.now() - t0;
    };
    const seq = { gleitzeitd, plugins, providers, task: PY_TASK, check: pyCheck, n: size.sequential, direct };
    return { rate, ...(await latencyFigures(seq)), volatile: await latencyFigures({ ...seq, persistence: false }) };
  } finally {
    await backend.stop();
  }
}

// ---- llm/v1
const PROMPT = "how fast is the hub";
const ANSWER = `echo: ${PROMPT}`;
const LLM_TASK = { protocol: "llm/v1", method: "generate", params: { prompt: PROMPT } };
const llmCheck = (r) => {
  if (r?.response !== ANSWER) throw new Error(`llm/v1: wrong answer ${JSON.stringify(r)}`);
};

/** The fixture with first-chunk stamps: {port, stamps (hrtime ns, in order), stop()}. */
async function startFixture() {
  const p = startChild(process.execPath, ["--import", join(HERE, "llm_stamp.mjs"), FIXTURE, "--port", "0"]);
  const stamps = [];
  createInterface({ input: p.stderr }).on("line", (line) => {
    const m = line.match(/^first_chunk (\d+)$/);
    if (m) stamps.push(BigInt(m[1]));
  });
  const port = await new Promise((res, rej) => {
    createInterface({ input: p.stdout }).once("line", (line) => res(JSON.parse(line).port));
    p.once("exit", (code) => rej(new Error(`the LLM fixture exited with ${code}`)));
  });
  return { port, stamps, stop: () => stopChild(p) };
}

/** The stamp of answer number `index`: its line may come after the answer, on another pipe. */
async function stampOf(stamps, index) {
  for (let waited = 0; stamps.length <= index; waited++) {
    if (waited > 1000) throw new Error("the fixture did not stamp a streamed answer");
    await new Promise((r) => setTimeout(r, 1));
  }
  if (stamps.length !== index + 1) throw new Error("the fixture stamped more answers than were asked for");
  return stamps[index];
}

/** POST /api/generate straight to the fixture: {first (hrtime of the first body chunk), text}. */
function directGenerate(agent, port, stream) {
  const body = JSON.stringify({ model: "llama3.2", prompt: PROMPT, stream });
  return new Promise((res, rej) => {
    const req = request({ host: "127.0.0.1", port, path: "/api/generate", method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (r) => {
      let first, text = "";
      r.setEncoding("utf8");
      r.on("data", (d) => ((first ??= process.hrtime.bigint()), (text += d)));
      r.on("end", () => res({ first, text }));
    });
    req.on("error", rej);
    req.end(body);
  });
}

const llmProvider = (plugins, port, stream) =>
  `[[providers]]\nplugin = "provider-llm"\nfile = ${toml(plugins.llm)}\n` +
  `config = { backend = "ollama", url = "http://127.0.0.1:${port}", default_model = "llama3.2", ` +
  `stream = ${stream}, health_interval = 0 }\n`;

/**
 * Streamed generates, one at a time, in turn through the hub and straight to the fixture: the
 * ms from the fixture's first chunk to its arrival here, as task_progress or as body.
 */
async function firstChunkFigures({ gleitzeitd, plugins, fixture, agent, n }) {
  let firstProgress = null;
  const hub = await startHub(gleitzeitd, plugins, llmProvider(plugins, fixture.port, true));
  let client;
  try {
    client = await hubClient(hub.url, { onProgress: (p) => p.index === 0 && (firstProgress ??= process.hrtime.bigint()) });
    const ms = async (f) => {
      const before = fixture.stamps.length;
      const arrived = await f();
      return Number(arrived - (await stampOf(fixture.stamps, before))) / 1e6;
    };
    const viaHub = () => ms(async () => {
      firstProgress = null;
      await sequentialCalls(client, LLM_TASK, 1, llmCheck);
      if (firstProgress === null) throw new Error("llm/v1: a streamed answer sent no task_progress");
      return firstProgress;
    });
    const direct = () => ms(async () => (await directGenerate(agent, fixture.port, true)).first);
    const [ours, ref] = [[], []];
    for (let i = -20; i < n; i++) {
      const [h, d] = [await viaHub(), await direct()];
      if (i >= 0) ours.push(h), ref.push(d);
    }
    return { hub: percentiles(ours), direct: percentiles(ref) };
  } finally {
    client?.close();
    await hub.stop();
  }
}

async function llmFigures({ gleitzeitd, plugins, size }) {
  const fixture = await startFixture();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const direct = async () => {
      const t0 = performance.now();
      const { text } = await directGenerate(agent, fixture.port, false);
      if (JSON.parse(text).response !== ANSWER) throw new Error(`direct generate: wrong answer ${text}`);
      return performance.now() - t0;
    };
    const n = size.sequential;
    const seq = { gleitzeitd, plugins, providers: llmProvider(plugins, fixture.port, false), task: LLM_TASK, check: llmCheck, n, direct };
    const first = await firstChunkFigures({ gleitzeitd, plugins, fixture, agent, n });
    return { ...(await latencyFigures(seq)), volatile: await latencyFigures({ ...seq, persistence: false }), first };
  } finally {
    agent.destroy();
    await fixture.stop();
  }
}

// ---- mcp/v1
const MCP_IN_FLIGHT = 16;

async function directMcpFigures(n) {
  const client = new Client({ name: "gleitzeit-bench", version: "1.0.0" });
  const transport = new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, "stdio"], stderr: "ignore" });
  await client.connect(transport);
  const untrack = trackPid(transport.pid);
  try {
    const echo = async (message) => {
      const r = await client.callTool({ name: "echo", arguments: { message } });
      if (r.content?.[0]?.text !== `Echo: ${message}`) throw new Error(`direct MCP: wrong answer ${JSON.stringify(r)}`);
    };
    for (let i = 0; i < 50; i++) await echo(`warm ${i}`);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: MCP_IN_FLIGHT }, async () => {
      while (next < n) await echo(`m${next++}`);
    }));
    return { calls_per_s: n / ((performance.now() - t0) / 1000) };
  } finally {
    await client.close();
    untrack();
  }
}

async function mcpFigures({ gleitzeitd, plugins, size }) {
  const direct = await directMcpFigures(size.mcpCalls);
  const servers = `[{ name = "everything", transport = "stdio", command = [${toml(process.execPath)}, ${toml(EVERYTHING)}, "stdio"] }]`;
  const hub = await startHub(gleitzeitd, plugins,
    `[[providers]]\nplugin = "provider-mcp"\nfile = ${toml(plugins.mcp)}\nconfig = { servers = ${servers}, max_concurrency = ${MCP_IN_FLIGHT} }\n`);
  let client;
  try {
    client = await hubClient(hub.url);
    const task = (i) => ({ id: `m${i}`, protocol: "mcp/v1", method: "tool.echo", params: { message: `m${i}` } });
    // A task waits in the queue until the server's tools are registered: the warm-up waits too.
    await client.run({ name: "bench mcp warm", tasks: Array.from({ length: 50 }, (_, i) => task(i)) });
    const tasks = Array.from({ length: size.mcpCalls }, (_, i) => task(i));
    const t0 = performance.now();
    const { end } = await client.run({ name: "bench mcp", tasks });
    const elapsed = performance.now() - t0;
    tasks.forEach((t) => {
      if (end.results[t.id]?.result !== `Echo: ${t.id}`) throw new Error(`mcp/v1: wrong result ${JSON.stringify(end.results[t.id])}`);
    });
    return { direct, hub: { calls_per_s: tasks.length / (elapsed / 1000) } };
  } finally {
    client?.close();
    await hub.stop();
  }
}

// ---- all three
const ms2 = (x) => x.toFixed(2);

/** Runs every provider's loads; `plugins` holds the slot plugins and providerPlugins(). */
export async function providerFigures({ gleitzeitd, plugins, quick, log }) {
  const size = sizes(quick);
  const python = await pythonFigures({ gleitzeitd, plugins, size });
  log(`python/v1: ${python.rate.hub.toFixed(0)} calls/s via the hub, ${python.rate.direct.toFixed(0)} direct; one at a time ` +
    `p50 ${ms2(python.hub.p50)} ms via the hub, ${ms2(python.direct.p50)} ms direct`);
  const llm = await llmFigures({ gleitzeitd, plugins, size });
  log(`llm/v1: p50 ${ms2(llm.hub.p50)} ms via the hub, ${ms2(llm.direct.p50)} ms direct; first chunk p50 ` +
    `${ms2(llm.first.hub.p50)} ms via the hub, ${ms2(llm.first.direct.p50)} ms direct`);
  const mcp = await mcpFigures({ gleitzeitd, plugins, size });
  log(`mcp/v1: ${mcp.hub.calls_per_s.toFixed(0)} calls/s via the hub, ${mcp.direct.calls_per_s.toFixed(0)} with the SDK client`);
  return { python, llm, mcp, size };
}

/**
 * The rows, for run.mjs's table: `row(figure, ours, reference, target)` with target
 * [text, ok(ours)] on our own figure, or undefined.
 */
export function providerRows({ python, llm, mcp, size }, row) {
  const atMost = (v, text) => [text, (x) => x <= v];
  const n = size.pythonTasks.toLocaleString("en-US");
  row(`python/v1 via gleitzeitd, 2 warm workers, ${n} tasks of \`result = 1\`: calls/s`, python.rate.hub,
    python.rate.direct, ["≥ 2,000", (x) => x >= 2000]);
  row("  same, hub without persistence-sqlite: calls/s", python.rate.volatile, python.rate.direct);
  row("python/v1, one call at a time: p50 ms from submission to task_completed", python.hub.p50, python.direct.p50);
  row("  same: p99 ms", python.hub.p99, python.direct.p99);
  row("  python/v1 hub overhead, one at a time: p50 ms (ours − direct, paired)", python.overhead.p50, undefined, atMost(1, "≤ 1 ms"));
  row("  same: p99 ms", python.overhead.p99, undefined);
  row("  same, hub without persistence-sqlite: p50 ms", python.volatile.overhead.p50, undefined);
  row("llm/v1 generate on the fixture server, one at a time: p50 ms", llm.hub.p50, llm.direct.p50);
  row("  same: p99 ms", llm.hub.p99, llm.direct.p99);
  row("  llm/v1 hub overhead, one at a time: p50 ms (ours − direct, paired)", llm.overhead.p50, undefined, atMost(0.5, "≤ 0.5 ms"));
  row("  same: p99 ms", llm.overhead.p99, undefined);
  row("  same, hub without persistence-sqlite: p50 ms", llm.volatile.overhead.p50, undefined);
  row("llm/v1 streamed: first chunk, fixture's write to the client's receipt: p50 ms", llm.first.hub.p50, llm.first.direct.p50);
  row("  llm/v1 streamed first chunk: p99 ms", llm.first.hub.p99, llm.first.direct.p99, atMost(5, "≤ 5 ms"));
  row(`mcp/v1 tool.echo on server-everything (stdio), ${MCP_IN_FLIGHT} in flight: calls/s`, mcp.hub.calls_per_s,
    mcp.direct.calls_per_s);
}

/** The paragraph of docs/benchmarks.md that says what the provider rows measure. */
export const PROVIDERS_DOC = `Providers (tests/bench/providers.mjs): \`gleitzeitd\` with the same slot plugins and one provider;
one run each (not a median); in these rows **node** is the same work done without the hub, in
the same run, and the targets are on our own figure. python/v1:
provider-python with 2 warm workers, a workflow of independent \`result = 1\` tasks (tasks/s
from submission to workflow_completed), and one-task workflows one at a time (ms from
submission to task_completed); reference: warm \`python3\` processes (two for calls/s) running
the same code over JSON lines from the bench. llm/v1: provider-llm (Ollama API) against
tests/fixtures/llm_server.mjs, a non-streamed \`generate\` one at a time; reference: the same
request over a keep-alive HTTP connection. Streamed: from the fixture writing the first chunk
to the client receiving it as \`task_progress\` (reference: as the first chunk of a direct
response), on the machine's monotonic clock. mcp/v1: provider-mcp with
@modelcontextprotocol/server-everything over stdio, \`tool.echo\` tasks at 16 in flight;
reference: the MCP SDK's own Client over stdio, 16 calls in flight. The one-at-a-time calls
alternate with their reference call, and the hub overhead is the percentile of the pairs'
differences; the rows "without persistence-sqlite" repeat them on a hub without a
persistence slot, to show what the durable writes cost.`;
