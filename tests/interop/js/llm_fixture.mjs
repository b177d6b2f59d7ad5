// The fake LLM server (tests/fixtures/llm_server.mjs) as a process of an interop test: started
// on 127.0.0.1 (port 0, or a given one), asked what it received, and killed at the end.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../fixtures/llm_server.mjs", import.meta.url));
const running = new Set();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

/** Starts the fixture with `args` (e.g. ["--api-key", "k"]); resolves once it listens. */
export function startLlmServer(args = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(proc);
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`llm_server did not report its port: ${out}${err}`)), 10000);
    proc.stderr.on("data", (d) => (err += d));
    proc.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl < 0 || proc.port) return;
      clearTimeout(timer);
      proc.port = JSON.parse(out.slice(0, nl)).port;
      resolve(handle(proc));
    });
    proc.on("exit", (code) => {
      running.delete(proc);
      clearTimeout(timer);
      if (!proc.port) reject(new Error(`llm_server exited with ${code}: ${err}`));
    });
  });
}

function handle(proc) {
  const url = `http://127.0.0.1:${proc.port}`;
  return {
    port: proc.port,
    url,
    /** {connections, requests: [{seq, method, path, connection, headers, body, aborted}]} */
    async requests() {
      return (await fetch(`${url}/_fixture/requests`)).json();
    },
    /** The requests to `path`, health checks left out unless asked for. */
    async calls(path) {
      return (await this.requests()).requests.filter((r) => r.path === path);
    },
    async forget() {
      await fetch(`${url}/_fixture/requests`, { method: "DELETE" });
    },
    stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        proc.once("exit", () => resolve());
        proc.kill("SIGKILL");
      });
    },
  };
}
