// Workflow and task ids that meet where the hub joins them (issue 18). The queue, the
// providers and the persistence slot know a task as "<workflow id>/<task id>" (docs/events.md,
// execute_method), so workflow "x" with task "y/z" and workflow "x/y" with task "z" name the
// same task there. A client must not be able to take the hub down for everyone that way: the
// second workflow is either kept apart or refused, and other clients' workflows still run. A
// hub of its own, since a failure here leaves the hub unable to save.
import assert from "node:assert/strict";
import { suite } from "./fixture.mjs";
import { echoTask, run, submitter, within } from "./flows.mjs";

const hostile = suite();

hostile("a workflow id with a slash runs like any other", async (ctx) => {
  const c = await submitter(ctx);
  const r = await run(c, { id: "team/a", tasks: [echoTask("t", { params: { n: 1 } })] });
  assert.deepEqual([r.id, r.end.state, r.end.results], ["team/a", "completed", { t: { n: 1 } }]);
  c.close();
});

hostile("a task id with a slash is refused, so that '<workflow>/<task>' names cannot meet, and others' workflows still run", async (ctx) => {
  const c = await submitter(ctx);
  try {
    // Workflow "x", task "y/z" would be the same "x/y/z" at the queue, the providers and the
    // state file as workflow "x/y", task "z".
    const refused = await within(c.timeout(5000).emitWithAck("submit_workflow", { workflow: { id: "x", tasks: [echoTask("y/z", { params: { from: "x" } })] } }), 6000, "a reply");
    assert.deepEqual(refused, { ok: false, error: { code: "invalid_workflow", message: "task 'y/z': a task id may not contain '/'" } });
    const second = await run(c, { id: "x/y", tasks: [echoTask("z", { params: { from: "x/y" } })] });
    assert.deepEqual([second.end.state, second.end.results], ["completed", { z: { from: "x/y" } }]);
    // Nothing of the refused one was kept: its id is free.
    const first = await run(c, { id: "x", tasks: [echoTask("z", { params: { from: "x" } })] });
    assert.deepEqual([first.end.state, first.end.results], ["completed", { z: { from: "x" } }]);
    const other = await submitter(ctx);
    const after = await run(other, { tasks: [echoTask("a", { params: { n: 2 } })] }, { ms: 5000 });
    assert.deepEqual(after.end.results, { a: { n: 2 } });
    other.close();
  } finally {
    c.close();
  }
});
