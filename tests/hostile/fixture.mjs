// The hostile-input suite's fixture (issue 18): one gleitzeitd run from the shipped config
// (config/gleitzeit.toml, rewritten only where a test cannot use it as it is), two bystanders
// that every case must leave untouched, and the hub's RSS, sampled while a case runs.
import assert from "node:assert/strict";
import { copyFileSync, chmodSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test, before, after } from "node:test";
import { io } from "socket.io-client";
import { startGleitzeitd, sleep } from "../interop/js/harness.mjs";
import { connected, tempDir, removeTempDirs, q } from "../interop/js/plugin_harness.mjs";

export { connected };

export { sleep };

/** The bound of issue 18: no hostile case may grow the hub's RSS by this much. */
// The bound holds for the release build. ASan's allocator (make test-sanitize) keeps freed
// memory in quarantine and pads every allocation, so there the RSS is reported, not bounded.
export const RSS_BOUND_MB = process.env.GLEITZEIT_SANITIZED ? Infinity : 64;
/** The shipped [server] max_payload; the cases build their oversized input from it. */
export const MAX_PAYLOAD = 1000000;
/** [server] request_timeout as the fixture sets it (see hubConfig). */
export const REQUEST_TIMEOUT_MS = 6000;

/** Tokens, each with the roles its cases need. */
export const TOKENS = {
  bystander: { token: "bystander-token", roles: ["submit", "observe"] },
  hostile: { token: "hostile-token", roles: ["submit", "observe", "provider"] },
  observer: { token: "observer-token", roles: ["observe"] },
  admin: { token: "admin-token", roles: ["admin"] },
};

// The plugins the shipped config names, by the env var ctest sets for each file.
const PLUGINS = {
  "queue-memory": "QUEUE_MEMORY_V1",
  "resolver-dag": "RESOLVER_DAG",
  "registry-default": "REGISTRY_DEFAULT",
  "persistence-sqlite": "PERSISTENCE_SQLITE",
  "provider-echo": "PROVIDER_ECHO",
};

function replaceOnce(text, pattern, by, what) {
  const matches = text.match(new RegExp(pattern.source, pattern.flags + "g"));
  // The shipped file changed shape: say so rather than test another config than meant.
  if (matches?.length !== 1) throw new Error(`config/gleitzeit.toml: expected one ${what} (${pattern})`);
  return text.replace(pattern, () => by);
}

/**
 * The shipped config/gleitzeit.toml with only these changes:
 * - [plugins] directory: the built plugins, copied into a private directory (the hub refuses
 *   plugin files others may write, and the build tree's modes depend on its umask);
 * - [state] directory and [plugins] dropin: private directories, not /var/lib and /etc;
 * - [server] request_timeout: 6 s instead of the default 60 s, so that the stalled-request
 *   cases (slowloris, a lying Content-Length) see their refusal within the suite's time. Not
 *   less: the hub also closes a kept-alive connection that idles that long, and a client that
 *   reuses it at that moment loses its request; node's HTTP agent (5 s) and fetch (4 s) let
 *   idle connections go sooner, so they never meet the hub's close;
 * - [[auth.tokens]]: the admin cases need a connection without the admin role, and with no
 *   tokens every connection has every role. So there are tokens, and every client presents one.
 */
export function hubConfig() {
  const pluginDir = join(tempDir("gleitzeit-hostile-plugins-"), "plugins");
  mkdirSync(pluginDir);
  chmodSync(pluginDir, 0o755);
  for (const [name, envVar] of Object.entries(PLUGINS)) {
    const src = process.env[envVar];
    if (!src) throw new Error(`${envVar} is not set (run the test through ctest)`);
    copyFileSync(src, join(pluginDir, `${name}.so`));
    chmodSync(join(pluginDir, `${name}.so`), 0o755);
  }
  let toml = readFileSync(new URL("../../config/gleitzeit.toml", import.meta.url), "utf8");
  toml = replaceOnce(toml, /^\[server\]$/m, `[server]\nrequest_timeout = ${REQUEST_TIMEOUT_MS}`, "[server]");
  toml = replaceOnce(toml, /^directory = "\/var\/lib\/gleitzeit".*$/m,
    `directory = ${q(tempDir("gleitzeit-hostile-state-"))}`, "[state] directory");
  toml = replaceOnce(toml, /^# directory = ".*$/m, `directory = ${q(pluginDir)}`, "[plugins] directory");
  toml = replaceOnce(toml, /^dropin = .*$/m, `dropin = ${q(tempDir("gleitzeit-hostile-dropin-"))}`, "[plugins] dropin");
  for (const { token, roles } of Object.values(TOKENS))
    toml += `\n[[auth.tokens]]\ntoken = ${q(token)}\nroles = ${JSON.stringify(roles)}\n`;
  return toml;
}

/** The hub's resident set in MB, from /proc/PID/status. */
export function rssMb(pid) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  if (!m) throw new Error(`no VmRSS for ${pid}: has the hub exited?`);
  return Number(m[1]) / 1024;
}

/** Samples RSS every `every` ms until stop(), which returns the highest sample. */
export function sampleRss(pid, every = 20) {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the hub died: the case's assertions and the bystanders say so
    }
  }, every);
  // A case shorter than one period still gets a sample at its end.
  return { stop: () => (clearInterval(timer), Math.max(peak, rssMb(pid))) };
}

/** A socket.io-client with `token`; a drop must show, so it never reconnects. */
export function client(hub, token, opts = {}) {
  return io(hub.url, { reconnection: false, forceNew: true, auth: { token }, ...opts });
}


/**
 * The clients every case must leave alone: one on WebSocket and one on long-polling (never
 * upgraded). Their Socket.IO and Engine.IO ids are recorded at connect; check() asserts that
 * neither was disconnected, that both are the same sessions, and that both still answer echo.
 * After a failed check a fresh pair takes over, so that the next case is judged on its own.
 */
export class Bystanders {
  constructor(hub) {
    this.hub = hub;
    this.rounds = 0;
  }
  async connect() {
    this.disconnects = [];
    this.clients = [
      client(this.hub, TOKENS.bystander.token, { transports: ["websocket"] }),
      client(this.hub, TOKENS.bystander.token, { transports: ["polling"], upgrade: false }),
    ];
    const seen = this.disconnects;
    this.clients.forEach((c, i) => c.on("disconnect", (reason) => seen.push(`${i ? "polling" : "websocket"}: ${reason}`)));
    await Promise.all(this.clients.map((c) => connected(c)));
    this.ids = this.clients.map((c) => [c.id, c.io.engine.id, c.io.engine.transport.name]);
    assert.deepEqual(this.ids.map((i) => i[2]), ["websocket", "polling"]);
  }
  async check(label) {
    try {
      assert.deepEqual(this.disconnects, [], `bystanders disconnected during ${label}`);
      const now = this.clients.map((c) => [c.id, c.io.engine.id, c.io.engine.transport.name]);
      assert.deepEqual(now, this.ids, `bystanders' sessions after ${label}`);
      const n = ++this.rounds;
      const answers = await Promise.all(this.clients.map((c, i) =>
        c.timeout(15000).emitWithAck("echo", { after: label, n, i })));
      assert.deepEqual(answers, [{ after: label, n, i: 0 }, { after: label, n, i: 1 }]);
    } catch (e) {
      this.close();
      await this.connect().catch(() => {}); // a hub that is gone fails the next case anyway
      throw e;
    }
  }
  close() {
    for (const c of this.clients ?? []) c.close();
  }
}

/** The value of one Prometheus series of /metrics (0 when absent). */
export async function metric(hub, series) {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const at = text.split("\n").find((l) => l.startsWith(series + " "));
  return at ? Number(at.slice(series.length + 1)) : 0;
}
export const closedAs = (hub, reason) => metric(hub, `gleitzeit_sessions_closed_total{reason="${reason}"}`);

/** Waits until `probe()` is truthy; throws with `what` after `ms`. */
export async function until(probe, what, ms = 10000, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}

/** Waits until the metric `series` reaches `value` (metrics lag the close by a strand hop). */
export async function metricReaches(hub, series, value, ms = 10000) {
  let last;
  await until(async () => (last = await metric(hub, series)) >= value, `${series} >= ${value}`, ms).catch((e) => {
    throw new Error(`${e.message} (last ${last})`);
  });
  return last;
}

/**
 * Sets up a hub and its bystanders for this file (or for the describe() it is called in), and
 * returns `hostile(name, fn, opts)`, which registers one case: fn(ctx) does the hostile thing
 * and asserts the refusal; around it the RSS is sampled, its growth over the RSS before the
 * case is bounded (at the peak and after), and the bystanders are checked. opts.todo marks a
 * case that shows a hub bug; opts.settle waits before the RSS after is read.
 */
export function suite() {
  const figures = []; // each case's RSS growth and time, printed at the end (docs/reliability.md)
  const closers = [];
  // Clients a file keeps for several cases register here, and are closed before the hub stops.
  const ctx = { onClose: (fn) => closers.push(fn) };
  before(async () => {
    ctx.hub = await startGleitzeitd(hubConfig());
    ctx.pid = ctx.hub.proc.pid;
    ctx.bystanders = new Bystanders(ctx.hub);
    await ctx.bystanders.connect();
    await ctx.bystanders.check("the start");
    ctx.baseline = rssMb(ctx.pid);
  });
  after(async () => {
    ctx.bystanders?.close();
    for (const fn of closers) fn();
    if (figures.length) {
      const lines = figures.map((f) => `  ${f.name}: +${f.peak.toFixed(1)} MB peak, +${f.after.toFixed(1)} MB after, ${f.ms} ms`);
      let end = "gone";
      try {
        end = `${rssMb(ctx.pid).toFixed(1)} MB`;
      } catch {
        // the hub died: its stop below says how
      }
      console.log(`hub RSS ${ctx.baseline?.toFixed(1)} MB at the start, ${end} at the end; per case:\n${lines.join("\n")}`);
    }
    if (ctx.hub) {
      // A hub a case left unable to save drains for [server] drain_timeout (10 s) before it
      // exits; a second signal stops it at once (docs/operations.md, "Stopping").
      const stopping = ctx.hub.stop();
      const again = setTimeout(() => ctx.hub.proc.kill("SIGTERM"), 2000);
      await stopping.finally(() => clearTimeout(again));
    }
    removeTempDirs();
  });
  return function hostile(name, fn, opts = {}) {
    test(name, { timeout: opts.timeout ?? 30000, todo: opts.todo }, async () => {
      const before = rssMb(ctx.pid);
      const t0 = Date.now();
      const sampler = sampleRss(ctx.pid);
      // Every check runs even when the case itself fails: a todo case reports all that is
      // wrong with the hub, not only the first.
      const problems = [];
      try {
        await fn(ctx);
      } catch (e) {
        problems.push(e);
      }
      const peak = sampler.stop();
      // What the hub let go of it has let go once its sockets are closed; a moment for that.
      if (opts.settle) await sleep(opts.settle);
      const after = rssMb(ctx.pid);
      figures.push({ name, peak: peak - before, after: after - before, ms: Date.now() - t0 });
      const bound = (what, mb) => assert.ok(mb - before < RSS_BOUND_MB, `RSS ${what} ${mb.toFixed(1)} MB, ${(mb - before).toFixed(1)} MB over the ${before.toFixed(1)} MB before`);
      for (const check of [() => bound("peak", peak), () => bound("after", after), () => ctx.bystanders.check(name)]) {
        try {
          await check();
        } catch (e) {
          problems.push(e);
        }
      }
      if (problems.length === 1) throw problems[0];
      if (problems.length) throw new AggregateError(problems, problems.map((e) => e.message).join("\n---\n"));
    });
  };
}
