// provider-llm in gleitzeitd against the fake LLM server (tests/fixtures/llm_server.mjs), with
// npm socket.io-client as the submitter: a chat -> generate chain with ${...} and exact
// texts, tokens as task_progress before task_completed, the schema refusing bad params at
// submit, the error table (missing model, 500 retried, garbage, huge, slow), files, cancel;
// then two instances on both backends spreading load and routing around one whose server
// died, and a hot swap of the plugin under streaming calls.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { call, connected, pollUntil, q, removeTempDirs, stagePlugins, startHub, tempDir, runWorkflow } from "./plugin_harness.mjs";
import { startLlmServer } from "./llm_fixture.mjs";

const plugins = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_LLM"]);
const servers = [];
const hubs = [];

after(async () => {
  for (const h of hubs) await h.stop();
  for (const s of servers) await s.stop();
  removeTempDirs();
});

async function llmServer(args) {
  const s = await startLlmServer(args);
  servers.push(s);
  return s;
}

/** A TOML inline table from a flat object of strings, numbers and booleans. */
const inline = (o) => `{ ${Object.entries(o).map(([k, v]) => `${k} = ${typeof v === "string" ? q(v) : v}`).join(", ")} }`;

/** gleitzeitd with the pipeline's plugins and one [[providers]] entry per instance. */
async function hubWith(instances) {
  let toml =
    `[plugins]\nwatch = false\n` +
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(plugins.QUEUE_MEMORY_V1)}\n` +
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(plugins.RESOLVER_DAG)}\n` +
    `[slots.registry]\nplugin = "registry-default"\nfile = ${q(plugins.REGISTRY_DEFAULT)}\n`;
  for (const [name, config] of Object.entries(instances))
    toml += `[[providers]]\nplugin = "provider-llm"\n${name ? `name = ${q(name)}\n` : ""}file = ${q(plugins.PROVIDER_LLM)}\nconfig = ${inline(config)}\n`;
  const hub = await startHub(toml);
  hubs.push(hub);
  const client = await hub.connect();
  return { hub, client };
}

const run = (client, workflow, opts) => runWorkflow(client, workflow, opts);

const of = (events, kind, task) => events.filter(([e, p]) => e === kind && (task === undefined || p.task_id === task)).map(([, p]) => p);
const usage = (p, c) => ({ prompt_tokens: p, completion_tokens: c, total_tokens: p + c });
const answer = (text, model, p, c, reason = "stop") => ({ response: text, content: text, model, usage: usage(p, c), done_reason: reason });
const user = (content) => [{ role: "user", content }];

describe("one instance on Ollama", () => {
  let server;
  let client;
  let files;

  before(async () => {
    server = await llmServer();
    files = tempDir("gleitzeit-llm-files-");
    writeFileSync(join(files, "notes.txt"), "first line\nsecond line\n");
    writeFileSync(join(files, "pixel.png"), Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"));
    ({ client } = await hubWith({
      llm: { url: server.url, default_model: "llama3.2", health_interval: 200, first_byte_timeout: 500,
        max_body: 1048576, file_root: files, max_concurrency: 8 },
    }));
  });

  test("chat -> generate with ${a.result.response}: exact texts, tokens streamed in order before each result", async () => {
    const { events, end } = await run(client, {
      name: "chain",
      tasks: [
        { id: "a", protocol: "llm/v1", method: "chat", params: { messages: user("name a colour") } },
        { id: "b", protocol: "llm/v1", method: "generate", dependencies: ["a"], params: { prompt: "Say more about ${a.result.response}" } },
      ],
    });
    assert.equal(end.state, "completed", JSON.stringify(end));
    assert.deepEqual(end.results, {
      a: answer("echo: name a colour", "llama3.2", 3, 4),
      b: answer("echo: Say more about echo: name a colour", "llama3.2", 7, 8),
    });
    for (const task of ["a", "b"]) {
      const progress = of(events, "task_progress", task);
      assert.deepEqual(progress.map((p) => p.index), [...progress.keys()], `${task}: indexes in order`);
      assert.equal(progress.map((p) => p.text).join(""), end.results[task].response);
      assert.equal(progress[0]._source_component, "llm");
      const done = events.findIndex(([e, p]) => e === "task_completed" && p.task_id === task);
      const last = events.findLastIndex(([e, p]) => e === "task_progress" && p.task_id === task);
      assert.ok(last < done, `${task}: every token before task_completed`);
    }
    const sent = await server.calls("/api/generate");
    assert.equal(sent.at(-1).body.prompt, "Say more about echo: name a colour");
  });

  test("bad params are refused at submit by llm/v1's schema", async () => {
    const cases = [
      [{ id: "x", protocol: "llm/v1", method: "chat", params: {} }, "task 'x': llm/v1 chat: params.messages: required parameter is missing"],
      [{ id: "y", protocol: "llm/v1", method: "generate", params: { prompt: 5 } }, "task 'y': llm/v1 generate: params.prompt: expected a string, got number"],
      [{ id: "z", protocol: "llm/v1", method: "chat", params: { messages: "hi" } }, "task 'z': llm/v1 chat: params.messages: expected an array, got string"],
    ];
    for (const [task, message] of cases) {
      const { reply } = await run(client, { tasks: [task] });
      assert.deepEqual(reply, { ok: false, error: { code: "invalid_workflow", message } });
    }
  });

  test("errors: model not found is final, 500 is retried, garbage, huge and slow say what happened", async () => {
    const retry = { max_attempts: 3, backoff: "fixed", base_delay_ms: 20, max_delay_ms: 20, jitter: 0 };
    const chat = (id, model, more = {}) => ({ id, protocol: "llm/v1", method: "chat", params: { model, messages: user("a b") }, ...more });
    const { events, end } = await run(client, {
      on_failure: "continue",
      tasks: [
        chat("missing", "missing", { retry }),
        { id: "e500", protocol: "llm/v1", method: "generate", params: { model: "error500", prompt: "p" }, retry },
        chat("flaky", "flaky", { retry }),
        chat("garbage", "garbage"),
        chat("huge", "huge"),
        chat("slow", "slow-3000"),
      ],
    });
    assert.equal(end.state, "failed");
    const failed = Object.fromEntries(of(events, "task_failed").map((p) => [p.task_id, p.error]));
    const at = `${server.url}/api/chat: `;
    assert.deepEqual(failed, {
      missing: { code: "provider_error", message: at + `model 'missing' not found (404: model "missing" not found, try pulling it first)`, retryable: false },
      e500: { code: "provider_error", message: `${server.url}/api/generate: answered 500: fixture: internal error`, retryable: true },
      garbage: { code: "provider_error", message: at + "the answer is not JSON: <html>this is not JSON</html>", retryable: false },
      huge: { code: "provider_error", message: at + "the answer is over max_body (1048576 bytes)", retryable: false },
      slow: { code: "timeout", message: at + "no answer within first_byte_timeout (500 ms)", retryable: true },
    });
    const attempts = (task) => of(events, "task_started", task).map((p) => p.attempt);
    assert.deepEqual(attempts("missing"), [1], "not retryable: one attempt although three were allowed");
    assert.deepEqual(attempts("e500"), [1, 2, 3]);
    assert.deepEqual(attempts("flaky"), [1, 2]);
    assert.deepEqual(end.results.flaky, answer("echo: a b", "flaky", 2, 3));
  });

  test("file_path and image_path: the hub reads the files and the server gets their content", async () => {
    const image = readFileSync(join(files, "pixel.png")).toString("base64");
    const { id, end } = await run(client, {
      tasks: [
        { id: "sum", protocol: "llm/v1", method: "generate", params: { prompt: "Sum up:", file_path: "notes.txt" } },
        { id: "see", protocol: "llm/v1", method: "vision", params: { model: "vision", prompt: "what is it", image_path: join(files, "pixel.png") } },
        { id: "out", protocol: "llm/v1", method: "generate", params: { prompt: "p", file_path: "/etc/hostname" } },
      ],
      on_failure: "continue",
    });
    assert.equal(end.results.sum.response, "echo: Sum up:\n\n--- notes.txt ---\nfirst line\nsecond line");
    assert.equal(end.results.see.response, "echo: what is it [1 image: 16 bytes]");
    const generated = await server.calls("/api/generate");
    assert.ok(generated.some((r) => r.body.prompt === "Sum up:\n\n--- notes.txt ---\nfirst line\nsecond line\n"));
    assert.ok(generated.some((r) => r.body.model === "vision" && r.body.images?.[0] === image));
    const status = await call(client, "query_status", { workflow_id: id });
    assert.deepEqual(status.workflow.tasks.out.error, {
      code: "invalid_argument", message: `generate: params.file_path '/etc/hostname' is outside file_root '${files}'`, retryable: false,
    });
  });

  test("cancel_workflow stops a streaming call and closes its request to the server", async () => {
    await server.forget();
    const { events, end } = await run(client, {
      tasks: [{ id: "long", protocol: "llm/v1", method: "chat", params: { model: "trickle-300", messages: user("one two three four five six seven") } }],
    }, {
      onEvent: (event, payload, id) => {
        if (event === "task_progress" && payload.index === 0) call(client, "cancel_workflow", { workflow_id: id });
      },
    });
    assert.equal(end.state, "cancelled");
    assert.ok(of(events, "task_progress").length < 8, "the stream was cut short");
    await pollUntil(async () => (await server.calls("/api/chat")).at(-1)?.aborted === true, "the server saw the request closed");
  });
});

describe("two instances, one per backend", () => {
  let ollama;
  let openai;
  let client;
  const config = { health_interval: 200, connect_timeout: 500, max_concurrency: 2, default_model: "trickle-40" };

  before(async () => {
    ollama = await llmServer();
    openai = await llmServer(["--api-key", "sk-interop"]);
    process.env.LLM_INTEROP_KEY = "sk-interop"; // inherited by gleitzeitd
    ({ client } = await hubWith({
      "llm-a": { ...config, url: ollama.url },
      "llm-b": { ...config, backend: "openai", url: `${openai.url}/v1`, api_key_env: "LLM_INTEROP_KEY" },
    }));
  });

  const generate = (n) => Array.from({ length: n }, (_, i) => ({
    id: `t${i}`, protocol: "llm/v1", method: "generate", params: { prompt: `task ${i}` },
    retry: { max_attempts: 3, backoff: "fixed", base_delay_ms: 50, max_delay_ms: 50, jitter: 0 },
  }));

  test("calls are spread over both instances and both backends answer alike", async () => {
    const { events, end } = await run(client, { tasks: generate(8) });
    assert.equal(end.state, "completed", JSON.stringify(end));
    for (let i = 0; i < 8; ++i) assert.deepEqual(end.results[`t${i}`], answer(`echo: task ${i}`, "trickle-40", 2, 3));
    const by = new Set(of(events, "task_started").map((p) => p.provider));
    assert.deepEqual([...by].sort(), ["llm-a", "llm-b"]);
    assert.ok((await ollama.calls("/api/generate")).length >= 1);
    const sent = await openai.calls("/v1/chat/completions");
    assert.ok(sent.length >= 1);
    assert.equal(sent[0].headers.authorization, "Bearer sk-interop");
  });

  test("an instance whose server died is routed around, and serves again when it is back", async () => {
    const port = ollama.port;
    await ollama.stop();
    const protocolsOf = async (id) => (await call(client, "list_components")).components.find((c) => c.component_id === id)?.protocols;
    await pollUntil(async () => (await protocolsOf("llm-a"))?.length === 0, "llm-a withdrawn", 10000);
    const { events, end } = await run(client, { tasks: generate(6) });
    assert.equal(end.state, "completed", JSON.stringify(end));
    assert.deepEqual([...new Set(of(events, "task_started").map((p) => p.provider))], ["llm-b"]);
    ollama = await llmServer(["--port", String(port)]);
    await pollUntil(async () => (await protocolsOf("llm-a"))?.length === 1, "llm-a back", 10000);
  });

  test("swap_plugin swaps both instances, each keeping its own config", async () => {
    const swapped = await call(client, "swap_plugin", { slot: "provider", path: plugins.PROVIDER_LLM });
    assert.equal(swapped.ok, true, JSON.stringify(swapped));
    assert.deepEqual(swapped.swapped.map((s) => [s.slot, s.generations[0].generation, s.generations[0].state]),
      [["provider:llm-a", 2, "active"], ["provider:llm-b", 2, "active"]]);
    assert.equal(swapped.slot, "provider:llm-a");
    await openai.forget();
    const { events, end } = await run(client, { tasks: generate(8) });
    assert.equal(end.state, "completed", JSON.stringify(end));
    assert.deepEqual([...new Set(of(events, "task_started").map((p) => p.provider))].sort(), ["llm-a", "llm-b"]);
    // llm-b still speaks OpenAI with its key: the swap did not hand it llm-a's config.
    const sent = await openai.calls("/v1/chat/completions");
    assert.ok(sent.length >= 1);
    assert.equal(sent[0].headers.authorization, "Bearer sk-interop");
  });
});

describe("hot swap", () => {
  test("swapping provider-llm under streaming calls loses none of them", async () => {
    const server = await llmServer();
    // Unnamed: swap_plugin finds a provider's slot by the plugin's name, "provider-llm".
    const { client } = await hubWith({ "": { url: server.url, default_model: "trickle-100", max_concurrency: 4 } });
    const started = new Set();
    const words = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10";
    const done = run(client, {
      tasks: [0, 1, 2, 3].map((i) => ({ id: `s${i}`, protocol: "llm/v1", method: "chat", params: { messages: user(`${i} ${words}`) } })),
    }, { onEvent: (event, p) => event === "task_progress" && started.add(p.task_id) });
    await pollUntil(() => started.size === 4, "four calls streaming", 10000, 10);
    const swapped = await call(client, "swap_plugin", { slot: "provider", path: plugins.PROVIDER_LLM });
    assert.equal(swapped.ok, true, JSON.stringify(swapped));
    assert.equal(swapped.slot, "provider:provider-llm");
    assert.equal(swapped.generations[0].generation, 2, JSON.stringify(swapped.generations));
    const { events, end } = await done;
    assert.equal(end.state, "completed", JSON.stringify(end));
    for (let i = 0; i < 4; ++i) {
      const text = `echo: ${i} ${words}`;
      assert.deepEqual(end.results[`s${i}`], answer(text, "trickle-100", 11, 12));
      assert.equal(of(events, "task_progress", `s${i}`).map((p) => p.text).join(""), text);
      assert.deepEqual(of(events, "task_started", `s${i}`).map((p) => p.attempt), [1], "no call was lost and run again");
    }
    const next = await run(client, { tasks: [{ id: "after", protocol: "llm/v1", method: "generate", params: { prompt: "x" } }] });
    assert.deepEqual(next.end.results.after, answer("echo: x", "trickle-100", 1, 2));
  });
});
