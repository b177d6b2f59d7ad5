// The soak's checker must be able to fail: hand-made logs of a small run pass it, and the same
// logs with one thing broken make it report that kind of violation. A checker that passes
// everything would make the soak's "violations=0" worthless.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { check } from "./check.mjs";

const CHECKER = fileURLToPath(new URL("./check.mjs", import.meta.url));
const dirs = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ra = { exec: "p.1.1", deps: {} };
const rb = { exec: "p.1.2", deps: { a: "p.1.1" } };
const work = (id, extra = {}) => ({ id, protocol: "soak/v1", method: "work", params: { ms: 1 }, ...extra });

/**
 * A clean run: c1-1 a chain a -> b (a ran twice before its completion was reported:
 * at-least-once, allowed), c1-2 cancelled while x ran, c1-3 on provider-echo.
 */
function cleanRun() {
  const wf1 = { id: "c1-1", tasks: [work("a"), work("b", { dependencies: ["a"], params: { ms: 1, dep_a: "${a.result.exec}" } })] };
  const wf2 = { id: "c1-2", tasks: [work("x")] };
  const wf3 = { id: "c1-3", tasks: [{ id: "say", protocol: "echo/v1", method: "echo", params: { said: "c1-3" } }] };
  const resources = Array.from({ length: 60 }, (_, i) => ({ t: 10000 + i * 2000, incarnation: 1, pid: 7, rss_kb: 12000 + (i % 5) * 100, fds: 20 + (i % 3) }));
  return {
    clients: {
      c1: [
        { kind: "submit", t: 990, wf: "c1-1", shape: "chain", workflow: wf1 },
        { kind: "submit_ack", t: 1000, wf: "c1-1", reply: { ok: true, workflow_id: "c1-1" } },
        { kind: "event", t: 1200, event: "task_completed", payload: { workflow_id: "c1-1", task_id: "a", result: ra } },
        { kind: "event", t: 1400, event: "task_completed", payload: { workflow_id: "c1-1", task_id: "b", result: rb } },
        { kind: "event", t: 1410, event: "workflow_completed", payload: { workflow_id: "c1-1", state: "completed", results: { a: ra, b: rb } } },
        { kind: "submit", t: 1990, wf: "c1-2", shape: "cancel", workflow: wf2 },
        { kind: "submit_ack", t: 2000, wf: "c1-2", reply: { ok: true, workflow_id: "c1-2" } },
        { kind: "cancel", t: 2100, wf: "c1-2" },
        { kind: "cancel_ack", t: 2110, wf: "c1-2", reply: { ok: true, workflow_id: "c1-2" } },
        { kind: "event", t: 2111, event: "workflow_cancelled", payload: { workflow_id: "c1-2", state: "cancelled", results: {} } },
        { kind: "submit", t: 2990, wf: "c1-3", shape: "echo", workflow: wf3 },
        { kind: "submit_ack", t: 3000, wf: "c1-3", reply: { ok: true, workflow_id: "c1-3" } },
        { kind: "status", t: 3100, wf: "c1-3", reply: { ok: true, workflow: { id: "c1-3", state: "completed", tasks: { say: { state: "completed", attempt: 1, result: { said: "c1-3" } } } } } },
      ],
    },
    providers: {
      p: [
        { kind: "call", t: 1101, hub_ts: 1100, task_id: "c1-1/a", workflow_id: "c1-1", attempt: 1, params: { ms: 1 }, exec: "p.1.1" },
        { kind: "reply", t: 1110, task_id: "c1-1/a", exec: "p.1.1", ok: true, result: ra },
        { kind: "call", t: 1151, hub_ts: 1150, task_id: "c1-1/a", workflow_id: "c1-1", attempt: 1, params: { ms: 1 }, exec: "p.1.3" },
        { kind: "reply", t: 1160, task_id: "c1-1/a", exec: "p.1.3", ok: true, result: { exec: "p.1.3", deps: {} } },
        { kind: "call", t: 1301, hub_ts: 1300, task_id: "c1-1/b", workflow_id: "c1-1", attempt: 1, params: { ms: 1, dep_a: "p.1.1" }, exec: "p.1.2" },
        { kind: "reply", t: 1310, task_id: "c1-1/b", exec: "p.1.2", ok: true, result: rb },
        { kind: "call", t: 2051, hub_ts: 2050, task_id: "c1-2/x", workflow_id: "c1-2", attempt: 1, params: { ms: 1 }, exec: "p.1.4" },
        { kind: "cancel_task", t: 2112, task_id: "c1-2/x", reason: "workflow ended" },
        { kind: "reply", t: 2113, task_id: "c1-2/x", exec: "p.1.4", ok: false, error: { code: "cancelled" } },
      ],
    },
    final: [
      { wf: "c1-1", t: 9000, reply: { ok: true, workflow: { id: "c1-1", state: "completed", tasks: { a: { state: "completed", attempt: 1, result: ra }, b: { state: "completed", attempt: 1, result: rb } } } } },
      { wf: "c1-2", t: 9000, reply: { ok: true, workflow: { id: "c1-2", state: "cancelled", tasks: { x: { state: "cancelled", attempt: 1 } } } } },
      { wf: "c1-3", t: 9000, reply: { ok: true, workflow: { id: "c1-3", state: "completed", tasks: { say: { state: "completed", attempt: 1, result: { said: "c1-3" } } } } } },
    ],
    db: [
      { wf: "c1-1", task: "a", completed_events: 1 },
      { wf: "c1-1", task: "b", completed_events: 1 },
      { wf: "c1-3", task: "say", completed_events: 1 },
    ],
    faults: [{ t: 1500, kind: "hub_kill" }],
    resources,
    run: { seed: 1, seconds: 1, tmpfs: true },
  };
}

const lines = (records) => records.map((r) => JSON.stringify(r) + "\n").join("");

function writeRun(run) {
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-check-test-"));
  dirs.push(dir);
  for (const [sub, logs] of [["clients", run.clients], ["providers", run.providers]]) {
    mkdirSync(join(dir, sub));
    for (const [name, records] of Object.entries(logs)) writeFileSync(join(dir, sub, `${name}.jsonl`), lines(records));
  }
  for (const name of ["final", "db", "faults", "resources"]) writeFileSync(join(dir, `${name}.jsonl`), lines(run[name]));
  writeFileSync(join(dir, "run.json"), JSON.stringify(run.run));
  return dir;
}

/** The kinds the checker reports for the clean run changed by `breakIt(run)`. */
function kindsAfter(breakIt) {
  const run = cleanRun();
  breakIt(run);
  return new Set(check(writeRun(run)).violations.map((v) => v.kind));
}

const byKey = (records, pred) => records.find(pred);

test("a clean run passes, with its figures", () => {
  const result = check(writeRun(cleanRun()));
  assert.deepEqual(result.violations, []);
  assert.equal(result.ok, true);
  const f = result.report.figures;
  assert.deepEqual([f.workflows.acknowledged, f.workflows.completed, f.workflows.cancelled, f.tasks, f.calls], [3, 2, 1, 4, 4]);
  assert.equal(f.repeated_calls, 1, "a ran twice in attempt 1");
  assert.deepEqual(f.faults, { hub_kill: 1 });
  assert.match(result.line, /^soak: seed=1 .* violations=0/);
});

const cases = {
  not_terminal: (r) => (r.final[0].reply.workflow.state = "running"),
  end_changed: (r) => r.clients.c1.push({ kind: "event", t: 3200, event: "workflow_failed", payload: { workflow_id: "c1-3", state: "failed", results: {} } }),
  unfinished_tasks: (r) => (r.final[1].reply.workflow.tasks.x.state = "pending"),
  result_not_returned: (r) => (r.providers.p = r.providers.p.filter((x) => !(x.kind === "reply" && x.exec === "p.1.1"))),
  result_changed: (r) => (byKey(r.clients.c1, (x) => x.payload?.task_id === "a").payload.result = { exec: "p.1.3", deps: {} }),
  recorded_twice: (r) => (r.db[0].completed_events = 2),
  stale_input: (r) => {
    // b's recorded result, as its provider returned it, was computed from a's other execution.
    const stale = { exec: "p.1.2", deps: { a: "p.1.3" } };
    byKey(r.providers.p, (x) => x.kind === "reply" && x.exec === "p.1.2").result = stale;
    r.final[0].reply.workflow.tasks.b.result = stale;
    r.clients.c1 = r.clients.c1.filter((x) => x.kind !== "event" || x.payload.workflow_id !== "c1-1");
  },
  started_after_cancel: (r) => (byKey(r.providers.p, (x) => x.exec === "p.1.4").hub_ts = 2110.5),
  cancel_lost: (r) => {
    r.final[1].reply.workflow.state = "completed";
    r.clients.c1 = r.clients.c1.filter((x) => x.event !== "workflow_cancelled");
  },
  ran_after_completion: (r) => (byKey(r.providers.p, (x) => x.exec === "p.1.3").hub_ts = 1201),
  started_after_end: (r) => {
    // x of the cancelled workflow, sent after its end was reported: no cancel in this log.
    r.clients.c1 = r.clients.c1.filter((x) => x.kind !== "cancel_ack");
    byKey(r.providers.p, (x) => x.exec === "p.1.4").hub_ts = 2500;
  },
  resource_growth: (r) => {
    for (const [i, s] of r.resources.entries()) s.rss_kb = 12000 + i * 2000; // 2 MB more every sample
  },
  resource_cap: (r) => (r.resources[5].fds = 5000),
};

for (const [kind, breakIt] of Object.entries(cases))
  test(`it reports ${kind}`, () => {
    const kinds = kindsAfter(breakIt);
    assert.ok(kinds.has(kind), `expected ${kind}, got ${[...kinds].join(", ") || "nothing"}`);
  });

test("it reports no_workflows for a run that acknowledged nothing", () => {
  assert.ok(kindsAfter((r) => (r.clients.c1 = r.clients.c1.filter((x) => x.kind !== "submit_ack"))).has("no_workflows"));
});

test("the command line prints one line and exits 1 on a violation, 0 without", () => {
  const clean = writeRun(cleanRun());
  const out = execFileSync(process.execPath, [CHECKER, "--logs", clean], { encoding: "utf8" });
  assert.equal(out.trim().split("\n").length, 1);
  const broken = cleanRun();
  cases.recorded_twice(broken);
  const report = join(clean, "report.json");
  let failed;
  try {
    execFileSync(process.execPath, [CHECKER, "--logs", writeRun(broken), "--report", report], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    failed = e;
  }
  assert.equal(failed?.status, 1);
  assert.match(failed.stdout, /violations=1 \(recorded_twice:1\)/);
});
