// Workflow throughput (issue 5's targets): a 10,000-task DAG, fan-out then fan-in over five
// levels (1 -> 3,333 -> 3,333 -> 3,332 -> 1), on echo/v1, run by gleitzeitd with the shipped
// plugins and a persistence file. Either the in-process provider-echo serves it, or one
// remote provider in this process (npm socket.io-client) at max_concurrency 64. Measures
// tasks/s from submission to workflow_completed, and each task's time from submission to its
// task_completed event (p50, p99), and checks every result.
import { io } from "socket.io-client";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listening } from "./swap_pause.mjs";

export const DAG_TASKS = 10000;

function dag() {
  const tasks = [{ id: "root", protocol: "echo/v1", method: "echo", params: { n: 0 } }];
  const level = (prefix, n, deps) => {
    for (let i = 0; i < n; ++i)
      tasks.push({ id: `${prefix}${i}`, protocol: "echo/v1", method: "echo", params: { n: i }, dependencies: deps(i) });
  };
  level("a", 3333, () => ["root"]);
  level("b", 3333, (i) => [`a${i}`]);
  level("c", 3332, (i) => [`b${i}`, `b${i + 1}`]);
  tasks.push({ id: "sink", protocol: "echo/v1", method: "echo", params: { n: -1 }, dependencies: Array.from({ length: 3332 }, (_, i) => `c${i}`) });
  return { name: "bench dag", tasks };
}


const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `plugins`: {queue, resolver, registry, persistence, echo} files. `remote`: run on a
 * remote provider in this process instead of provider-echo. */
export async function dagThroughput({ gleitzeitd, plugins, remote = false }) {
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-dag-bench-"));
  const config = join(dir, "gleitzeit.toml");
  const slot = (name, plugin, file) => `[slots.${name}]\nplugin = "${plugin}"\nfile = "${file}"\n`;
  writeFileSync(
    config,
    // A 10,000-task workflow is about 1.2 MB of JSON, over the default max_payload.
    `[server]\nmax_payload = 16000000\n[state]\ndirectory = "${dir}"\n[plugins]\nwatch = false\ndropin = "${dir}/dropin"\n` +
      slot("queue", "queue-memory", plugins.queue) +
      slot("resolver", "resolver-dag", plugins.resolver) +
      slot("registry", "registry-default", plugins.registry) +
      slot("persistence", "persistence-sqlite", plugins.persistence) +
      (remote ? "" : `[[providers]]\nplugin = "provider-echo"\nfile = "${plugins.echo}"\nconfig = { max_concurrency = 256 }\n`),
  );
  const proc = spawn(gleitzeitd, ["--config", config, "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  const sockets = [];
  try {
    const url = `http://127.0.0.1:${await listening(proc)}`;
    if (remote) {
      const p = io(url, { transports: ["websocket"] });
      sockets.push(p);
      p.on("execute_method", (req, ack) => ack({ ok: true, result: req.params }));
      const r = await p.timeout(10000).emitWithAck("register_component", {
        component_type: "provider", component_id: "bench-echo",
        protocols: [{ id: "echo/v1", methods: [{ name: "echo" }] }], max_concurrency: 64,
      });
      if (!r.ok) throw new Error(`the bench provider was refused: ${JSON.stringify(r)}`);
    }
    const c = io(url, { transports: ["websocket"] });
    sockets.push(c);
    const done = [];
    let t0 = 0;
    const finished = new Promise((resolve) => {
      c.on("task_completed", () => done.push(performance.now() - t0));
      c.on("workflow_completed", resolve);
      c.on("workflow_failed", (p) => resolve({ failed: p }));
    });
    const wf = dag();
    const cpu0 = process.cpuUsage();
    t0 = performance.now();
    const reply = await c.timeout(60000).emitWithAck("submit_workflow", { workflow: wf });
    if (!reply.ok) throw new Error(`submit refused: ${JSON.stringify(reply)}`);
    // The hub acks once the workflow is durable and analysed: no task can finish before that.
    const accepted = performance.now() - t0;
    const end = await finished;
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (end.failed || end.state !== "completed") throw new Error(`the DAG did not complete: ${JSON.stringify(end).slice(0, 500)}`);
    if (Object.keys(end.results).length !== DAG_TASKS || end.results.c5.n !== 5) throw new Error("wrong results");
    done.sort((a, b) => a - b);
    return {
      tasks_per_s: DAG_TASKS / (elapsed / 1000), p50_ms: pct(done, 50), p99_ms: pct(done, 99), elapsed_ms: elapsed,
      accepted_ms: accepted,
      // This process's own CPU (submitting, decoding the progress events, and in the remote
      // row serving the calls): Node runs it on one thread, so it bounds the rate by itself.
      client_cpu_ms: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    for (const s of sockets) s.close();
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
