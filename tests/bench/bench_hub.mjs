// What the provider bench needs of gleitzeitd and of its own child processes: a hub with the
// shipped slot plugins and one provider, a client that runs workflows on it, and children that
// are stopped however the bench ends.
import { io } from "socket.io-client";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listening } from "./swap_pause.mjs";

// ---- children: each one is killed when this process exits, whatever way it exits.
const children = new Set();
const foreign = new Set(); // pids of children a library spawned (the MCP SDK's server)
const dirs = new Set(); // the hubs' state directories
process.on("exit", () => {
  for (const p of children) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const pid of foreign) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

/** Kills `pid` if this process exits before the returned function is called. */
export function trackPid(pid) {
  foreign.add(pid);
  return () => foreign.delete(pid);
}

/** Spawns a child with piped stdout and stderr, tracked until it exits. */
export function startChild(cmd, args, options = {}) {
  const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], ...options });
  children.add(p);
  p.exitedPromise = new Promise((r) => p.once("exit", () => (children.delete(p), r())));
  p.once("error", () => children.delete(p));
  return p;
}

/** SIGTERM, and SIGKILL if it is still there after 5 s. */
export async function stopChild(p) {
  if (!children.has(p)) return;
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
  await p.exitedPromise;
  clearTimeout(timer);
}

export const toml = (s) => JSON.stringify(s); // a TOML basic string is a JSON string here

/**
 * gleitzeitd with queue-memory, resolver-dag, registry-default and (unless `persistence` is
 * false) persistence-sqlite from `plugins` and the `[[providers]]` text `providers`; {url, pid, stop()}.
 */
export async function startHub(gleitzeitd, plugins, providers, { persistence = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-provider-bench-"));
  dirs.add(dir);
  const config = join(dir, "gleitzeit.toml");
  const slot = (name, plugin, file) => `[slots.${name}]\nplugin = "${plugin}"\nfile = ${toml(file)}\n`;
  writeFileSync(
    config,
    `[server]\nmax_payload = 16000000\n[state]\ndirectory = ${toml(dir)}\n` +
      `[plugins]\nwatch = false\ndropin = ${toml(join(dir, "dropin"))}\n` +
      slot("queue", "queue-memory", plugins.queue) +
      slot("resolver", "resolver-dag", plugins.resolver) +
      slot("registry", "registry-default", plugins.registry) +
      (persistence ? slot("persistence", "persistence-sqlite", plugins.persistence) : "") +
      providers,
  );
  const proc = startChild(gleitzeitd, ["--config", config, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
  const stop = async () => {
    await stopChild(proc);
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    const port = await listening(proc);
    return { url: `http://127.0.0.1:${port}`, pid: proc.pid, stop };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}: ${err.trim()}`);
  }
}

/**
 * A client of `url` that runs workflows: run(workflow) resolves with {end, taskDone} once
 * workflow_completed came (taskDone: performance.now() of each task_completed, by task id),
 * and rejects on workflow_failed or cancelled. onProgress(payload) sees every task_progress.
 */
export async function hubClient(url, { onProgress } = {}) {
  const socket = io(url, { transports: ["websocket"] });
  await new Promise((res, rej) => {
    socket.once("connect", res);
    socket.once("connect_error", rej);
  });
  // Events may come before the submission's ack: they are kept by workflow id until asked for.
  const runs = new Map();
  const runOf = (id) => {
    if (!runs.has(id)) {
      let settle;
      const ended = new Promise((res, rej) => (settle = { res, rej }));
      ended.catch(() => {}); // a failure before run() asks is reported to run(), not as unhandled
      runs.set(id, { taskDone: new Map(), ended, settle });
    }
    return runs.get(id);
  };
  socket.on("task_completed", (p) => runOf(p.workflow_id).taskDone.set(p.task_id, performance.now()));
  socket.on("task_progress", (p) => onProgress?.(p));
  socket.on("workflow_completed", (p) => runOf(p.workflow_id).settle.res(p));
  for (const event of ["workflow_failed", "workflow_cancelled"])
    socket.on(event, (p) => runOf(p.workflow_id).settle.rej(new Error(`${event}: ${JSON.stringify(p).slice(0, 500)}`)));
  // A hub that dies mid-run ends the runs at once instead of at their timeouts.
  let lost = null;
  socket.on("disconnect", (reason) => {
    lost = new Error(`gleitzeitd connection lost: ${reason}`);
    for (const r of runs.values()) r.settle.rej(lost);
  });

  async function run(workflow, timeoutMs = 120000) {
    if (lost) throw lost;
    const reply = await socket.timeout(timeoutMs).emitWithAck("submit_workflow", { workflow });
    if (!reply.ok) throw new Error(`submit refused: ${JSON.stringify(reply)}`);
    const r = runOf(reply.workflow_id);
    let timer;
    const late = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`workflow not done within ${timeoutMs} ms`)), timeoutMs)));
    try {
      const end = await Promise.race([r.ended, late]);
      return { end, taskDone: r.taskDone };
    } finally {
      clearTimeout(timer);
      runs.delete(reply.workflow_id);
    }
  }
  return { run, close: () => socket.close() };
}

export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** p50 and p99 of `xs` (ms). */
export function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99) };
}

/**
 * `calls` one-task workflows, one at a time: the ms from each submission to its task's
 * task_completed. `check(result)` throws on a wrong result.
 */
export async function sequentialCalls(client, task, calls, check) {
  const times = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const { end, taskDone } = await client.run({ name: "bench call", tasks: [{ id: "call", ...task }] });
    times.push(taskDone.get("call") - t0);
    check(end.results.call);
  }
  return times;
}
