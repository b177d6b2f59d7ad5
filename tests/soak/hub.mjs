// The hub under soak: a private copy of gleitzeitd and its plugins, its config, and its
// process, killed and started again on the same port and state directory; and the sampler of
// its memory and open files, which the checker reads to flag unbounded growth.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { sleep } from "./jsonl.mjs";

/**
 * Where the binaries are: ctest names each file (tests/soak/CMakeLists.txt); `make soak`
 * gives only the build directory, whose layout this mirrors.
 */
export function binaryPaths(build) {
  const from = (name, rel) => process.env[name] || join(build, rel);
  return {
    gleitzeitd: from("GLEITZEITD", "host/gleitzeitd"),
    pluginApi: from("PLUGIN_API_LIB", "plugin-api/libgleitzeit-plugin-api.so.2"),
    queue: from("QUEUE_MEMORY_V1", "plugins/queue-memory/queue-memory.so"),
    queueV2: from("QUEUE_MEMORY_V2", "plugins/queue-memory/v2/queue-memory.so"),
    resolver: from("RESOLVER_DAG", "plugins/resolver-dag/resolver-dag.so"),
    registry: from("REGISTRY_DEFAULT", "plugins/registry-default/registry-default.so"),
    persistence: from("PERSISTENCE_SQLITE", "plugins/persistence-sqlite/persistence-sqlite.so"),
    echo: from("PROVIDER_ECHO", "plugins/provider-echo/provider-echo.so"),
  };
}

/**
 * Copies the hub, its plugin API library and the plugins into `dir`, once. The build tree
 * may be rebuilt while the soak runs (by a developer, or another make): every restart must
 * start the same hub, and a plugin must match the library the hub loaded. gleitzeitd finds
 * the library through LD_LIBRARY_PATH, which goes before its RUNPATH. Each plugin gets a
 * directory of its own (the two queue-memory builds share a file name), with the modes
 * gleitzeitd asks for: nobody else may write them.
 */
export function stageBinaries(paths, dir) {
  const staged = {};
  mkdirSync(join(dir, "lib"), { recursive: true });
  for (const [key, src] of Object.entries(paths)) {
    const sub = key === "gleitzeitd" ? "" : key === "pluginApi" ? "lib" : join("plugins", key);
    mkdirSync(join(dir, sub), { recursive: true });
    chmodSync(join(dir, sub), 0o755);
    const name = key === "pluginApi" ? basename(paths.pluginApi) : basename(src);
    staged[key] = join(dir, sub, name);
    copyFileSync(realpathSync(src), staged[key]);
    chmodSync(staged[key], 0o755);
  }
  staged.libDir = join(dir, "lib");
  return staged;
}

/**
 * stageBinaries, until the copy is whole: a build that is linking as the soak starts leaves
 * an empty or half-written file. Waits while any source changed in the last 5 s, and checks
 * the copy by running it (--version, and --check-config on `config(staged)`).
 */
export async function stageWhole(paths, dir, config, ms = 300000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const fresh = Object.values(paths).some((p) => Date.now() - statSync(p).mtimeMs < 5000);
    let why = fresh ? "the build is being written" : null;
    if (!why) {
      const staged = stageBinaries(paths, dir);
      const env = { ...process.env, LD_LIBRARY_PATH: staged.libDir };
      const configPath = join(dir, "check.toml");
      writeFileSync(configPath, config(staged));
      try {
        execFileSync(staged.gleitzeitd, ["--version"], { env, stdio: "pipe" });
        execFileSync(staged.gleitzeitd, ["--check-config", configPath], { env, stdio: "pipe" });
        return staged;
      } catch (e) {
        why = `the staged hub does not run: ${String(e.stderr || e.message).trim().slice(0, 300)}`;
      }
    }
    if (Date.now() > deadline) throw new Error(`cannot stage the binaries: ${why}`);
    await sleep(5000);
  }
}

const q = (s) => JSON.stringify(s); // a TOML basic string
const SETPRIV = "/usr/bin/setpriv"; // util-linux

/**
 * The hub's config. `variant` is what a reload changes: the queue's build (queue-memory v1
 * or v2) and provider-echo's max_concurrency, so that each reload swaps two slots.
 */
export function hubConfig({ staged, stateDir, dropin, variant = 0 }) {
  return [
    // Heartbeats often enough that a stalled provider's silence shows within the soak.
    `[server]\nheartbeat_interval = 1000`,
    // Few finished workflows in memory: the hub's size levels off soon (so growth after
    // that is a finding), and query_status reads older ones from persistence-sqlite.
    `[state]\ndirectory = ${q(stateDir)}\nkeep_finished = 200`,
    `[plugins]\nwatch = false\ndropin = ${q(dropin)}\ndrain_timeout = 5000`,
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(variant % 2 ? staged.queueV2 : staged.queue)}`,
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(staged.resolver)}`,
    `[slots.registry]\nplugin = "registry-default"\nfile = ${q(staged.registry)}`,
    `[slots.persistence]\nplugin = "persistence-sqlite"\nfile = ${q(staged.persistence)}`,
    `[[providers]]\nplugin = "provider-echo"\nfile = ${q(staged.echo)}\nconfig = { max_concurrency = ${variant % 2 ? 8 : 4} }`,
    "",
  ].join("\n");
}

/** Replaces `file` by write-to-temp and rename, so the hub never reads half a config. */
export function writeConfig(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/**
 * gleitzeitd, one incarnation after another on one port: the first picks a free port
 * (--port 0), every later one takes that port again. Each incarnation's standard error
 * goes to its own file, hub-<n>.log. `onUnplannedExit` hears of an exit nobody asked for.
 */
export class Hub {
  constructor({ staged, configPath, logDir, tmpDir, onUnplannedExit }) {
    Object.assign(this, { staged, configPath, logDir, tmpDir, onUnplannedExit });
    this.port = 0;
    this.incarnation = 0;
    this.proc = null;
    this.failedStarts = [];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.proc?.pid;
  }

  /**
   * Starts an incarnation; tries again for `ms` (the port or the disk may not be free yet).
   * A fault and the restart after an unplanned exit may both ask: they share one start.
   */
  start(ms = 60000) {
    if (this.proc) return Promise.resolve(this);
    this.starting ??= this.startRetrying(ms).finally(() => (this.starting = null));
    return this.starting;
  }

  async startRetrying(ms) {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        return await this.startOnce();
      } catch (e) {
        this.failedStarts.push({ t: Date.now(), incarnation: this.incarnation, why: e.message.slice(0, 500) });
        if (Date.now() > deadline) throw e;
        await sleep(500);
      }
    }
  }

  startOnce() {
    const n = ++this.incarnation;
    const logPath = join(this.logDir, `hub-${n}.log`);
    const err = openSync(logPath, "a");
    const argv = [this.staged.gleitzeitd, "--config", this.configPath, "--port", String(this.port)];
    // setpriv execs the hub with a parent-death signal: a soak killed outright (ctest's
    // timeout, kill -9) takes its hub along instead of leaving it serving on the port.
    if (existsSync(SETPRIV)) argv.unshift(SETPRIV, "--pdeathsig", "KILL", "--");
    const proc = spawn(argv[0], argv.slice(1), {
      // TMPDIR: the hub's private plugin copies go to a folder of the run, which a killed
      // hub cannot remove itself.
      env: { ...process.env, LD_LIBRARY_PATH: this.staged.libDir, TMPDIR: this.tmpDir },
      stdio: ["ignore", "pipe", err],
    });
    closeSync(err);
    return new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error(`hub ${n} did not listen within 30 s`))), 30000);
      proc.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/listening on 127\.0\.0\.1:(\d+)/);
        if (m && this.proc !== proc) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          this.proc = proc;
          resolve(this);
        }
      });
      proc.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.proc !== proc) return reject(new Error(`hub ${n} exited (${code ?? signal}) before listening: ${tail(logPath)}`));
        this.proc = null;
        if (!proc.planned) this.onUnplannedExit?.({ incarnation: n, code, signal, log: tail(logPath) });
      });
    });
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill() {
    return this.signal("SIGKILL", 0);
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`: a clean stop where the hub manages one (its
   * drain is work in progress, so the soak does not count on it). Resolves with
   * {code, signal, ms}.
   */
  stop(graceMs = 20000) {
    return this.signal("SIGTERM", graceMs);
  }

  signal(first, graceMs) {
    const proc = this.proc;
    if (!proc) return Promise.resolve(null);
    proc.planned = true;
    const t0 = Date.now();
    return new Promise((resolve) => {
      const timer = graceMs ? setTimeout(() => proc.kill("SIGKILL"), graceMs) : null;
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, ms: Date.now() - t0 });
      });
      proc.kill(first);
    });
  }
}

function tail(path, n = 1500) {
  try {
    return readFileSync(path, "utf8").slice(-n);
  } catch {
    return "";
  }
}

/**
 * Samples the hub's resident memory (VmRSS) and open file descriptors every `everyMs`,
 * into `log` as {t, incarnation, pid, rss_kb, fds}. A sample of a process that just died
 * is skipped.
 */
export function sampleResources(hub, log, everyMs = 2000) {
  const timer = setInterval(() => {
    const pid = hub.pid;
    if (!pid) return;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rss_kb = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]);
      const fds = readdirSync(`/proc/${pid}/fd`).length;
      log.write({ t: Date.now(), incarnation: hub.incarnation, pid, rss_kb, fds });
    } catch {
      // gone between the pid and the read: the next incarnation will be sampled
    }
  }, everyMs);
  return () => clearInterval(timer);
}
