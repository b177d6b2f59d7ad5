// The soak's other processes: remote providers (provider.mjs, provider.py) and clients
// (client.mjs), each a child process with a log of its own, which a fault may kill and the
// soak then starts again under the same name, appending to the same log.
import { fork, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
// Debian's interpreter has python3-socketio; a python3 earlier on PATH (pyenv) may not.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Every child this process started, so that any way out stops them all. */
const children = new Set();
export function killAll() {
  for (const c of children) c.kill("SIGKILL");
}
process.on("exit", killAll);

function track(proc) {
  children.add(proc);
  proc.exited = new Promise((resolve) => proc.on("exit", (code, signal) => (children.delete(proc), resolve({ code, signal }))));
  proc.stderrTail = "";
  proc.stderr?.on("data", (d) => (proc.stderrTail = (proc.stderrTail + d).slice(-2000)));
  return proc;
}

/** Resolves true once `proc` prints "registered as ...", false after `ms` or at its exit. */
function registered(proc, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      if (/^registered as /m.test(out)) (clearTimeout(timer), resolve(true));
    });
    proc.exited.then(() => (clearTimeout(timer), resolve(false)));
  });
}

/** A remote provider of soak/v1: kind "js" or "py", named `name`, logging to `logDir`. */
export class Provider {
  constructor(kind, name, logDir, maxConcurrency = 4) {
    Object.assign(this, { kind, name, maxConcurrency, log: join(logDir, `${name}.jsonl`) });
    this.proc = null;
    this.stalled = false;
  }

  /** Starts it against `url`; resolves with whether it registered within `ms`. */
  start(url, ms = 15000) {
    const args = ["--url", url, "--name", this.name, "--log", this.log, "--max-concurrency", String(this.maxConcurrency)];
    const argv = this.kind === "js" ? [process.execPath, join(HERE, "provider.mjs"), ...args] : [PYTHON, join(HERE, "provider.py"), ...args];
    this.proc = track(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
    this.stalled = false;
    return registered(this.proc, ms);
  }

  async kill() {
    const p = this.proc;
    if (!p) return;
    p.kill("SIGKILL");
    await p.exited;
  }

  async stop() {
    const p = this.proc;
    if (!p) return null;
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
    const end = await p.exited;
    clearTimeout(timer);
    return end;
  }

  stall(on) {
    if (!this.proc || this.proc.exitCode !== null) return false;
    this.stalled = on;
    return this.proc.kill(on ? "SIGUSR1" : "SIGUSR2");
  }
}

/** A client process (client.mjs) with an IPC channel for drop, drain and quit. */
export class Client {
  constructor(name, logDir, seed) {
    Object.assign(this, { name, seed, log: join(logDir, `${name}.jsonl`) });
    this.proc = null;
  }

  start(url, inflight = 3) {
    const args = ["--url", url, "--name", this.name, "--log", this.log, "--seed", String(this.seed), "--inflight", String(inflight)];
    this.proc = track(fork(join(HERE, "client.mjs"), args, { stdio: ["ignore", "ignore", "pipe", "ipc"] }));
  }

  send(message) {
    if (this.proc?.connected) this.proc.send(message);
  }

  async stop() {
    const p = this.proc;
    if (!p) return null;
    this.send({ cmd: "quit" });
    const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
    const end = await p.exited;
    clearTimeout(timer);
    return end;
  }
}
