// task_progress (docs/events.md, "Progress"): a provider's news of a call it runs reaches the
// workflow's room while that call runs there, and nothing else does. The provider here is a
// remote one, a socket.io-client registered over the wire; the in-process path is covered by
// the providers that stream (provider_llm.test.mjs, provider_mcp.test.mjs).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { call, nextEvent, q, removeTempDirs, stagePlugins, startHub } from "./plugin_harness.mjs";

const hubs = [];
after(async () => {
  for (const h of hubs) await h.stop();
  removeTempDirs();
});

async function hub() {
  const file = (v) => q(stagePlugins([v])[v]);
  const h = await startHub(
    `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${file("QUEUE_MEMORY_V1")}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${file("RESOLVER_DAG")}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${file("REGISTRY_DEFAULT")}\n`,
  );
  hubs.push(h);
  return h;
}

/** A remote provider of talk/v1 whose `say` calls wait until the test answers them. */
async function provider(h, id) {
  const s = await h.connect();
  const calls = [];
  const waiting = [];
  s.on("execute_method", (p, ack) => {
    const c = { ...p, ack };
    calls.push(c);
    waiting.shift()?.(c);
  });
  const reply = await call(s, "register_component", {
    component_type: "provider",
    component_id: id,
    protocols: [{ id: "talk/v1", methods: [{ name: "say" }] }],
    max_concurrency: 4,
  });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  const nextCall = () => (calls.length && !calls[calls.length - 1].taken ? Promise.resolve(calls[calls.length - 1]) : new Promise((r) => waiting.push(r)));
  return { s, calls, nextCall };
}

test("a running call's progress reaches its workflow's room in order; late or foreign news does not", async () => {
  const h = await hub();
  const p = await provider(h, "talker");
  const stranger = await h.connect(); // connected, never registered
  const client = await h.connect();
  const progress = [];
  client.on("task_progress", (e) => progress.push(e));

  const submitted = await call(client, "submit_workflow", {
    workflow: { id: "wf/1", name: "talk", tasks: [{ id: "a", protocol: "talk/v1", method: "say", params: {} }] },
    _correlation_id: "corr-7",
  });
  assert.equal(submitted.ok, true, JSON.stringify(submitted));
  const c = await p.nextCall();
  assert.equal(c.task_id, "wf/1/a"); // a workflow id with a '/' in it still finds its task

  for (const text of ["one", "two", "three"]) p.s.emit("task_progress", { task_id: c.task_id, text });
  stranger.emit("task_progress", { task_id: c.task_id, text: "from a stranger" });
  p.s.emit("task_progress", { task_id: "wf/1/nope", text: "no such task" });
  p.s.emit("task_progress", { text: "no task id" });
  // The ack-less events and the reply travel in order on one connection: the progress sent
  // before the result is in the room before task_completed.
  const done = nextEvent(client, "task_completed", (e) => e.task_id === "a");
  c.ack({ ok: true, result: { said: 3 } });
  await done;
  p.s.emit("task_progress", { task_id: c.task_id, text: "after the end" });
  await call(client, "query_status", { workflow_id: "wf/1" }); // a round trip after it

  assert.deepEqual(
    progress.map((e) => ({ ...e, _timestamp: typeof e._timestamp })),
    ["one", "two", "three"].map((text) => ({
      task_id: "a",
      text,
      workflow_id: "wf/1",
      _correlation_id: "corr-7",
      _source_component: "talker",
      _timestamp: "string",
    })),
  );
});
