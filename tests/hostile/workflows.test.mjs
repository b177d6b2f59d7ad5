// Hostile workflows (issue 18): shapes the codec and the resolver refuse (docs/events.md,
// "Workflows": invalid_workflow with the field's path or the resolver's reason), durations
// near INT64_MAX (at most 30 days), `${...}` abuse, control characters, nesting, sizes past
// max_payload, the doubling chain that must fail with a clear error, and fan-outs that one
// message within max_payload makes the hub hold.
import assert from "node:assert/strict";
import { suite, MAX_PAYLOAD, TOKENS, closedAs, metricReaches, client, connected, sleep } from "./fixture.mjs";
import { wsSession } from "./wire.mjs";
import { echoTask, refused, run, shared, submitter, trace, within } from "./flows.mjs";

const hostile = suite();
const invalid = (ctx, workflow, message) => refused(ctx, { workflow }, "invalid_workflow", message);
const MAX_MS = 2592000000; // 30 days

// Shapes.
hostile("submit_workflow without a payload", (ctx) => refused(ctx, undefined, "invalid_argument", "submit_workflow needs {workflow}"));
hostile("a workflow that is a number", (ctx) => invalid(ctx, 5, "workflow: expected an object, got integer"));
hostile("tasks that are a string", (ctx) => invalid(ctx, { tasks: "x" }, "workflow.tasks: expected an array, got string"));
hostile("a task without an id", (ctx) => invalid(ctx, { tasks: [{ protocol: "echo/v1" }] }, "workflow.tasks[0].id: required field is missing"));
hostile("no tasks", (ctx) => invalid(ctx, { tasks: [] }, "workflow has no tasks"));
hostile("a dependency cycle", (ctx) =>
  invalid(ctx, { tasks: [echoTask("a", { dependencies: ["c"] }), echoTask("b", { dependencies: ["a"] }), echoTask("c", { dependencies: ["b"] })] }, "dependency cycle: a -> c -> b -> a"));
hostile("a task that depends on itself", (ctx) => invalid(ctx, { tasks: [echoTask("a", { dependencies: ["a"] })] }, "task 'a' depends on itself"));
hostile("a dependency on an unknown task", (ctx) => invalid(ctx, { tasks: [echoTask("a", { dependencies: ["ghost"] })] }, "task 'a' depends on unknown task 'ghost'"));
hostile("a duplicate task id", (ctx) => invalid(ctx, { tasks: [echoTask("a"), echoTask("a")] }, "duplicate task id 'a'"));
hostile("an unknown priority", (ctx) =>
  invalid(ctx, { tasks: [echoTask("a", { priority: "now" })] }, "workflow.tasks[0].priority: unknown priority 'now' (expected urgent, high, normal or low)"));
hostile("watch other than all or end", (ctx) =>
  refused(ctx, { watch: "everything", workflow: { tasks: [echoTask("a")] } }, "invalid_argument", 'submit_workflow\'s watch is "all" (the default) or "end"'));
hostile("a method the protocol does not have, and params its schema refuses", async (ctx) => {
  await invalid(ctx, { tasks: [echoTask("a", { method: "rm" })] }, "task 'a': protocol 'echo/v1' has no method 'rm' (it has: echo, delay, fail)");
  await invalid(ctx, { tasks: [echoTask("a", { method: "delay", params: { ms: -5 } })] }, "task 'a': echo/v1 delay: params.ms: -5 is below the minimum 0");
});
hostile("a workflow id that exists already", async (ctx) => {
  const c = await shared(ctx);
  const first = await run(c, { id: "hostile-dup", tasks: [echoTask("a")] });
  assert.equal(first.end.state, "completed");
  await invalid(ctx, { id: "hostile-dup", tasks: [echoTask("a")] }, "a workflow with id 'hostile-dup' exists already");
});

// Durations (docs/events.md: at most 30 days, since a timer's deadline is now plus it). Sent
// as raw text, so that INT64_MAX and UINT64_MAX reach the hub digit for digit.
for (const [where, json, message] of [
  ["workflow timeout_ms INT64_MAX", '{"timeout_ms":9223372036854775807,"tasks":[{"id":"a"}]}', `workflow.timeout_ms: expected an integer from 0 to ${MAX_MS}, got 9223372036854775807`],
  ["retry max_delay_ms UINT64_MAX", '{"tasks":[{"id":"a","retry":{"max_delay_ms":18446744073709551615}}]}', `workflow.tasks[0].retry.max_delay_ms: expected an integer from 0 to ${MAX_MS}, got 18446744073709551615`],
  ["task timeout_ms one past 30 days", `{"tasks":[{"id":"a","timeout_ms":${MAX_MS + 1}}]}`, `workflow.tasks[0].timeout_ms: expected an integer from 0 to ${MAX_MS}, got ${MAX_MS + 1}`],
  ["retry base_delay_ms -1", '{"tasks":[{"id":"a","retry":{"base_delay_ms":-1}}]}', `workflow.tasks[0].retry.base_delay_ms: expected an integer from 0 to ${MAX_MS}, got -1`],
  ["timeout in seconds near INT64_MAX / 1000", '{"timeout":9223372036854775.807,"tasks":[{"id":"a"}]}', "workflow.timeout: expected a number from 0 to 2592000, got 9223372036854776"],
  ["timeout_ms of 1e400 (read as null)", '{"tasks":[{"id":"a","timeout_ms":1e400}]}', "workflow.tasks[0].timeout_ms: expected an integer, got null"],
  ["timeout and timeout_ms both", '{"timeout":1,"timeout_ms":5,"tasks":[{"id":"a"}]}', "workflow.timeout: conflicts with timeout_ms (give only one)"],
  ["max_attempts 0", '{"tasks":[{"id":"a","retry":{"max_attempts":0}}]}', "workflow.tasks[0].retry.max_attempts: expected an integer from 1 to 4294967295, got 0"],
]) {
  hostile(`a duration out of range: ${where}`, async (ctx) => {
    if (!ctx.raw) {
      ctx.raw = await wsSession(ctx.hub.port, TOKENS.hostile.token);
      ctx.onClose(() => ctx.raw.destroy());
    }
    const ws = ctx.raw;
    ws.send(`427["submit_workflow",{"workflow":${json}}]`);
    assert.equal(await ws.text(), `437[${JSON.stringify({ ok: false, error: { code: "invalid_workflow", message } })}]`);
  });
}

// ${...} abuse (docs/events.md: ${} and an unclosed ${ are refused with the workflow).
const withRef = (text) => ({ tasks: [echoTask("a"), echoTask("b", { dependencies: ["a"], params: { x: text } })] });
hostile("an empty ${}", (ctx) => invalid(ctx, withRef("${}"), "task 'b' has a malformed reference '${}' in params.x: it is empty"));
hostile("a ${ without its }", (ctx) => invalid(ctx, withRef("${a.result"), "task 'b' has a malformed reference '${a.result' in params.x: the '${' is not closed with '}'"));
hostile("a reference with an empty field", (ctx) => invalid(ctx, withRef("${a.result..x}"), "task 'b' has a malformed reference '${a.result..x}' in params.x: a field name is empty"));
hostile("a reference to a task that is not a dependency", (ctx) =>
  invalid(ctx, { tasks: [echoTask("a"), echoTask("b", { params: { x: "${a.result}" } })] }, "task 'b' refers to task 'a' in params.x, which is not among its dependencies"));
hostile("a reference to a field the result lacks fails the task with unresolved_reference", async (ctx) => {
  const r = await run(await shared(ctx), { tasks: [echoTask("a", { params: { n: 1 } }), echoTask("b", { dependencies: ["a"], params: { x: "${a.result.items[5]}" } })] });
  const failed = r.events.find(([e]) => e === "task_failed")[1];
  assert.deepEqual([failed.task_id, failed.error], ["b", { code: "unresolved_reference", message: "${a.result.items[5]}: result of task 'a' has no field 'items' (it has n)", retryable: false }]);
  assert.equal(r.end.state, "failed");
});

hostile("the doubling chain fails with a clear error once its params pass max_payload", async (ctx) => {
  // t0 holds 1,000 characters; each next task doubles them through two ${...}: t10 would get
  // 1,024,000, over max_payload, so it fails before it is sent and its dependents are skipped.
  const tasks = [echoTask("t0", { params: { s: "x".repeat(1000) } })];
  for (let i = 1; i <= 12; i++) tasks.push(echoTask(`t${i}`, { dependencies: [`t${i - 1}`], params: { s: `\${t${i - 1}.result.s}\${t${i - 1}.result.s}` } }));
  const c = await shared(ctx);
  const r = await run(c, { tasks });
  const completed = Array.from({ length: 10 }, (_, i) => [["task_started", `t${i}`], ["task_completed", `t${i}`]]).flat();
  assert.deepEqual(trace(r.events), [["workflow_started"], ...completed, ["task_failed", "t10"], ["task_skipped", "t11"], ["task_skipped", "t12"], ["workflow_failed"]]);
  assert.deepEqual(r.events.find(([e]) => e === "task_failed")[1].error, {
    code: "invalid_argument",
    message: `the params are 1024008 bytes of JSON once \${...} are substituted, over [server] max_payload (${MAX_PAYLOAD} bytes)`,
    retryable: false,
  });
  assert.equal(r.events.find(([e, p]) => e === "task_completed" && p.task_id === "t9")[1].result.s.length, 512000);
  assert.equal(r.end.reason, "a task failed (fail_fast)");
  assert.equal(c.connected, true);
});

// Control characters, nesting and sizes.
hostile("NUL and control characters in ids, names and params travel unchanged", async (ctx) => {
  const c = await shared(ctx);
  const id = "wf\u0000\u0001\u001f";
  const r = await run(c, { id, name: "n\u0000", tasks: [echoTask("a\u0000b", { params: { s: "\u0000\u007f\u2028" } })] });
  assert.deepEqual([r.id, r.end.results], [id, { "a\u0000b": { s: "\u0000\u007f\u2028" } }]);
  const q = await c.timeout(5000).emitWithAck("query_status", { workflow_id: id });
  assert.deepEqual(q.workflow.tasks, { "a\u0000b": { state: "completed", attempt: 1, result: { s: "\u0000\u007f\u2028" } } });
});
hostile("a workflow nesting 30 deep is taken; 31 deep closes the connection as invalid JSON", async (ctx) => {
  // docs/events.md: a message nests at most 32 deep, so a workflow at most 30.
  const nest = (m) => (m === 0 ? 1 : { a: nest(m - 1) });
  // The workflow is 1 deep, its tasks 2, a task 3, the params 4: nest(27) reaches 30.
  const ok = await run(await shared(ctx), { tasks: [echoTask("a", { params: nest(27) })] });
  assert.equal(ok.end.state, "completed");
  const before = await closedAs(ctx.hub, "parse error");
  const c = await submitter(ctx);
  const gone = new Promise((r) => c.on("disconnect", r));
  c.emit("submit_workflow", { workflow: { tasks: [echoTask("a", { params: nest(28) })] } });
  assert.equal(await within(gone, 5000, "the disconnect"), "transport close");
  assert.equal(await metricReaches(ctx.hub, 'gleitzeit_sessions_closed_total{reason="parse error"}', before + 1), before + 1);
});
hostile("a workflow of 20,000 tasks, over max_payload, closes its connection with 1009", async (ctx) => {
  const before = await closedAs(ctx.hub, "payload too large");
  const c = await submitter(ctx);
  const gone = new Promise((r) => c.on("disconnect", r));
  c.emit("submit_workflow", { workflow: { tasks: Array.from({ length: 20000 }, (_, i) => echoTask(`t${i}`)) } });
  assert.equal(await within(gone, 5000, "the disconnect"), "transport close");
  assert.equal(await metricReaches(ctx.hub, 'gleitzeit_sessions_closed_total{reason="payload too large"}', before + 1), before + 1);
});
hostile("a chain of 3,000 tasks whose first fails skips the other 2,999", async (ctx) => {
  const tasks = Array.from({ length: 3000 }, (_, i) => (i === 0
    ? { id: "c0", protocol: "echo/v1", method: "fail", params: { message: "boom", retryable: false } }
    : echoTask(`c${i}`, { dependencies: [`c${i - 1}`] })));
  const r = await run(await shared(ctx), { tasks });
  assert.equal(r.events.filter(([e]) => e === "task_skipped").length, 2999);
  assert.deepEqual([r.end.state, r.end.reason], ["failed", "a task failed (fail_fast)"]);
}, { timeout: 60000 });
hostile("ten submissions of 10,000 independent tasks (519 KB each) stay within the memory bound", async (ctx) => {
  const c = await shared(ctx);
  for (let k = 0; k < 10; k++) {
    const r = await run(c, { tasks: Array.from({ length: 10000 }, (_, i) => echoTask(`w${i}`)) }, { watch: "end", ms: 60000 });
    assert.equal(Object.keys(r.end.results).length, 10000);
  }
}, { timeout: 90000, settle: 1000, todo: "hub bug: the peak is +55 to +63 MB in most runs (+75 in some), too near the 64 MB bound to assert: one running 10,000-task workflow holds about 38 MB of heap, of which SQLite's page cache is 14 MB (docs/reliability.md, \"Hostile input\")" });
hostile("one result fanned out by ${...} to 40 tasks neither outgrows the memory bound nor cuts off the submitter or an observer", async (ctx) => {
  // 400 KB in one result, referenced whole by 40 dependents: each dependent's params and
  // result are within max_payload, but the workflow's end event carries 41 results (16 MB).
  const observer = await connected(client(ctx.hub, TOKENS.observer.token, { transports: ["websocket"], auth: { token: TOKENS.observer.token, observer_rooms: true } }));
  const cut = [];
  observer.on("disconnect", (r) => cut.push(`observer: ${r}`));
  const c = await submitter(ctx);
  try {
    const tasks = [echoTask("root", { params: { s: "x".repeat(400000) } })];
    for (let i = 0; i < 40; i++) tasks.push(echoTask(`d${i}`, { dependencies: ["root"], params: { v: "${root.result.s}" } }));
    const r = await run(c, { tasks }, { watch: "end" });
    assert.equal(r.end.state, "completed");
    // The end event leaves the 16 MB of results out (docs/events.md, workflow_completed).
    assert.deepEqual(r.end.results, {});
    assert.equal(r.end.results_omitted, "the results together are over [server] max_payload (1000000 bytes): each is in its task_completed event and in query_status {workflow_id, task_id}");
    // query_status leaves them out too, and has each on its own.
    const whole = await c.timeout(5000).emitWithAck("query_status", { workflow_id: r.id });
    assert.equal(whole.workflow.results_omitted, "the results together are over [server] max_payload (1000000 bytes): ask query_status {workflow_id, task_id} for each");
    assert.deepEqual(whole.workflow.tasks.d7, { state: "completed", attempt: 1 });
    const one = await c.timeout(5000).emitWithAck("query_status", { workflow_id: r.id, task_id: "d7" });
    assert.equal(one.task.result.v, "x".repeat(400000));
    await sleep(200);
    assert.deepEqual(cut, []);
  } finally {
    observer.close();
    c.close();
  }
}, { timeout: 60000, settle: 1000, todo: "hub bug: no one is cut off, and nothing stays after, but the RSS peaks +78 to +86 MB: while the 40 dependents run, each 400 KB result is held in the book, in its task_completed event and in the save batch, and each dependent's params in the book and in its call (docs/reliability.md, \"Hostile input\")" });
