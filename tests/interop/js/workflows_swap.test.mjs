// Hot swap under a running workflow (issue 5): while a workflow runs on the in-process
// plugins, the queue, resolver, registry and provider-echo slots are each swapped once with
// swap_plugin. The workflow completes with the right results, the submitter's connection
// stays the same, and each slot shows its new generation.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { call, connectClient, connected, pollUntil, q, removeTempDirs, stagePlugins, startHub } from "./plugin_harness.mjs";

after(removeTempDirs);

const LEVELS = 8;
const WIDTH = 25;

/** LEVELS x WIDTH tasks of 40 ms each; every task below the first level takes the number of
 * the one above it through a ${...} reference and adds its own in its text. */
function workflow() {
  const tasks = [];
  for (let l = 0; l < LEVELS; ++l)
    for (let w = 0; w < WIDTH; ++w) {
      const id = `l${l}w${w}`;
      const above = `l${l - 1}w${w}`;
      tasks.push(
        l === 0
          ? { id, protocol: "echo/v1", method: "echo", params: { n: w, text: `${id}` } }
          : { id, protocol: "echo/v1", method: "echo", dependencies: [`${above}d`], params: { n: `\${${above}.result.n}`, text: `\${${above}.result.text}>${id}` } },
        { id: `${id}d`, protocol: "echo/v1", method: "delay", params: { ms: 40 }, dependencies: [id] },
      );
    }
  return { name: "swapped under", tasks };
}

test("queue, resolver, registry and provider-echo each swapped once while a workflow runs", async () => {
  const p = stagePlugins();
  const hub = await startHub(
    `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY_V1)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n` +
      `config = { max_concurrency = 8 }\n`,
  );
  const client = connectClient(hub.url);
  try {
    await connected(client);
    const sid = client.id;
    let disconnects = 0;
    client.on("disconnect", () => ++disconnects);
    const events = [];
    let end;
    client.onAny((event, payload) => {
      events.push(event);
      if (event.startsWith("workflow_") && event !== "workflow_started") end = payload;
    });
    const reply = await call(client, "submit_workflow", { workflow: workflow() });
    assert.equal(reply.ok, true, JSON.stringify(reply));

    const swaps = [
      ["queue", p.QUEUE_MEMORY_V2, "2.0.0"],
      ["resolver", p.RESOLVER_DAG, "1.0.0"],
      ["registry", p.REGISTRY_DEFAULT, "1.0.0"],
      ["provider", p.PROVIDER_ECHO, "1.0.0"],
    ];
    for (const [slot, path, version] of swaps) {
      await pollUntil(() => events.filter((e) => e === "task_completed").length > 20 * (swaps.findIndex((s) => s[0] === slot) + 1), `work under way before the ${slot} swap`, 20000, 5);
      assert.equal(end, undefined, `the workflow ended before the ${slot} swap: make it longer`);
      const r = await call(client, "swap_plugin", { slot, path });
      assert.equal(r.ok, true, `${slot}: ${JSON.stringify(r)}`);
      assert.equal(r.generations[0].generation, 2, `${slot}: ${JSON.stringify(r.generations)}`);
      assert.equal(r.generations[0].version, version);
    }
    await pollUntil(() => end !== undefined, "the workflow's end", 30000);
    assert.equal(end.state, "completed", JSON.stringify(end).slice(0, 1000));
    for (let l = 0; l < LEVELS; ++l)
      for (let w = 0; w < WIDTH; ++w) {
        const id = `l${l}w${w}`;
        let text = "l0w" + w;
        for (let k = 1; k <= l; ++k) text += `>l${k}w${w}`;
        assert.deepEqual(end.results[id], { n: w, text }, id);
        assert.deepEqual(end.results[`${id}d`], { slept_ms: 40 });
      }
    assert.equal(disconnects, 0);
    assert.equal(client.id, sid);
  } finally {
    client.close();
    await hub.stop();
  }
});
