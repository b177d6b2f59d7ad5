// `gleitzeit run` of workflow files in the original Gleitzeit's YAML format (tests/compat),
// against a real gleitzeitd with the shipped plugins and provider-echo: the exact results
// after the original's references are mapped, attempts per the retry block, and refusals
// with file:line:column that never reach the hub.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gleitzeit, removeTempDirs, sessionsTotal, show, startEchoHub, workflowFile } from "./cli_harness.mjs";

const COMPAT = join(dirname(fileURLToPath(import.meta.url)), "../compat");
let hub;
const cli = (args, opts = {}) => gleitzeit(args, { url: hub.url, ...opts });

before(async () => {
  hub = await startEchoHub();
});

after(async () => {
  await hub?.stop();
  removeTempDirs();
});

test("echo_references.yaml: names, priorities, anchors and every kind of reference", async () => {
  // -w, the original's --watch, is taken as it was written.
  const r = await cli(["--json", "run", "-w", join(COMPAT, "echo_references.yaml")]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, "", "no warnings for a file of known fields");
  const out = JSON.parse(r.stdout);
  assert.equal(out.state, "completed");
  const greet = { text: "Hello", count: 3, items: [{ x: "first" }, { x: "second" }] };
  assert.deepEqual(out.results["task-1"], { items: greet.items, text: "Hello", count: 3 });
  assert.deepEqual(out.results["task-2"], {
    whole: out.results["task-1"], count: 3, second: "second", sentence: "Hello, the count is 3.",
  });
  assert.deepEqual(out.results.last, { from_count: greet.items, again: "Hello, the count is 3." });
  assert.equal(out.workflow.name, "references in the original format");
});

test("retry_block.yaml: the task runs max_attempts times, then the run exits 1", async () => {
  const r = await cli(["--json", "run", join(COMPAT, "retry_block.yaml")]);
  assert.equal(r.code, 1, show(r));
  const out = JSON.parse(r.stdout);
  assert.equal(out.state, "failed");
  assert.equal(out.workflow.tasks.flaky.attempt, 3);
  assert.equal(out.workflow.tasks.flaky.error.message, "down again");
});

test("a reference to a task that is not a dependency is refused with file:line:column", async () => {
  const before = await sessionsTotal(hub);
  const file = join(COMPAT, "not_a_dependency.yaml");
  const r = await cli(["run", file]);
  assert.equal(r.code, 2, show(r));
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trim(), `gleitzeit: ${file}:7:17: \${a.result.n}: task 'b' does not depend on task 'a', ` +
    "directly or through others, so its result may not be there yet; add it to dependencies");
  assert.equal(await sessionsTotal(hub), before, "nothing reached the hub");
});

test("unknown fields are warnings on stderr, and the workflow still runs", async () => {
  const file = workflowFile("warn.yaml", "name: w\nowner: me\ntasks:\n  - {id: a, method: echo/echo, params: {n: 1}, tags: [x]}\n");
  const r = await cli(["--json", "run", file]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, `${file}:2:1: warning: unknown workflow field 'owner', ignored\n` +
    `${file}:4:48: warning: unknown task field 'tags', ignored\n`);
  assert.deepEqual(JSON.parse(r.stdout).results, { a: { n: 1 } });
});

test("validate reads a file without a hub: the workflow it would send, or file:line:column", async () => {
  const ok = await gleitzeit(["--json", "validate", join(COMPAT, "retry_block.yaml")], { url: "http://127.0.0.1:1" });
  assert.equal(ok.code, 0, show(ok));
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true, workflow: { name: "retries", tasks: [{
    id: "flaky", protocol: "echo/v1", method: "fail", params: { message: "down again" },
    retry: { max_attempts: 3, backoff: "fixed", base_delay: 0.05, max_delay: 1, jitter: 0 } }] } });
  const plain = await gleitzeit(["validate", join(COMPAT, "echo_references.yaml")], { url: "http://127.0.0.1:1" });
  assert.equal(plain.code, 0, show(plain));
  assert.match(plain.stdout, /echo_references\.yaml: reads, 3 tasks;/);
  const file = workflowFile("typo.yaml", "tasks:\n  - id: a\n    method: echo/echo\n    prioritty: 1\n    dependencies: a\n");
  const bad = await gleitzeit(["validate", file], { url: "http://127.0.0.1:1" });
  assert.equal(bad.code, 2, show(bad));
  assert.equal(bad.stderr, `${file}:4:5: warning: unknown task field 'prioritty', ignored (did you mean 'priority'?)\n` +
    `gleitzeit: ${file}:5:19: dependencies must be a list, not a string\n`);
});

test("a 100 MB file is refused before it is read", async () => {
  const file = workflowFile("huge.yaml", "tasks:\n");
  truncateSync(file, 100 * 1024 * 1024); // sparse: the size is what counts
  const r = await gleitzeit(["validate", file], { url: "http://127.0.0.1:1" });
  assert.equal(r.code, 2, show(r));
  assert.equal(r.stderr, `gleitzeit: ${file}: 104857600 bytes, over the limit of 67108864 for a workflow file\n`);
});

test("a batch over 10,000 files runs, and its final task gets every result as a list", async () => {
  // About 1.8 MB of workflow: over the default max_payload, which the CLI's error names.
  const file = workflowFile("batch.yaml", [
    "type: batch",
    "protocol: echo/v1",
    "batch: {directory: files, pattern: 'f*.txt'}",
    "template: {method: echo/echo, tag: one}",
    "final_task:",
    "  method: echo/echo",
    "  params: {all: '${batch.results}'}",
  ].join("\n") + "\n");
  const dir = join(dirname(file), "files");
  mkdirSync(dir);
  const N = 10000;
  for (let i = 0; i < N; i++) writeFileSync(join(dir, `f${String(i).padStart(5, "0")}.txt`), "");
  writeFileSync(join(dir, "other.md"), "");
  const small = await cli(["run", file]);
  assert.equal(small.code, 3, show(small));
  assert.match(small.stderr, /while waiting for the reply to submit_workflow; the message was \d{7} bytes, and a hub closes the connection of a message over its \[server\] max_payload \(1000000 by default\)\n$/);
  const big = await startEchoHub("", `max_payload = ${16 * 1024 * 1024}\n`);
  let r;
  try {
    r = await gleitzeit(["--json", "run", file], { url: big.url, timeout: 110000 });
  } finally {
    await big.stop();
  }
  assert.equal(r.code, 0, show(r).slice(0, 2000));
  const out = JSON.parse(r.stdout);
  assert.equal(out.state, "completed");
  assert.equal(Object.keys(out.results).length, N + 1);
  assert.deepEqual(out.results["process-f00042-txt-42"], { tag: "one", file_path: "files/f00042.txt" });
  const all = out.results.final.all;
  assert.equal(all.length, N);
  assert.deepEqual(all[N - 1], { tag: "one", file_path: "files/f09999.txt" });
});
