// The pause of a queue hot swap (issue 4's target: at most 10 ms with 100,000 tasks queued).
// Starts gleitzeitd with queue-memory 1.0.0 in the queue slot, fills it with `tasks` tasks
// through the admin event enqueue_tasks, swaps 1.0.0 <-> 2.0.0 `swaps` times with
// swap_plugin, and reads each swap's measured pause from list_plugins.
import { io } from "socket.io-client";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TOKEN = "bench-admin";

function ask(socket, event, payload) {
  return socket.timeout(60000).emitWithAck(event, payload);
}

/** Resolves with the port once `proc` prints its "listening on" line. */
export function listening(proc) {
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on("exit", (code) => reject(new Error(`gleitzeitd exited with ${code}`)));
  });
}

export async function swapPauses({ gleitzeitd, v1, v2, tasks = 100000, swaps = 10 }) {
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-swap-bench-"));
  const config = join(dir, "gleitzeit.toml");
  writeFileSync(
    config,
    `[[auth.tokens]]\ntoken = "${TOKEN}"\nroles = ["admin"]\n` +
      `[plugins]\nwatch = false\ndropin = "${dir}"\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = "${v1}"\n`,
  );
  const proc = spawn(gleitzeitd, ["--config", config, "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  let socket;
  try {
    const port = await listening(proc);
    socket = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], auth: { token: TOKEN } });
    const batch = 5000;
    for (let at = 0; at < tasks; at += batch) {
      const list = [];
      for (let i = at; i < Math.min(tasks, at + batch); i++)
        list.push({ id: `task-${i}`, workflow_id: `wf-${i % 100}`, protocol: "echo/v1", method: "echo",
          params: { n: i }, priority: ["urgent", "high", "normal", "low"][i % 4] });
      const r = await ask(socket, "enqueue_tasks", { tasks: list });
      if (!r.ok) throw new Error(`enqueue_tasks: ${JSON.stringify(r.error)}`);
    }
    const pauses = [];
    for (let i = 0; i < swaps; i++) {
      const r = await ask(socket, "swap_plugin", { slot: "queue", path: i % 2 === 0 ? v2 : v1 });
      if (!r.ok) throw new Error(`swap_plugin: ${r.error.message}`);
      pauses.push(r.generations[0].swap_pause_ms);
    }
    const size = (await ask(socket, "list_queue", { limit: 0 })).size;
    if (size !== tasks) throw new Error(`the queue holds ${size} tasks after the swaps, not ${tasks}`);
    return pauses;
  } finally {
    socket?.close();
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
