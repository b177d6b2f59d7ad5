// [limits] submissions_per_second (docs/operations.md): a token's submissions beyond its rate
// and burst are refused with rate_limited and the wait; other clients keep their own budget;
// a reload changes the limit live.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { call, q, removeTempDirs, sleep, stagePlugins, startHub } from "./plugin_harness.mjs";

after(removeTempDirs);

const workflow = { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: { n: 1 } }] };

function config(staged, limits) {
  return [
    `[[auth.tokens]]\ntoken = "alice"\nroles = ["submit"]`,
    `[[auth.tokens]]\ntoken = "bob"\nroles = ["submit"]`,
    limits,
    `[plugins]\nwatch = false`,
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(staged.QUEUE_MEMORY_V1)}`,
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(staged.RESOLVER_DAG)}`,
    `[slots.registry]\nplugin = "registry-default"\nfile = ${q(staged.REGISTRY_DEFAULT)}`,
    `[[providers]]\nplugin = "provider-echo"\nfile = ${q(staged.PROVIDER_ECHO)}`,
  ].join("\n");
}

const submit = (c) => call(c, "submit_workflow", { workflow });

test("a token past its rate is refused with rate_limited; another token is not; a reload lifts it", async () => {
  const staged = stagePlugins(["QUEUE_MEMORY_V1", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_ECHO"]);
  const hub = await startHub(config(staged, "[limits]\nsubmissions_per_second = 2\nsubmission_burst = 3"));
  try {
    // Two connections with one token share its bucket.
    const a1 = await hub.connect("alice");
    const a2 = await hub.connect("alice");
    const replies = [await submit(a1), await submit(a2), await submit(a1), await submit(a2)];
    assert.deepEqual(replies.slice(0, 3).map((r) => r.ok), [true, true, true]);
    assert.equal(replies[3].ok, false);
    assert.equal(replies[3].error.code, "rate_limited");
    const wait = Number(replies[3].error.message.match(/^more than \[limits\] submissions_per_second allows; try again in (\d+) ms$/)?.[1]);
    assert.ok(wait > 0 && wait <= 500, replies[3].error.message);
    // Another token has its own budget.
    const b = await hub.connect("bob");
    assert.equal((await submit(b)).ok, true);
    // Once the wait has passed, one more goes.
    await sleep(wait + 20);
    assert.equal((await submit(a1)).ok, true);
    assert.equal((await submit(a1)).error?.code, "rate_limited");
    // A reload to no limit applies to the next submission.
    writeFileSync(hub.configPath, config(staged, ""));
    const from = hub.log.length;
    hub.proc.kill("SIGHUP");
    await hub.waitForLog("limits.submissions_per_second: 2 -> 0", from);
    for (let i = 0; i < 10; i++) assert.equal((await submit(a1)).ok, true, `submission ${i} after the reload`);
  } finally {
    await hub.stop();
  }
});

test("[limits] is checked with file:line:col", async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const file = join(mkdtempSync(join(tmpdir(), "gleitzeit-limits-")), "bad.toml");
  writeFileSync(file, "[limits]\nsubmissions_per_second = -1\n");
  let out = "";
  try {
    execFileSync(process.env.GLEITZEITD, ["--check-config", file], { stdio: "pipe" });
  } catch (e) {
    out = e.stderr.toString();
  }
  assert.equal(out.trim(), `${file}:2:26: 'submissions_per_second' must be from 0 to 1000000`);
});
