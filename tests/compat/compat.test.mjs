// The original Gleitzeit's YAML workflow files (tests/compat/*.yaml) run end to end: the real
// `gleitzeit` CLI (`--json run FILE`) against one gleitzeitd with real providers, so each
// conversion rule of docs/workflows.md is checked by what the providers did with the result:
// provider-llm on the fake LLM server (tests/fixtures/llm_server.mjs, which answers
// "echo: <last user text>"), provider-python with tests/compat/scripts as its script_dirs,
// provider-mcp on @modelcontextprotocol/server-everything over stdio, and provider-echo.
// Each test asserts the exit code, the workflow's state, every task's exact result or error,
// attempts, and standard error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gleitzeit, show } from "../cli/cli_harness.mjs";
import { call, connected, connectClient, pollUntil, q, removeTempDirs, stagePlugins, startHub, tempDir } from "../interop/js/plugin_harness.mjs";
import { startLlmServer } from "../interop/js/llm_fixture.mjs";

const COMPAT = dirname(fileURLToPath(import.meta.url));
const file = (name) => (isAbsolute(name) ? name : join(COMPAT, name));

let llm; // the fake LLM server
let hub;
let admin; // a Socket.IO client, only to see that the providers registered their methods

before(async () => {
  const nodeModules = process.env.NODE_PATH;
  if (!nodeModules) throw new Error("NODE_PATH is not set (run the test through ctest)");
  const everything = join(nodeModules, "@modelcontextprotocol", "server-everything", "dist", "index.js");
  llm = await startLlmServer();
  const p = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_LLM", "PROVIDER_PYTHON", "PROVIDER_MCP", "PROVIDER_ECHO"]);
  const state = tempDir("gleitzeit-compat-state-");
  const work = tempDir("gleitzeit-compat-python-"); // the python workers' current directory
  hub = await startHub(
    `[state]\ndirectory = ${q(state)}\n` +
      `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-llm"\nfile = ${q(p.PROVIDER_LLM)}\n` +
      `config = { url = ${q(llm.url)}, default_model = "llama3.2", health_interval = 200, file_root = ${q(COMPAT)} }\n` +
      // One worker and no queue inside the provider: python/v1 tasks wait in the hub's queue
      // and run one at a time, in priority order (priorities.yaml).
      `[[providers]]\nplugin = "provider-python"\nfile = ${q(p.PROVIDER_PYTHON)}\n` +
      `config = { workers = 1, max_queued = 0, working_directory = ${q(work)}, script_dirs = [${q(join(COMPAT, "scripts"))}] }\n` +
      `[[providers]]\nplugin = "provider-mcp"\nfile = ${q(p.PROVIDER_MCP)}\n` +
      `config = { servers = [{ name = "everything", transport = "stdio", command = [${q(process.execPath)}, ${q(everything)}, "stdio"] }] }\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n`,
  );
  hub.work = work;
  admin = await connected(connectClient(hub.url));
  // Each protocol is there once the registry refuses a task without its required params.
  await registered({ protocol: "llm/v1", method: "chat", params: {} }, "llm/v1 chat: params.messages: required parameter is missing");
  await registered({ protocol: "python/v1", method: "execute", params: { code: 5 } }, "python/v1 execute: params.code: expected a string, got number");
  await registered({ protocol: "mcp/v1", method: "tool.get-sum", params: { a: 1 } }, "mcp/v1 tool.get-sum: params.b: required parameter is missing");
  await registered({ protocol: "mcp/v1", method: "tool.echo", params: {} }, "mcp/v1 tool.echo: params.message: required parameter is missing");
  await registered({ protocol: "echo/v1", method: "delay", params: {} }, "echo/v1 delay: params.ms: required parameter is missing");
});

after(async () => {
  admin?.close();
  try {
    await hub?.stop();
  } finally {
    await llm?.stop();
    removeTempDirs();
  }
});

/**
 * Waits until a task `probe` is refused at submit with `message`: its method is registered
 * with its schema. A probe the hub took (the protocol not registered yet) is cancelled.
 */
async function registered(task, message) {
  const expected = `task 'probe': ${message}`;
  let last;
  await pollUntil(async () => {
    last = await call(admin, "submit_workflow", { workflow: { tasks: [{ id: "probe", ...task }] } });
    if (last.ok) await call(admin, "cancel_workflow", { workflow_id: last.workflow_id });
    return !last.ok && last.error.message === expected;
  }, `${task.protocol} ${task.method} registered`, 30000, 100).catch((e) => {
    throw new Error(`${e.message}; last reply: ${JSON.stringify(last)}`);
  });
}

/** `gleitzeit --json run FILE` against the hub: {r, out}, out the one JSON line of stdout. */
async function run(name, opts = {}) {
  const r = await gleitzeit(["--json", "run", file(name)], { url: hub.url, timeout: 60000, ...opts });
  const lines = r.stdout.split("\n");
  assert.equal(lines.length, 2, `one line of JSON, then nothing\n${show(r)}`);
  assert.equal(lines[1], "", show(r));
  return { r, out: JSON.parse(lines[0]) };
}

/** provider-llm's result for an answer of the fixture. */
const answer = (text, model, prompt, completion) => ({
  response: text,
  content: text,
  model,
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  done_reason: "stop",
});

/** provider-python's result. */
const py = (result, stdout = "") => ({ result, stdout, stderr: "" });

/** provider-mcp's result for a tool that answered one text item. */
const tool = (text) => ({ content: [{ type: "text", text }], result: text });

/** Each task's state and attempt from the status in the --json output. */
const states = (out) =>
  Object.fromEntries(Object.entries(out.workflow.tasks).map(([id, t]) => [id, [t.state, t.attempt]]));

/** The completed tasks' results in the status must be the ones in `results`. */
function sameResults(out) {
  for (const [id, t] of Object.entries(out.workflow.tasks))
    if (t.state === "completed") assert.deepEqual(t.result, out.results[id], `status of ${id}`);
}

const NOTES = "Gleitzeit moves tasks between providers.\nThe hub keeps their order.";

test("llm_file.yaml: llm/chat reads file_path under file_root, and ${Read Notes.response} quotes the answer", async () => {
  await llm.forget();
  const { r, out } = await run("llm_file.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.ok, true);
  assert.equal(out.state, "completed");
  assert.equal(out.workflow.name, "chat about a file");
  const read = `echo: Summarise these notes.\n\n--- notes.txt ---\n${NOTES}`;
  assert.deepEqual(out.results, {
    "task-1": answer(read, "llama3.2", 18, 14),
    quote: answer(`echo: Quote: ${read}`, "llama3.2", 18, 16),
  });
  assert.deepEqual(states(out), { "task-1": ["completed", 1], quote: ["completed", 1] });
  sameResults(out);
  // What the server got: the system message as written, the file after the user's text.
  const chats = await llm.calls("/api/chat");
  assert.equal(chats.length, 1);
  assert.deepEqual(chats[0].body.messages, [
    { role: "system", content: "Answer briefly." },
    { role: "user", content: `Summarise these notes.\n\n--- notes.txt ---\n${NOTES}\n` },
  ]);
  const generated = await llm.calls("/api/generate");
  assert.equal(generated.length, 1);
  assert.equal(generated[0].body.prompt, `Quote: ${read}`);
});

test("python_script.yaml: a script from script_dirs with a context leaves a dict in result", async () => {
  const { r, out } = await run("python_script.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  assert.deepEqual(out.results, {
    stats: py({ label: "sample", count: 5, longest: "quick", lengths: [3, 5, 5, 3, 5] }, "counted 5 words\n"),
    "task-1": py({ doubled: 10, first_length: 3, printed: "counted 5 words\n" }),
  });
  assert.deepEqual(states(out), { stats: ["completed", 1], "task-1": ["completed", 1] });
  sameResults(out);
});

test("mcp_tools.yaml: tool.get-sum's whole answer ${sum.result} is tool.echo's message", async () => {
  const { r, out } = await run("mcp_tools.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  const sum = "The sum of 19 and 23 is 42.";
  assert.deepEqual(out.results, {
    sum: tool(sum),
    "task-1": tool(`Echo: ${sum}`),
    quoted: tool(`Echo: first ${sum}, then Echo: ${sum}`),
  });
  assert.deepEqual(states(out), { sum: ["completed", 1], "task-1": ["completed", 1], quoted: ["completed", 1] });
  sameResults(out);
});

test("batch_vision.yaml: a batch of llm/vision sends the directory's image as image_path", async () => {
  await llm.forget();
  const { r, out } = await run("batch_vision.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  assert.equal(out.workflow.name, "describe the images");
  const png = readFileSync(file("data/batch/pixels.png"));
  assert.equal(png.length, 74);
  // The fixture's "vision" model checks the image is base64 and tells its size.
  assert.deepEqual(out.results, {
    "process-pixels-png-0": answer("echo: Describe this image. [1 image: 74 bytes]", "vision", 3, 8),
  });
  assert.deepEqual(states(out), { "process-pixels-png-0": ["completed", 1] });
  sameResults(out);
  const generated = await llm.calls("/api/generate");
  assert.equal(generated.length, 1, "one call: the .txt files are not in the batch");
  assert.equal(generated[0].body.model, "vision");
  assert.equal(generated[0].body.prompt, "Describe this image.");
  assert.deepEqual(generated[0].body.images, [png.toString("base64")]);
});

test("batch_text.yaml: llm/chat per text file, and final_task gets ${batch.results} as a list", async () => {
  await llm.forget();
  const { r, out } = await run("batch_text.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  assert.equal(out.workflow.name, "Batch Processing (2 files)");
  const alpha = "echo: Summarise this file.\n\n--- alpha.txt ---\nAlpha report: the first batch file.";
  const beta = "echo: Summarise this file.\n\n--- beta.txt ---\nBeta report: the second batch file.";
  assert.deepEqual(out.results, {
    "process-alpha-txt-0": answer(alpha, "llama3.2", 12, 11),
    "process-beta-txt-1": answer(beta, "llama3.2", 12, 11),
    final: py({
      files: 2,
      last_lines: ["Alpha report: the first batch file.", "Beta report: the second batch file."],
      answers: [alpha, beta],
    }),
  });
  assert.deepEqual(states(out), {
    "process-alpha-txt-0": ["completed", 1], "process-beta-txt-1": ["completed", 1], final: ["completed", 1],
  });
  sameResults(out);
  const chats = (await llm.calls("/api/chat")).map((c) => c.body.messages.at(-1).content).sort();
  assert.deepEqual(chats, [
    "Summarise this file.\n\n--- alpha.txt ---\nAlpha report: the first batch file.\n",
    "Summarise this file.\n\n--- beta.txt ---\nBeta report: the second batch file.\n",
  ]);
});

test("mixed_references.yaml: an LLM answer in a text, a Python int and dict as whole values", async () => {
  await llm.forget();
  const { r, out } = await run("mixed_references.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  const numbers = { count: 4, values: [2, 3, 5, 7], total: 17, ok: true };
  assert.deepEqual(out.results, {
    "task-1": answer("echo: Name one colour.", "llama3.2", 3, 4),
    numbers: py(numbers, "made 4\n"),
    write: answer("echo: Write about echo: Name one colour. using 4 numbers (7 last).", "llama3.2", 11, 12),
    // Each context value with the name of its Python type, as the script saw it.
    types: py({
      count: [4, "int"],
      whole: [numbers, "dict"],
      values: [[2, 3, 5, 7], "list"],
      ok: [true, "bool"],
      printed: ["made 4\n", "str"],
      answer: ["echo: Name one colour.", "str"],
      count_text: ["n=4", "str"],
    }),
  });
  assert.deepEqual(states(out), {
    "task-1": ["completed", 1], numbers: ["completed", 1], write: ["completed", 1], types: ["completed", 1],
  });
  sameResults(out);
  const chats = (await llm.calls("/api/chat")).map((c) => c.body.messages.at(-1).content).sort();
  assert.deepEqual(chats, ["Name one colour.", "Write about echo: Name one colour. using 4 numbers (7 last)."]);
});

test("priorities.yaml: 1/2/3 and urgent/high/normal/low in any case are read and dispatched in that order", async () => {
  const v = await gleitzeit(["--json", "validate", file("priorities.yaml")], { url: "http://127.0.0.1:1" });
  assert.equal(v.code, 0, show(v));
  assert.equal(v.stderr, "");
  assert.deepEqual(
    JSON.parse(v.stdout).workflow.tasks.map((t) => [t.id, t.priority]),
    [["gate", "urgent"], ["low-3", "low"], ["normal-2", "normal"], ["low-named", "low"],
      ["high-1", "high"], ["normal-named", "normal"], ["urgent-named", "urgent"], ["high-named", "high"]],
  );
  const { r, out } = await run("priorities.yaml");
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "");
  assert.equal(out.state, "completed");
  // Each result is the task's place in the order the single python worker ran them: "gate"
  // first (it held the worker while the rest queued), then by priority, in file order within one.
  const place = Object.fromEntries(Object.entries(out.results).map(([id, res]) => [id, res.result]));
  assert.deepEqual(place, {
    gate: 1, "urgent-named": 2, "high-1": 3, "high-named": 4, "normal-2": 5, "normal-named": 6, "low-3": 7, "low-named": 8,
  });
  assert.equal(readFileSync(join(hub.work, "priority-order.txt"), "utf8"),
    "gate\nurgent-named\nhigh-1\nhigh-named\nnormal-2\nnormal-named\nlow-3\nlow-named\n");
  for (const [id, t] of Object.entries(out.workflow.tasks)) assert.deepEqual([t.state, t.attempt], ["completed", 1], id);
});

test("retry_llm.yaml: a 500 is retried max_attempts times with delays in seconds, a flaky model recovers, a raise is not retried", async () => {
  await llm.forget();
  const { r, out } = await run("retry_llm.yaml");
  assert.equal(r.code, 1, show(r));
  assert.equal(out.ok, false);
  assert.equal(out.state, "failed");
  assert.equal(r.stderr, `gleitzeit: workflow ${out.workflow_id} failed\n`);
  assert.deepEqual(out.workflow.tasks.broken, {
    state: "failed",
    attempt: 3,
    error: { code: "provider_error", message: `${llm.url}/api/chat: answered 500: fixture: internal error`, retryable: true },
  });
  assert.deepEqual(out.workflow.tasks.recovers, {
    state: "completed", attempt: 2, result: answer("echo: Try again.", "flaky:compat", 2, 3),
  });
  assert.deepEqual(out.workflow.tasks.raises, {
    state: "failed",
    attempt: 1,
    error: { code: "provider_error", message: `  File "<code>", line 1, in <module>\n    raise ValueError('not retried')\nValueError: not retried`, retryable: false },
  });
  assert.deepEqual(out.results, { recovers: answer("echo: Try again.", "flaky:compat", 2, 3) });
  const chats = await llm.calls("/api/chat");
  assert.deepEqual(chats.map((c) => c.body.model).sort(), ["error500", "error500", "error500", "flaky:compat", "flaky:compat"]);
  // broken waits base_delay 0.2 s, then 0.4 s capped at max_delay 0.3 s, each spread by up
  // to 20 % jitter: the run takes at least 0.4 s. Read as milliseconds the delays would be
  // gone, and read as minutes the run would not end in time.
  assert.ok(r.ms >= 400, `the retries took ${r.ms} ms, under the delays of 0.4 s or more`);
  assert.ok(r.ms < 10000, `the retries took ${r.ms} ms`);
});

test("workflow_timeout.yaml: a whole workflow's timeout fails the workflow when it passes, and cancels what runs", async () => {
  const v = await gleitzeit(["--json", "validate", file("workflow_timeout.yaml")], { url: "http://127.0.0.1:1" });
  assert.equal(v.code, 0, show(v));
  assert.equal(v.stderr, "", "no warning: the hub enforces it");
  assert.equal(JSON.parse(v.stdout).workflow.timeout, 1);
  const { r, out } = await run("workflow_timeout.yaml");
  assert.equal(r.code, 1, show(r));
  assert.equal(out.ok, false);
  assert.equal(out.state, "failed");
  assert.equal(out.reason, "the workflow's timeout of 1 s passed");
  assert.equal(r.stderr, `gleitzeit: workflow ${out.workflow_id} failed: the workflow's timeout of 1 s passed\n`);
  assert.equal(out.workflow.timeout_ms, 1000);
  assert.deepEqual(out.results, { quick: { said: "before the deadline" } });
  assert.deepEqual(states(out), { quick: ["completed", 1], slow: ["cancelled", 1] });
  // Ended by the workflow's 1 s, not by the 5 s delay or the task's own 30 s.
  assert.ok(r.ms >= 1000 && r.ms < 4500, `ran ${r.ms} ms`);
});

// ---- the commands that make a workflow: exec, init, batch

test("exec runs Python code through python/v1: what it printed, then its result", async () => {
  const r = await gleitzeit(["exec", "print('counting'); result = {'sum': sum(range(10))}"], { url: hub.url });
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, 'counting\n{"sum":45}\n');
  const slow = await gleitzeit(["exec", "import time; time.sleep(5)", "--timeout", "0.5"], { url: hub.url });
  assert.equal(slow.code, 1, show(slow));
  assert.match(slow.stderr, /^gleitzeit: the code failed: timeout: .*0\.5 s.*\n$/);
  const raises = await gleitzeit(["exec", "raise ValueError('no such thing')"], { url: hub.url });
  assert.equal(raises.code, 1, show(raises));
  assert.match(raises.stderr, /^gleitzeit: the code failed: provider_error: .*ValueError: no such thing\n$/s);
  const j = await gleitzeit(["--json", "exec", "result = 6 * 7"], { url: hub.url });
  assert.equal(j.code, 0, show(j));
  assert.deepEqual(JSON.parse(j.stdout).results.exec, py(42));
});

test("init writes a starter file of each type that runs as written", async () => {
  const dir = tempDir("gleitzeit-compat-init-");
  const expected = {
    python: (out) => assert.deepEqual(out.results.stats, py({ sum: 31, mean: 3.875 })),
    llm: (out) => assert.equal(out.results.poem.response, "echo: Write a short poem about workflows that never lose a task."),
    mixed: (out) => assert.equal(out.results.haiku.response, "echo: Write a haiku about autumn."),
  };
  for (const [type, check] of Object.entries(expected)) {
    const made = await gleitzeit(["init", `Starter ${type}`, "--type", type], { cwd: dir });
    assert.equal(made.code, 0, show(made));
    const name = `starter_${type}.yaml`;
    assert.equal(made.stdout, `wrote ${name}; run it with: gleitzeit run ${name}\n`);
    const { r, out } = await run(join(dir, name));
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, "");
    check(out);
    const again = await gleitzeit(["init", `Starter ${type}`, "--type", type], { cwd: dir });
    assert.equal(again.code, 2, show(again));
    assert.equal(again.stderr, `gleitzeit: ${name} exists already; nothing was written\n`);
  }
});

test("batch asks about each matching file and writes the answers as JSON and as Markdown", async () => {
  const out = tempDir("gleitzeit-compat-batch-");
  const alpha = "echo: Say what it is.\n\n--- alpha.txt ---\nAlpha report: the first batch file.";
  const r = await gleitzeit(["batch", "data/batch", "--pattern", "*.txt", "--prompt", "Say what it is.",
    "--output", join(out, "results.json")], { url: hub.url, cwd: COMPAT, timeout: 60000 });
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.at(-1), `results written to ${join(out, "results.json")}`);
  assert.ok(lines.includes(`data/batch/alpha.txt  completed  ${alpha.replaceAll("\n", " ")}`), show(r));
  const doc = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
  assert.deepEqual(doc.summary, { total: 2, successful: 2, failed: 0 });
  assert.deepEqual(doc.results["data/batch/alpha.txt"], { status: "success", content: alpha });
  assert.deepEqual(doc.parameters, { method: "llm/chat", prompt: "Say what it is.", model: "", directory: "data/batch", pattern: "*.txt" });
  const md = await gleitzeit(["batch", "data/batch", "--pattern", "*.png", "--vision", "--model", "vision",
    "--prompt", "What is shown?", "--output", join(out, "results.md")], { url: hub.url, cwd: COMPAT, timeout: 60000 });
  assert.equal(md.code, 0, show(md));
  const text = readFileSync(join(out, "results.md"), "utf8");
  assert.match(text, /^# Batch results: data\/batch \*\.png\n/);
  assert.ok(text.includes("- files: 1 (successful 1, failed 0)\n"), text);
  assert.ok(text.includes("### ✅ data/batch/pixels.png\n\necho: What is shown? [1 image: 74 bytes]\n"), text);
  const none = await gleitzeit(["batch", "data/batch", "--pattern", "*.pdf"], { url: hub.url, cwd: COMPAT });
  assert.equal(none.code, 2, show(none));
  assert.equal(none.stderr, "gleitzeit: no file in data/batch matches '*.pdf'\n");
  assert.ok(!existsSync(join(out, "none.json")));
});
