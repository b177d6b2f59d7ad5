// Graceful stop (docs/operations.md, "Stopping"): SIGTERM refuses new submissions with
// `unavailable`, lets the tasks in flight finish within [server] drain_timeout, saves, and
// exits 0; what was not started waits in the state file and runs after the restart. Past the
// timeout, or at a second signal, the calls in flight are cut and run again after the restart.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { io } from "socket.io-client";
import { startGleitzeitd } from "./harness.mjs";
import { call, durableConfig, pollUntil, removeTempDirs, stagePlugins, tempDir } from "./plugin_harness.mjs";

after(removeTempDirs);


function sql(db, query) {
  const script = "import json,sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(json.dumps(c.execute(sys.argv[2]).fetchall()))";
  return JSON.parse(execFileSync("python3", ["-c", script, db, query]).toString());
}

/** `slow` sleeps `ms` at provider-echo; `next` depends on it and takes its result. */
const slowThenNext = (ms) => ({
  name: "drain",
  tasks: [
    { id: "slow", protocol: "echo/v1", method: "delay", params: { ms } },
    { id: "next", protocol: "echo/v1", method: "echo", dependencies: ["slow"], params: { slept: "${slow.result.slept_ms}" } },
  ],
});

/** A hub running `slowThenNext(ms)`, with `slow` executing. */
async function hubWithSlowTask(drainMs, ms) {
  const staged = stagePlugins();
  const stateDir = tempDir("gleitzeit-drain-");
  const toml = durableConfig(staged, stateDir, { extra: `[server]\ndrain_timeout = ${drainMs}` });
  const hub = await startGleitzeitd(toml);
  const client = io(hub.url, { transports: ["websocket"], reconnection: false });
  const events = [];
  client.onAny((event, p) => events.push([event, p.task_id ?? null]));
  const reply = await call(client, "submit_workflow", { workflow: slowThenNext(ms) });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  await pollUntil(() => events.some(([e, id]) => e === "task_started" && id === "slow"), "slow started", 5000, 5);
  return { hub, toml, client, events, wf: reply.workflow_id, db: join(stateDir, "gleitzeit.db") };
}

/** Stops `hub` with SIGTERM; resolves with the ms until it exited 0. */
async function stopTimed(hub) {
  const t0 = Date.now();
  await hub.stop("SIGTERM");
  return Date.now() - t0;
}

async function finishedAfterRestart(toml, port, wf) {
  const hub = await startGleitzeitd(toml, port);
  const client = io(hub.url, { transports: ["websocket"], reconnection: false });
  try {
    let status;
    await pollUntil(async () => {
      status = await call(client, "query_status", { workflow_id: wf });
      return status.ok && status.workflow.state !== "running";
    }, "the workflow finished after the restart", 10000, 50);
    return status.workflow;
  } finally {
    client.close();
    await hub.stop("SIGTERM");
  }
}

test("SIGTERM lets the task in flight finish, refuses submissions meanwhile, and the rest runs after the restart", async () => {
  const h = await hubWithSlowTask(5000, 1500);
  const stopped = stopTimed(h.hub);
  await pollUntil(() => /draining/.test(h.hub.proc.stderrText ?? ""), "the hub says it drains", 3000, 5);
  const refused = await call(h.client, "submit_workflow", { workflow: slowThenNext(1) });
  assert.deepEqual(refused, { ok: false, error: { code: "unavailable",
    message: "the hub is stopping; submit the workflow again once it is back" } });
  const took = await stopped; // rejects unless it exited 0
  h.client.close();
  assert.ok(took >= 800 && took < 4500, `stopped after ${took} ms: it waited for the 1500 ms task, not the 5000 ms limit`);
  assert.match(h.hub.proc.stderrText, /drained: no task in flight/);
  // The submitter got the task's end before the hub went; `next` was not started.
  assert.ok(h.events.some(([e, id]) => e === "task_completed" && id === "slow"), JSON.stringify(h.events));
  assert.ok(!h.events.some(([e, id]) => e === "task_started" && id === "next"), JSON.stringify(h.events));
  assert.deepEqual(sql(h.db, `SELECT id, state, attempt FROM tasks WHERE workflow_id = '${h.wf}' ORDER BY id`),
    [[`${h.wf}/next`, "pending", 0], [`${h.wf}/slow`, "completed", 1]]);
  // After the restart: `slow` is not run again, `next` runs with its result.
  const wf = await finishedAfterRestart(h.toml, h.hub.port, h.wf);
  assert.equal(wf.state, "completed", JSON.stringify(wf));
  assert.deepEqual(wf.tasks.slow, { state: "completed", attempt: 1, result: { slept_ms: 1500 } });
  assert.deepEqual(wf.tasks.next.result, { slept: 1500 });
});

test("past drain_timeout the call in flight is cut, and it runs again after the restart", async () => {
  const h = await hubWithSlowTask(300, 4000);
  const took = await stopTimed(h.hub);
  h.client.close();
  assert.ok(took >= 250 && took < 2500, `stopped after ${took} ms (drain_timeout 300)`);
  assert.match(h.hub.proc.stderrText, /1 tasks still in flight are cut; they run again after the restart/);
  assert.deepEqual(sql(h.db, `SELECT state FROM tasks WHERE id = '${h.wf}/slow'`), [["executing"]]);
  const wf = await finishedAfterRestart(h.toml, h.hub.port, h.wf);
  assert.equal(wf.state, "completed", JSON.stringify(wf));
  assert.equal(wf.tasks.slow.attempt, 2, "the cut attempt counts");
});

test("a second SIGTERM does not wait for the drain", async () => {
  const h = await hubWithSlowTask(10000, 4000);
  const t0 = Date.now();
  const stopped = h.hub.stop("SIGTERM");
  await pollUntil(() => /draining/.test(h.hub.proc.stderrText ?? ""), "the hub says it drains", 3000, 5);
  h.hub.proc.kill("SIGTERM");
  await stopped;
  h.client.close();
  const took = Date.now() - t0;
  assert.ok(took < 2500, `stopped after ${took} ms, not after the 4000 ms task`);
  assert.doesNotMatch(h.hub.proc.stderrText, /drained: no task in flight/);
});
