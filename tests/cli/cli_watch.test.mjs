// Following a workflow across a lost connection, and `gleitzeit watch` (docs/cli.md,
// "Following across a lost connection"): the hub is killed with SIGKILL while `gleitzeit run`
// follows a workflow and started again on the same state; the CLI reconnects, takes up the
// events from the last one it saw (watch_workflow), and ends with the workflow's results,
// each task's end printed once.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startGleitzeitd } from "../interop/js/harness.mjs";
import { durableConfig, pollUntil, sleep, stagePlugins } from "../interop/js/plugin_harness.mjs";
import { gleitzeit, removeTempDirs, show, tempDir, workflowFile } from "./cli_harness.mjs";

after(removeTempDirs);

function hubConfig() {
  const staged = stagePlugins(["QUEUE_MEMORY", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_ECHO", "PERSISTENCE_SQLITE"]);
  return durableConfig(staged, tempDir("gleitzeit-cli-watch-"));
}

/** A TOML chain of `n` echo delays of `ms` each. */
function chainFile(n, ms) {
  let text = `name = "chain"\n`;
  for (let i = 0; i < n; i++)
    text += `\n[[tasks]]\nid = "t${i}"\nprotocol = "echo/v1"\nmethod = "delay"\nparams = { ms = ${ms} }\n` +
      (i > 0 ? `dependencies = ["t${i - 1}"]\n` : "");
  return workflowFile("chain.toml", text);
}

const count = (text, re) => (text.match(re) ?? []).length;

test("run survives a hub crash and restart mid-run: it reconnects, misses nothing and repeats nothing", async () => {
  const toml = hubConfig();
  let hub = await startGleitzeitd(toml);
  const port = hub.port;
  try {
    let restarted = false;
    const running = gleitzeit(["run", chainFile(4, 400)], {
      url: hub.url,
      timeout: 60000,
      onStdout: (out) => {
        // The kill lands once two tasks have ended, while the third runs.
        if (!restarted && count(out, /^t\d completed/gm) === 2) {
          restarted = true;
          (async () => {
            await hub.stop("SIGKILL");
            await sleep(1500); // the CLI tries again meanwhile, and fails
            hub = await startGleitzeitd(toml, port);
          })();
        }
      },
    });
    const r = await running;
    assert.equal(r.code, 0, show(r));
    assert.ok(restarted, "the hub was restarted mid-run");
    assert.match(r.stderr, /lost the connection to the hub at http:\/\/127\.0\.0\.1:\d+ \(.+\); trying again for up to 60 s/);
    assert.match(r.stderr, /reconnected; \d+ events of workflow wf-\S+ came meanwhile/);
    for (let i = 0; i < 4; i++) assert.equal(count(r.stdout, new RegExp(`^t${i} completed`, "gm")), 1, `t${i}\n${show(r)}`);
    assert.equal(count(r.stdout, /^workflow completed/gm), 1, show(r));
    assert.match(r.stdout, /t3 +completed/);
  } finally {
    await hub.stop();
  }
});

test("watch follows a workflow someone else submitted, from its first event; a finished one at once", async () => {
  const hub = await startGleitzeitd(hubConfig());
  try {
    const submitted = await gleitzeit(["submit", chainFile(3, 300)], { url: hub.url });
    assert.equal(submitted.code, 0, show(submitted));
    const id = submitted.stdout.trim();
    await sleep(400); // one task has ended before the watch starts
    const watched = await gleitzeit(["watch", id], { url: hub.url, timeout: 30000 });
    assert.equal(watched.code, 0, show(watched));
    assert.match(watched.stdout, new RegExp(`^workflow ${id} \\(chain\\) started: 3 tasks`, "m"));
    for (let i = 0; i < 3; i++) assert.equal(count(watched.stdout, new RegExp(`^t${i} completed`, "gm")), 1, show(watched));
    // Once it has ended: the same events, replayed at once, and the results.
    const again = await gleitzeit(["--json", "watch", id], { url: hub.url });
    assert.equal(again.code, 0, show(again));
    const doc = JSON.parse(again.stdout);
    assert.equal(doc.state, "completed");
    assert.deepEqual(Object.keys(doc.results).sort(), ["t0", "t1", "t2"]);
    assert.deepEqual(doc.results.t2, { slept_ms: 300 });
    const unknown = await gleitzeit(["watch", "wf-never"], { url: hub.url });
    assert.equal(unknown.code, 1, show(unknown));
    assert.match(unknown.stderr, /not_found: no workflow 'wf-never'/);
  } finally {
    await hub.stop();
  }
});
