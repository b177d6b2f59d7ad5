// Shared pieces of the `gleitzeit` CLI tests: a gleitzeitd with the shipped in-process
// plugins (queue-memory, resolver-dag, registry-default, provider-echo), the real CLI binary
// run as a child process with its exit code and output, and the hub's session counter.
// Starting and stopping the hub comes from the interop harness (tests/interop/js).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { q, removeTempDirs, stagePlugins, startHub, tempDir } from "../interop/js/plugin_harness.mjs";

export { removeTempDirs, tempDir };

/** An environment variable ctest sets (tests/cli/CMakeLists.txt). */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run the test through ctest)`);
  return v;
}

export const EXAMPLES = () => env("EXAMPLES");

/** gleitzeitd on 127.0.0.1, port 0, serving echo/v1; `extra` is appended to its config and
 * `server` put in its [server] table. */
export async function startEchoHub(extra = "", server = "") {
  const p = stagePlugins(["QUEUE_MEMORY", "RESOLVER_DAG", "REGISTRY_DEFAULT", "PROVIDER_ECHO"]);
  const state = tempDir("gleitzeit-cli-state-");
  const hub = await startHub(
    (server ? `[server]\n${server}` : "") +
      `[state]\ndirectory = ${q(state)}\n` +
      `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(p.QUEUE_MEMORY)}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(p.RESOLVER_DAG)}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${q(p.REGISTRY_DEFAULT)}\n` +
      `[[providers]]\nplugin = "provider-echo"\nfile = ${q(p.PROVIDER_ECHO)}\n` +
      `config = { max_concurrency = 4 }\n` +
      extra,
  );
  return { ...hub, plugins: p };
}

const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/**
 * Runs the CLI with `args` against `url` (through GLEITZEIT_URL, unless `url` is null) and
 * resolves with {code, signal, stdout, stderr, ms}. A CLI that outlives `timeout` is killed
 * and the promise rejects, so a hang fails the test instead of stalling it.
 */
export function gleitzeit(args, { url, input, env: extraEnv = {}, timeout = 20000, onStdout, cwd } = {}) {
  const started = Date.now();
  // The caller's own GLEITZEIT_* settings must not leak into a test.
  const childEnv = { ...process.env };
  delete childEnv.GLEITZEIT_TOKEN;
  delete childEnv.GLEITZEIT_URL;
  if (url) childEnv.GLEITZEIT_URL = url;
  Object.assign(childEnv, extraEnv);
  return new Promise((resolve, reject) => {
    // Standard input only when the test gives some: the CLI may exit before reading it.
    const stdin = input === undefined ? "ignore" : "pipe";
    const child = spawn(env("GLEITZEIT"), args, { env: childEnv, cwd, stdio: [stdin, "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gleitzeit ${args.join(" ")} did not end within ${timeout} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeout);
    child.on("error", (e) => (clearTimeout(timer), children.delete(child), reject(e)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    if (input !== undefined) {
      child.stdin.on("error", () => {}); // EPIPE when it exited without reading; its code tells
      child.stdin.end(input);
    }
  });
}

/** Writes `text` as `name` into a fresh temporary directory; returns its path. */
export function workflowFile(name, text) {
  const file = join(tempDir("gleitzeit-cli-wf-"), name);
  writeFileSync(file, text);
  return file;
}

/** gleitzeit_sessions_total from /metrics: every Engine.IO session the hub ever opened. */
export async function sessionsTotal(hub) {
  const res = await fetch(`${hub.url}/metrics`);
  const text = await res.text();
  const m = text.match(/^gleitzeit_sessions_total (\d+)$/m);
  if (!m) throw new Error(`no gleitzeit_sessions_total in /metrics: ${text.slice(0, 500)}`);
  return Number(m[1]);
}

/** A one-line summary of a CLI run, for assertion messages. */
export const show = (r) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/** A port where nothing listens: bound once on 127.0.0.1, then released. */
export function deadPort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
