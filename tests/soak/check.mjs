#!/usr/bin/env node
// The soak's checker, independent of the run: it reads only the logs the soak's processes
// wrote (clients/, providers/, faults.jsonl, resources.jsonl, run.json), the hub's final
// answers to query_status (final.jsonl) and the tally of the hub's event log (db.jsonl),
// and decides. What it holds the hub to (docs/reliability.md, "Chaos soak"):
//   not_terminal          an acknowledged workflow is not completed, failed or cancelled
//   end_changed           a client was told a workflow ended one way, the hub says another
//   unfinished_tasks      an ended workflow has a task that is not over (or, completed, one
//                         that did not complete)
//   result_not_returned   a completed task's recorded result is not one a provider returned
//   result_changed        a client was told a task's result, and it is not the recorded one
//   recorded_twice        the hub's event log holds task_completed for a task more than once
//   stale_input           a recorded result was computed from a dependency's result that was
//                         not the one recorded for that dependency
//   started_after_cancel  a provider was sent a task of a workflow after its cancel was acked
//   cancel_lost           a cancel was acknowledged, and the workflow ended otherwise
//   ran_after_completion  a provider was sent a task after its completion was reported
//   started_after_end     a provider was sent a task after its workflow's end was reported
//   resource_growth       the hub's RSS or open fds grew steadily within one incarnation
//   resource_cap          the hub's RSS or open fds went over a fixed bound
//   no_workflows          no client has an acknowledged workflow: the run checked nothing
// "Sent" is the hub's own _timestamp on execute_method (provider logs, hub_ts); "told" is
// when the client's process saw it. Both clocks are the machine's, and the hub stamps a call
// before it leaves, so a call stamped after a client saw the cancel or the result was sent
// after it: at-least-once runs before that moment (a restart repeating a call in flight) are
// allowed, and counted.
//
//   node tests/soak/check.mjs --logs DIR [--report FILE]
// Prints one line of figures, writes the report (JSON), exits 1 on any violation.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, parseArgs } from "node:util";
import { readLog, readLogs } from "./jsonl.mjs";
import { echoExpected } from "./shapes.mjs";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const TASK_ENDS = new Set(["completed", "failed", "skipped", "cancelled"]);
const END_EVENTS = { workflow_completed: "completed", workflow_failed: "failed", workflow_cancelled: "cancelled" };
// Resource bounds: far above what a hub of this size needs, far below a leak's end.
export const LIMITS = { rss_kb: 1024 * 1024, fds: 1024, growth_min_span_ms: 40000 };

/** The logs of a run directory, as the checker's model of what happened. */
export function load(dir) {
  const m = {
    workflows: new Map(), // wf -> {client, shape, def, acked, ...}
    calls: new Map(), // qualified task id -> [call]
    replies: new Map(), // exec -> reply record
    counts: { submit_lost: 0, refused: 0, cancels_acked: 0, calls: 0, replies: 0 },
    faults: readLog(join(dir, "faults.jsonl")),
    resources: readLog(join(dir, "resources.jsonl")),
    tally: readTally(join(dir, "db.jsonl")),
    run: existsSync(join(dir, "run.json")) ? JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) : {},
  };
  for (const [client, records] of Object.entries(readLogs(join(dir, "clients")))) for (const r of records) readClient(m, client, r);
  for (const records of Object.values(readLogs(join(dir, "providers")))) for (const r of records) readProvider(m, r);
  for (const f of readLog(join(dir, "final.jsonl"))) if (m.workflows.has(f.wf)) m.workflows.get(f.wf).final = f.reply;
  return m;
}

/** db.jsonl as a Map "<wf>/<task>" -> task_completed events, or null when there is none. */
function readTally(path) {
  if (!existsSync(path)) return null;
  return new Map(readLog(path).map((x) => [`${x.wf}/${x.task}`, x.completed_events]));
}

function workflow(m, wf) {
  if (!m.workflows.has(wf))
    m.workflows.set(wf, { wf, acked: false, cancelAckT: null, ends: [], reports: new Map(), final: null });
  return m.workflows.get(wf);
}

/** A client saw `result` for task `task` of `w` at `t` (an event or a status reply). */
function report(w, task, t, result, source) {
  if (!w.reports.has(task)) w.reports.set(task, []);
  w.reports.get(task).push({ t, result, source });
}

function readClient(m, client, r) {
  if (r.kind === "submit") Object.assign(workflow(m, r.wf), { client, shape: r.shape, def: r.workflow });
  else if (r.kind === "submit_lost") m.counts.submit_lost++;
  else if (r.kind === "submit_ack") {
    if (r.reply?.ok !== true) return void m.counts.refused++;
    Object.assign(workflow(m, r.wf), { acked: true, ackT: r.t });
  } else if (r.kind === "cancel_ack" && r.reply?.ok === true) {
    const w = workflow(m, r.wf);
    w.cancelAckT = Math.min(w.cancelAckT ?? Infinity, r.t);
    m.counts.cancels_acked++;
  } else if (r.kind === "event") readEvent(workflow(m, r.payload.workflow_id), r);
  else if (r.kind === "status" && r.reply?.ok === true) {
    const w = workflow(m, r.wf);
    const s = r.reply.workflow;
    for (const [task, ts] of Object.entries(s?.tasks ?? {})) if (ts.state === "completed") report(w, task, r.t, ts.result, "query_status");
    if (TERMINAL.has(s?.state)) w.ends.push({ t: r.t, state: s.state, source: "query_status" });
  }
}

function readEvent(w, { t, event, payload }) {
  if (event === "task_completed") report(w, payload.task_id, t, payload.result, "task_completed");
  if (END_EVENTS[event]) {
    w.ends.push({ t, state: END_EVENTS[event], source: event });
    for (const [task, result] of Object.entries(payload.results ?? {})) report(w, task, t, result, event);
  }
}

function readProvider(m, r) {
  if (r.kind === "call") {
    m.counts.calls++;
    if (!m.calls.has(r.task_id)) m.calls.set(r.task_id, []);
    m.calls.get(r.task_id).push(r);
  } else if (r.kind === "reply") {
    m.counts.replies++;
    m.replies.set(r.exec, r);
  }
}

const own = (wf, qualified) => qualified.slice(wf.length + 1);

/** Checks everything; returns [{kind, wf, task?, detail}]. */
export function verify(m) {
  const v = [];
  // `at`: when the client was told what the hub then broke (for the faults near it).
  const add = (kind, wf, task, detail, at) => v.push({ kind, wf, ...(task === undefined ? {} : { task }), detail, ...(at ? { at } : {}) });
  const callsByWf = indexCalls(m);
  for (const w of m.workflows.values()) {
    if (!w.acked) continue;
    const calls = callsByWf.get(w.wf) ?? [];
    const final = w.final?.ok === true ? w.final.workflow : null;
    if (!final || !TERMINAL.has(final.state)) add("not_terminal", w.wf, undefined, w.final ?? "no final answer");
    if (final) checkEnds(w, final, add);
    if (final) checkResults(m, w, final, add);
    checkTimes(w, calls, add);
  }
  checkResources(m.resources, add);
  // A run that acknowledged nothing checked nothing: a broken harness must not pass.
  if (![...m.workflows.values()].some((w) => w.acked)) add("no_workflows", null, undefined, "no acknowledged workflow in the clients' logs");
  return v;
}

function indexCalls(m) {
  const by = new Map();
  for (const [id, calls] of m.calls) {
    const wf = id.slice(0, id.lastIndexOf("/"));
    if (!by.has(wf)) by.set(wf, []);
    for (const c of calls) by.get(wf).push({ ...c, task: own(wf, id) });
  }
  return by;
}

function checkEnds(w, final, add) {
  for (const e of w.ends)
    if (e.state !== final.state) add("end_changed", w.wf, undefined, `told ${e.state} (${e.source}) at ${e.t}, the hub says ${final.state}`, e.t);
  // An end is the end of every task: a completed workflow's tasks all completed, and no
  // task of an ended workflow still waits or runs.
  if (TERMINAL.has(final.state))
    for (const [task, ts] of Object.entries(final.tasks ?? {}))
      if (!TASK_ENDS.has(ts.state) || (final.state === "completed" && ts.state !== "completed"))
        add("unfinished_tasks", w.wf, task, `the workflow is ${final.state}, this task ${ts.state}`);
  if (w.cancelAckT !== null && final.state !== "cancelled")
    add("cancel_lost", w.wf, undefined, `cancel acknowledged at ${w.cancelAckT}, the workflow ended ${final.state}`, w.cancelAckT);
}

function checkResults(m, w, final, add) {
  const defs = new Map((w.def?.tasks ?? []).map((t) => [t.id, t]));
  for (const [task, ts] of Object.entries(final.tasks ?? {})) {
    const qualified = `${w.wf}/${task}`;
    for (const r of w.reports.get(task) ?? []) {
      if (ts.state !== "completed") add("result_changed", w.wf, task, `told completed (${r.source}) at ${r.t}, the hub says ${ts.state}`, r.t);
      else if (!isDeepStrictEqual(r.result, ts.result)) add("result_changed", w.wf, task, `told ${JSON.stringify(r.result)} (${r.source}) at ${r.t}, recorded ${JSON.stringify(ts.result)}`, r.t);
    }
    if (ts.state !== "completed") continue;
    const def = defs.get(task);
    if (def?.protocol === "echo/v1") {
      const expected = echoExpected(def);
      if (!isDeepStrictEqual(ts.result, expected)) add("result_not_returned", w.wf, task, `recorded ${JSON.stringify(ts.result)}, provider-echo returns ${JSON.stringify(expected)}`);
    } else {
      const reply = m.replies.get(ts.result?.exec);
      if (!reply || reply.task_id !== qualified || !reply.ok || !isDeepStrictEqual(reply.result, ts.result))
        add("result_not_returned", w.wf, task, `recorded ${JSON.stringify(ts.result)}; no provider returned it for ${qualified}`);
    }
    for (const [dep, used] of Object.entries(ts.result?.deps ?? {})) {
      const recorded = final.tasks[dep]?.result?.exec;
      if (used !== recorded) add("stale_input", w.wf, task, `computed from ${dep} = ${used}, recorded for ${dep}: ${recorded}`);
    }
    const n = m.tally?.get(qualified);
    if (n > 1) add("recorded_twice", w.wf, task, `${n} task_completed events in the hub's event log`);
  }
}

function checkTimes(w, calls, add) {
  const firstEnd = Math.min(...w.ends.map((e) => e.t));
  const firstDone = new Map([...w.reports].map(([task, rs]) => [task, rs.reduce((a, b) => (b.t < a.t ? b : a))]));
  for (const c of calls) {
    const at = c.hub_ts ?? c.t;
    const what = `${c.task} attempt ${c.attempt} sent at ${at} (${c.exec})`;
    const done = firstDone.get(c.task);
    if (w.cancelAckT !== null && at > w.cancelAckT) add("started_after_cancel", w.wf, c.task, `${what}, cancel acknowledged at ${w.cancelAckT}`, w.cancelAckT);
    if (done && at > done.t) add("ran_after_completion", w.wf, c.task, `${what}, completion reported at ${done.t} (${done.source})`, done.t);
    if (at > firstEnd) add("started_after_end", w.wf, c.task, `${what}, workflow end reported at ${firstEnd}`, firstEnd);
  }
}

/** Per hub incarnation: {incarnation, pid, samples, span_s, rss_kb: {min,max,last}, fds: {...}}. */
export function resourceSeries(samples) {
  const by = new Map();
  for (const s of samples) {
    if (!by.has(s.incarnation)) by.set(s.incarnation, []);
    by.get(s.incarnation).push(s);
  }
  const stats = (xs) => ({ min: Math.min(...xs), max: Math.max(...xs), last: xs.at(-1) });
  return [...by.entries()].map(([incarnation, ss]) => ({
    incarnation, pid: ss[0].pid, samples: ss.length, span_s: Math.round((ss.at(-1).t - ss[0].t) / 1000),
    rss_kb: stats(ss.map((s) => s.rss_kb)), fds: stats(ss.map((s) => s.fds)), raw: ss,
  }));
}

/**
 * Bounded: no sample over LIMITS; and within an incarnation long enough to tell (after 20 s
 * of warm-up), no steady growth: a leak raises the second half's median well above the
 * first half's, and its last quarter never comes back down to the first quarter's top. A
 * working hub goes up and down with its load and levels off.
 */
function checkResources(samples, add) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const s of resourceSeries(samples)) {
    if (s.rss_kb.max > LIMITS.rss_kb) add("resource_cap", null, undefined, `incarnation ${s.incarnation}: RSS ${s.rss_kb.max} kB`);
    if (s.fds.max > LIMITS.fds) add("resource_cap", null, undefined, `incarnation ${s.incarnation}: ${s.fds.max} fds`);
    const warm = s.raw.filter((x) => x.t - s.raw[0].t >= 20000);
    if (warm.length < 8 || warm.at(-1).t - warm[0].t < LIMITS.growth_min_span_ms) continue;
    const half = Math.floor(warm.length / 2);
    const q = Math.floor(warm.length / 4);
    const grew = (key, slack) => {
      const [a, b] = [warm.slice(0, half), warm.slice(half)].map((xs) => median(xs.map((x) => x[key])));
      const steady = Math.min(...warm.slice(-q).map((x) => x[key])) > Math.max(...warm.slice(0, q).map((x) => x[key]));
      return steady && b > a + slack(a) ? `${a} -> ${b} (medians of the halves)` : null;
    };
    const rss = grew("rss_kb", (a) => Math.max(16 * 1024, a / 4));
    if (rss) add("resource_growth", null, undefined, `incarnation ${s.incarnation}: RSS kB ${rss}`);
    const fds = grew("fds", () => 32);
    if (fds) add("resource_growth", null, undefined, `incarnation ${s.incarnation}: fds ${fds}`);
  }
}

/** The figures of a run, for the line and the report. */
export function figures(m, violations) {
  const f = { workflows: { acknowledged: 0, completed: 0, failed: 0, cancelled: 0, open: 0 }, tasks: 0, repeated_calls: 0, shapes: {} };
  for (const w of m.workflows.values()) {
    if (!w.acked) continue;
    f.workflows.acknowledged++;
    const state = w.final?.workflow?.state;
    const end = TERMINAL.has(state) ? state : "open";
    f.workflows[end]++;
    f.shapes[w.shape] ??= {};
    f.shapes[w.shape][end] = (f.shapes[w.shape][end] ?? 0) + 1;
    f.tasks += w.def?.tasks?.length ?? 0;
  }
  // Calls beyond one per attempt: at-least-once deliveries after kills and requeues.
  for (const calls of m.calls.values()) f.repeated_calls += calls.length - new Set(calls.map((c) => c.attempt)).size;
  Object.assign(f.workflows, { submit_lost: m.counts.submit_lost, refused: m.counts.refused, cancels_acked: m.counts.cancels_acked });
  f.calls = m.counts.calls;
  f.faults = {};
  f.faults_refused = {}; // a swap or reload the hub refused (e.g. a provider still draining)
  for (const x of m.faults) {
    f.faults[x.kind] = (f.faults[x.kind] ?? 0) + 1;
    const key = x.slot ? `${x.kind}:${x.slot}` : x.kind;
    if (x.ok === false) f.faults_refused[key] = (f.faults_refused[key] ?? 0) + 1;
  }
  f.violations = {};
  for (const x of violations) f.violations[x.kind] = (f.violations[x.kind] ?? 0) + 1;
  f.resources = resourceSeries(m.resources).map(({ raw, ...rest }) => rest);
  return f;
}

export function line(f, run, violations, reportPath) {
  const kv = (o) => Object.entries(o).map(([k, n]) => `${k}:${n}`).join(",") || "none";
  const w = f.workflows;
  const rss = Math.max(0, ...f.resources.map((r) => r.rss_kb.max));
  const fds = Math.max(0, ...f.resources.map((r) => r.fds.max));
  return [
    `soak: seed=${run.seed ?? "?"} seconds=${run.seconds ?? "?"} tmpfs=${run.tmpfs ?? "?"}`,
    `workflows=${w.acknowledged} (completed ${w.completed}, failed ${w.failed}, cancelled ${w.cancelled}, open ${w.open}; unacked ${w.submit_lost})`,
    `tasks=${f.tasks} calls=${f.calls} repeated_calls=${f.repeated_calls}`,
    `faults=${kv(f.faults)}`,
    `hub_rss_max=${Math.round(rss / 1024)}MB hub_fds_max=${fds} incarnations=${f.resources.length}`,
    `violations=${violations.length}${violations.length ? ` (${kv(f.violations)})` : ""}`,
    ...(run.error ? [`harness_error=${JSON.stringify(String(run.error).split("\n")[0])}`] : []),
    ...(reportPath ? [`report=${reportPath}`] : []),
  ].join(" ");
}

/** The faults from 10 s before `at` to 1 s after, as "kind@+ms" (a diagnosis starts there). */
function faultsNear(faults, at) {
  return faults.filter((x) => x.t >= at - 10000 && x.t <= at + 1000).map((x) => `${x.kind}@${x.t - at >= 0 ? "+" : ""}${x.t - at}ms`);
}

/** Checks the run in `dir`; returns {ok, line, report}. */
export function check(dir, reportPath) {
  const m = load(dir);
  const violations = verify(m);
  const f = figures(m, violations);
  const samples = violations.slice(0, 200).map((x) => ({ ...x, ...(x.at ? { faults_near: faultsNear(m.faults, x.at) } : {}) }));
  const report = { run: m.run, figures: f, violations: samples, violations_total: violations.length };
  if (reportPath) writeFileSync(reportPath, JSON.stringify(report, null, 1));
  return { ok: violations.length === 0 && !m.run.error, line: line(f, m.run, violations, reportPath), report, violations };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { logs: { type: "string" }, report: { type: "string" } } });
  if (!values.logs) {
    console.error("usage: node check.mjs --logs DIR [--report FILE]");
    process.exit(2);
  }
  const result = check(values.logs, values.report);
  console.log(result.line);
  for (const x of result.violations.slice(0, 20)) console.error(`violation: ${x.kind} ${x.wf ?? ""}${x.task ? `/${x.task}` : ""}: ${typeof x.detail === "string" ? x.detail : JSON.stringify(x.detail)}`);
  process.exit(result.ok ? 0 : 1);
}
