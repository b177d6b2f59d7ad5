// watch_workflow (docs/events.md, "Following a workflow"): a client that did not submit a
// workflow, or that lost its connection, or whose hub restarted, gets every progress event
// after the last one it saw, in order, with no gap and no repeat, then the live ones. Checked
// against the submitter's own events and the event numbers (seq 1, 2, 3, ...).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startGleitzeitd } from "./harness.mjs";
import { call, durableConfig, pollUntil, removeTempDirs, stagePlugins, tempDir } from "./plugin_harness.mjs";

after(removeTempDirs);

const ENDS = ["workflow_completed", "workflow_failed", "workflow_cancelled"];


/** A chain of `n` tasks of `ms` each: 2n + 2 events (started, task_started/completed each, end). */
const chain = (n, ms) => ({
  name: "chain",
  tasks: Array.from({ length: n }, (_, i) => ({
    id: `t${i}`, protocol: "echo/v1", method: "delay", params: { ms },
    ...(i > 0 ? { dependencies: [`t${i - 1}`] } : {}),
  })),
});

/** A client recording [event, task_id, seq] of workflow `wf()` (events carry their seq) in
 * `seen`. Events are kept with their workflow and filtered when read: the submitter's first
 * ones arrive before its reply is handled, when the id is not known yet. */
function recorder(url, wf) {
  const c = io(url, { transports: ["websocket"], reconnection: false, auth: { observer_rooms: false } });
  const all = [];
  c.onAny((event, p) => all.push([p?.workflow_id, event, p?.task_id ?? null, p?.seq]));
  Object.defineProperty(c, "seen", { get: () => all.filter(([id]) => id === wf()).map(([, ...rest]) => rest) });
  c.ended = () => c.seen.some(([e]) => ENDS.includes(e));
  return c;
}

const seqs = (seen) => seen.map(([, , s]) => s);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function hubWithState() {
  const staged = stagePlugins();
  const stateDir = tempDir("gleitzeit-watch-");
  const toml = durableConfig(staged, stateDir);
  return { toml, hub: await startGleitzeitd(toml) };
}

test("a late watcher gets the events it missed, then the live ones: the submitter's sequence, no gap or repeat", async () => {
  const { hub } = await hubWithState();
  let wf;
  const submitter = recorder(hub.url, () => wf);
  const late = recorder(hub.url, () => wf);
  const later = recorder(hub.url, () => wf);
  try {
    const reply = await call(submitter, "submit_workflow", { workflow: chain(6, 150) });
    wf = reply.workflow_id;
    await pollUntil(() => submitter.seen.filter(([e]) => e === "task_completed").length >= 2, "two tasks done", 10000, 5);
    const watched = await call(late, "watch_workflow", { workflow_id: wf });
    assert.equal(watched.ok, true, JSON.stringify(watched));
    assert.equal(watched.state, "running");
    assert.ok(watched.replayed >= 5, JSON.stringify(watched));
    assert.deepEqual(seqs(late.seen), range(1, watched.seq), "the replay came before the reply, in order");
    const from3 = await call(later, "watch_workflow", { workflow_id: wf, since: 3 });
    assert.equal(from3.replayed, from3.seq - 3);
    await pollUntil(() => submitter.ended() && late.ended() && later.ended(), "every client saw the end", 10000, 5);
    assert.equal(submitter.seen.length, 14);
    assert.deepEqual(seqs(submitter.seen), range(1, 14));
    assert.deepEqual(late.seen, submitter.seen);
    assert.deepEqual(later.seen, submitter.seen.slice(3));
  } finally {
    for (const c of [submitter, late, later]) c.close();
    await hub.stop();
  }
});

test("after a hub crash and restart, watch_workflow from the last seq seen goes on without a gap; a finished workflow is replayed whole", async () => {
  const { toml, hub: first } = await hubWithState();
  let hub = first;
  let wf;
  const submitter = recorder(hub.url, () => wf);
  let resumed;
  try {
    const reply = await call(submitter, "submit_workflow", { workflow: chain(5, 200) });
    wf = reply.workflow_id;
    await pollUntil(() => submitter.seen.filter(([e]) => e === "task_completed").length >= 2, "two tasks done", 10000, 5);
    await hub.stop("SIGKILL");
    const before = submitter.seen.slice();
    const last = before.at(-1)[2];
    hub = await startGleitzeitd(toml, hub.port);
    resumed = recorder(hub.url, () => wf);
    const watched = await call(resumed, "watch_workflow", { workflow_id: wf, since: last });
    assert.equal(watched.ok, true, JSON.stringify(watched));
    await pollUntil(() => resumed.ended(), "the end after the restart", 15000, 10);
    // Numbering goes on across the restart: before + after is 1..N with nothing twice.
    const all = [...before, ...resumed.seen];
    assert.deepEqual(seqs(all), range(1, all.length));
    assert.equal(all.at(-1)[0], "workflow_completed");
    assert.deepEqual(all.filter(([e]) => e === "task_completed").map(([, t]) => t), ["t0", "t1", "t2", "t3", "t4"]);
    // Restarted again, the finished workflow is no longer held: the log answers alone.
    resumed.close();
    await hub.stop();
    hub = await startGleitzeitd(toml, hub.port);
    const archive = recorder(hub.url, () => wf);
    const whole = await call(archive, "watch_workflow", { workflow_id: wf, since: 0 });
    assert.deepEqual(whole, { ok: true, workflow_id: wf, replayed: all.length, seq: all.length });
    assert.deepEqual(archive.seen, all);
    archive.close();
  } finally {
    submitter.close();
    resumed?.close();
    await hub.stop();
  }
});

test("watch_workflow refuses what names no workflow, with a clear error", async () => {
  const { hub } = await hubWithState();
  const c = io(hub.url, { transports: ["websocket"], reconnection: false });
  try {
    assert.deepEqual(await call(c, "watch_workflow", { workflow_id: "wf-never" }),
      { ok: false, error: { code: "not_found", message: "no workflow 'wf-never'" } });
    const bad = { ok: false, error: { code: "invalid_argument", message: "watch_workflow needs {workflow_id, since?}: since is the seq of the last event seen, an integer from 0" } };
    for (const payload of [undefined, {}, { workflow_id: "" }, { workflow_id: 7 }, { workflow_id: "x", since: -1 }, { workflow_id: "x", since: "3" }, { workflow_id: "x", since: 1.5 }])
      assert.deepEqual(await call(c, "watch_workflow", payload), bad, JSON.stringify(payload));
    assert.equal(await c.timeout(5000).emitWithAck("echo", "still here"), "still here");
  } finally {
    c.close();
    await hub.stop();
  }
});
