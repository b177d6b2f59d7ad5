// Shared helpers of the plugin tests (plugins_swap, plugins_admin): private copies of the
// plugins the test suite builds, a gleitzeitd whose config file and standard error the test
// can reach, admin calls, and polling. Builds on harness.mjs, which starts the process.
import { io } from "socket.io-client";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { startGleitzeitd, sleep } from "./harness.mjs";

export { sleep };

/** The env vars ctest sets (tests/interop/CMakeLists.txt), one per plugin file. */
export const PLUGIN_VARS = [
  "QUEUE_MEMORY_V1",
  "QUEUE_MEMORY_V2",
  "SLOW_PROVIDER_V1",
  "SLOW_PROVIDER_V2",
  "THROWING_QUEUE",
  "IMPORT_THROWS_QUEUE",
  "API_MISMATCH",
  "NO_DESCRIPTOR",
  "RESOLVER_DAG",
  "PROVIDER_ECHO",
  "REGISTRY_DEFAULT",
  "PERSISTENCE_SQLITE",
];

const tempDirs = [];

/** A fresh directory only its owner may write (gleitzeitd refuses plugins in others). */
export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o700);
  tempDirs.push(d);
  return d;
}

/** Removes every directory tempDir() and startHub() made; for after(). */
export function removeTempDirs() {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Copies each built plugin into a directory of its own under a private root, keeping the
 * file name (v1 and v2 of queue-memory are both queue-memory.so). The build tree's modes
 * depend on the umask of whoever built it; the copies' modes are the ones the test means.
 * `names`: the env vars that name the plugin files; the result is keyed by them.
 */
export function stagePlugins(names = PLUGIN_VARS) {
  const root = tempDir("gleitzeit-plugins-");
  const staged = {};
  for (const name of names) {
    const src = process.env[name];
    if (!src) throw new Error(`${name} is not set (run the test through ctest)`);
    const dir = join(root, name.toLowerCase());
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    staged[name] = join(dir, basename(src));
    copyFileSync(src, staged[name]);
    chmodSync(staged[name], 0o755);
  }
  return staged;
}

/**
 * Puts `src` into `dir` as `name` the way a careful deployer does: write under a name the
 * drop-in ignores (it does not end in .so), then rename, so the watcher sees it complete.
 */
export function dropFile(src, dir, name) {
  const tmp = join(dir, `.${name}.${process.pid}.part`);
  copyFileSync(src, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, join(dir, name));
}

/** Replaces `file` by write-to-temp and rename, as editors and config managers do. */
export function writeAtomic(file, text) {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** A TOML basic string; JSON's escapes are valid TOML for the paths the tests use. */
export const q = (s) => JSON.stringify(s);

/** The config of a hub that keeps its state in `stateDir`: the slots' shipped plugins from
 * `staged` (stagePlugins; queue-memory as QUEUE_MEMORY_V1 or QUEUE_MEMORY) with
 * persistence-sqlite, provider-echo unless `echo` is false, and `extra` TOML in front. */
export function durableConfig(staged, stateDir, { extra = "", echo = true } = {}) {
  const queue = staged.QUEUE_MEMORY_V1 ?? staged.QUEUE_MEMORY;
  return [
    extra,
    `[state]\ndirectory = ${q(stateDir)}`,
    `[plugins]\nwatch = false\ndropin = ${q(join(stateDir, "dropin"))}`,
    `[slots.queue]\nplugin = "queue-memory"\nfile = ${q(queue)}`,
    `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${q(staged.RESOLVER_DAG)}`,
    `[slots.registry]\nplugin = "registry-default"\nfile = ${q(staged.REGISTRY_DEFAULT)}`,
    `[slots.persistence]\nplugin = "persistence-sqlite"\nfile = ${q(staged.PERSISTENCE_SQLITE)}`,
    echo ? `[[providers]]\nplugin = "provider-echo"\nfile = ${q(staged.PROVIDER_ECHO)}` : "",
  ].filter(Boolean).join("\n") + "\n";
}

/** A socket.io-client over WebSocket, no reconnection: a drop must show, not be healed. */
export function connectClient(url, token, opts = {}) {
  return io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(token === undefined ? {} : { auth: { token } }),
    ...opts,
  });
}

/** Resolves when `socket` is connected; rejects with the server's reason otherwise. */
export function connected(socket, ms = 10000) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect within ${ms} ms`)), ms);
    socket.once("connect", () => (clearTimeout(timer), resolve(socket)));
    socket.once("connect_error", (e) => (clearTimeout(timer), reject(e)));
  });
}

/** An acked admin event; rejects if the ack does not come within `ms`. */
export function call(socket, event, args, ms = 30000) {
  const s = socket.timeout(ms);
  return args === undefined ? s.emitWithAck(event) : s.emitWithAck(event, args);
}

/** The list_plugins entry of `slot` ("queue", "provider:<name>"), or undefined. */
export async function slotOf(admin, slot) {
  const reply = await call(admin, "list_plugins");
  if (reply.ok !== true) throw new Error(`list_plugins failed: ${JSON.stringify(reply)}`);
  return reply.slots.find((s) => s.slot === slot);
}

/** Calls `probe` until it returns something truthy; throws with the last value if it never does. */
export async function pollUntil(probe, what, ms = 10000, every = 50) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
    await sleep(every);
  }
}

/** Waits until the queue slot runs exactly one generation, of `version`; returns it. */
export async function waitForQueueVersion(admin, version, ms = 20000) {
  let seen;
  await pollUntil(
    async () => {
      seen = await slotOf(admin, "queue");
      const g = seen?.generations ?? [];
      return g.length === 1 && g[0].version === version && g[0].state === "active";
    },
    `queue slot on ${version}`,
    ms,
  ).catch((e) => {
    throw new Error(`${e.message}; slot: ${JSON.stringify(seen)}`);
  });
  return seen.generations[0];
}

/** Tasks t000000... with every priority, interleaved, so dispatch order is not arrival order. */
export function makeTasks(n, prefix = "t") {
  const levels = ["normal", "high", "low", "urgent", "normal", "low", "high"];
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${String(i).padStart(6, "0")}`,
    protocol: "echo/v1",
    method: "ping",
    params: { i },
    priority: levels[(i * 5 + (i >> 3)) % levels.length],
  }));
}

/** enqueue_tasks in batches; asserts every batch was taken whole. */
export async function enqueue(admin, tasks, batch = 5000) {
  for (let i = 0; i < tasks.length; i += batch) {
    const part = tasks.slice(i, i + batch);
    const reply = await call(admin, "enqueue_tasks", { tasks: part });
    if (reply.ok !== true || reply.enqueued !== part.length)
      throw new Error(`enqueue_tasks at ${i}: ${JSON.stringify(reply).slice(0, 500)}`);
  }
}

/** The whole queue in dispatch order, read `page` ids at a time with list_queue. */
export async function readQueue(admin, page = 20000) {
  const ids = [];
  let size;
  for (;;) {
    const reply = await call(admin, "list_queue", { offset: ids.length, limit: page });
    if (reply.ok !== true) throw new Error(`list_queue: ${JSON.stringify(reply)}`);
    size ??= reply.size;
    if (reply.size !== size) throw new Error(`the queue changed size while read: ${size} -> ${reply.size}`);
    ids.push(...reply.tasks);
    if (reply.tasks.length < page || ids.length >= size) break;
  }
  if (ids.length !== size) throw new Error(`list_queue gave ${ids.length} ids for size ${size}`);
  return ids;
}

/** Where two id lists first differ, or null; a 100k-element deepEqual diff is unreadable. */
export function firstDifference(a, b) {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return { index: i, expected: a[i], actual: b[i], lengths: [a.length, b.length] };
  return null;
}

/** GET /health as JSON. */
export async function health(hub) {
  const res = await fetch(`${hub.url}/health`);
  if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  return res.json();
}

/**
 * gleitzeitd started with `toml` as its config. Adds what the plugin tests need to
 * harness.mjs's handle: the config's path (to rewrite it), all of standard error from
 * here on, clients that are closed on stop, and removal of the config's directory.
 */
export async function startHub(toml) {
  const server = await startGleitzeitd(toml);
  const args = server.proc.spawnargs;
  const configPath = args[args.indexOf("--config") + 1];
  tempDirs.push(dirname(configPath));
  // harness.mjs keeps only a tail of what came before the listening line; that is enough
  // for startup, and every later line is kept whole.
  let log = server.proc.stderrText ?? "";
  server.proc.stderr.on("data", (d) => (log += d));
  const clients = [];
  return {
    ...server,
    configPath,
    get log() {
      return log;
    },
    /** Waits for `text` in standard error after offset `from`. */
    async waitForLog(text, from = 0, ms = 5000) {
      await pollUntil(() => log.indexOf(text, from) >= 0, `'${text}' in gleitzeitd's log`, ms, 20).catch((e) => {
        throw new Error(`${e.message}; log since: ${log.slice(from).slice(-3000)}`);
      });
    },
    /** A client with `token`, closed when the hub stops; not yet awaited. */
    client(token, opts) {
      const c = connectClient(server.url, token, opts);
      clients.push(c);
      return c;
    },
    /** A connected client with `token`. */
    async connect(token, opts) {
      return connected(this.client(token, opts));
    },
    async stop() {
      for (const c of clients) c.close();
      await server.stop();
    },
  };
}

/** Resolves with the next `event` on `socket` whose payload satisfies `match`. */
export function nextEvent(socket, event, match = () => true, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (socket.off(event, on), reject(new Error(`no ${event} within ${ms} ms`))), ms);
    const on = (p) => {
      if (!match(p)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(p);
    };
    socket.on(event, on);
  });
}

/**
 * Submits `workflow` from `client`; resolves with {reply} if it is refused, else with
 * {id, events, end} once it ends (completed, failed or cancelled). `events` are its
 * [event, payload] pairs in order; `onEvent(event, payload, id)` sees each as it comes,
 * `onStarted(payload)` each task_started. Until the reply names the workflow, events wait:
 * those of an earlier workflow (a client may observe them all) may still be arriving.
 */
export function runWorkflow(client, workflow, { onEvent, onStarted } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    let id;
    const early = [];
    const take = (event, payload) => {
      if (payload.workflow_id !== id) return;
      events.push([event, payload]);
      onEvent?.(event, payload, id);
      if (event === "task_started") onStarted?.(payload);
      if (["workflow_completed", "workflow_failed", "workflow_cancelled"].includes(event)) {
        client.offAny(listener);
        resolve({ id, events, end: payload });
      }
    };
    const listener = (event, payload) => {
      if (!payload) return;
      if (id === undefined) early.push([event, payload]);
      else take(event, payload);
    };
    client.onAny(listener);
    call(client, "submit_workflow", { workflow }).then((reply) => {
      if (!reply.ok) {
        client.offAny(listener);
        return resolve({ reply });
      }
      id = reply.workflow_id;
      for (const [event, payload] of early.splice(0)) take(event, payload);
    }, reject);
  });
}
