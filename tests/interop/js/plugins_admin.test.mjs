// The plugin admin surface of gleitzeitd as an operator meets it (issue 4, acceptance): bad
// plugins refused with a clear message while the running one keeps its state, the drop-in
// directory, invalid and valid config reloads, and admin events refused without the role.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  fchmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

// The host's plugin API version, written once in plugin-api's version.hpp.
const API_VERSION = readFileSync(new URL("../../../plugin-api/include/gleitzeit/version.hpp", import.meta.url), "utf8")
  .match(/plugin_api_version = (\d+);/)[1];
import {
  call,
  dropFile,
  enqueue,
  health,
  makeTasks,
  pollUntil,
  q,
  readQueue,
  removeTempDirs,
  sleep,
  slotOf,
  stagePlugins,
  startHub,
  tempDir,
  waitForQueueVersion,
  writeAtomic,
} from "./plugin_harness.mjs";

const hubs = [];
after(async () => {
  for (const h of hubs) await h.stop();
  removeTempDirs();
});

let staged;
const plugins = () => (staged ??= stagePlugins());

/**
 * The config as numbered lines, so that a test can break one line and know the line and
 * column gleitzeitd must name. [server] port is overridden by --port 0 at start; a reload
 * that changes it must report a restart.
 */
function configLines({ dropin, queueFile, watch = false }) {
  return [
    "[server]", // 1
    "port = 7777", // 2
    "", // 3
    "[[auth.tokens]]", // 4
    'token = "admin-token"', // 5
    'roles = ["admin"]', // 6
    "", // 7
    "[[auth.tokens]]", // 8
    'token = "client-token"', // 9
    'roles = ["submit"]', // 10
    "", // 11
    "[plugins]", // 12
    `dropin = ${q(dropin)}`, // 13
    `watch = ${watch}`, // 14
    "drain_timeout = 2000", // 15
    "", // 16
    "[slots.queue]", // 17
    'plugin = "queue-memory"', // 18
    `file = ${q(queueFile)}`, // 19
  ];
}
const text = (lines) => lines.join("\n") + "\n";
/** `lines` with line `n` (1-based) replaced by `replacement`. */
const withLine = (lines, n, replacement) => lines.map((l, i) => (i === n - 1 ? replacement : l));

/** A hub running queue-memory 1.0.0 with a few queued tasks, and its admin client. */
async function hubWithQueue({ watch = false } = {}) {
  const dropin = tempDir("gleitzeit-dropin-");
  const lines = configLines({ dropin, queueFile: plugins().QUEUE_MEMORY_V1, watch });
  const hub = await startHub(text(lines));
  hubs.push(hub);
  const admin = await hub.connect("admin-token");
  await waitForQueueVersion(admin, "1.0.0");
  await enqueue(admin, makeTasks(7, "few-"));
  const queue = await readQueue(admin);
  assert.equal(queue.length, 7);
  const slots = (await call(admin, "list_plugins")).slots;
  return { hub, admin, dropin, lines, queue, slots };
}

/** The running config is untouched: the same plugins, generations and queued tasks. */
async function assertUnchanged(h, what) {
  assert.deepEqual((await call(h.admin, "list_plugins")).slots, h.slots, `${what}: list_plugins`);
  assert.deepEqual(await readQueue(h.admin), h.queue, `${what}: list_queue`);
}

test("bad plugins are refused by swap_plugin; queue-memory 1.0.0 keeps serving with its tasks", async (t) => {
  const h = await hubWithQueue();
  const P = plugins();
  assert.deepEqual(
    h.slots.map((s) => [s.slot, s.kind, s.generations.map((g) => [g.generation, g.name, g.version, g.state])]),
    [["queue", "queue", [[1, "queue-memory", "1.0.0", "active"]]]],
  );

  const bad = tempDir("gleitzeit-bad-");
  const own = (name) => {
    const dir = join(bad, name);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    return join(dir, "queue-memory.so");
  };
  const notElf = own("not-elf");
  writeFileSync(notElf, "#!/bin/sh\necho not a library\n");
  chmodSync(notElf, 0o755);
  const worldWritable = own("world-writable-file");
  copyFileSync(P.QUEUE_MEMORY_V2, worldWritable);
  chmodSync(worldWritable, 0o666);
  const inOpenDir = own("world-writable-dir");
  copyFileSync(P.QUEUE_MEMORY_V2, inOpenDir);
  chmodSync(inOpenDir, 0o755);
  chmodSync(join(bad, "world-writable-dir"), 0o777);

  const refusing = (p, why) => `refusing plugin ${p}: ${why}`;
  const cases = [
    ["a file that is not ELF", notElf, refusing(notElf, "not an ELF shared library")],
    [
      "an ELF file without the descriptor",
      P.NO_DESCRIPTOR,
      refusing(P.NO_DESCRIPTOR, "no gleitzeit_plugin_descriptor: not a Gleitzeit plugin (built without GLEITZEIT_PLUGIN?)"),
    ],
    ["an API version mismatch", P.API_MISMATCH, refusing(P.API_MISMATCH, `plugin API version 999 (plugin) != ${API_VERSION} (host)`)],
    [
      "a slot-kind mismatch",
      P.SLOW_PROVIDER_V1,
      refusing(P.SLOW_PROVIDER_V1, "'slow-provider' is a provider plugin, but the queue slot needs a queue plugin"),
    ],
    [
      "a constructor that throws",
      P.THROWING_QUEUE,
      refusing(`${P.THROWING_QUEUE} (throwing-queue 1.0.0)`, "its constructor threw: throwing-queue refuses to be constructed"),
    ],
    [
      "import_state that throws",
      P.IMPORT_THROWS_QUEUE,
      refusing(
        `${P.IMPORT_THROWS_QUEUE} (import-throws-queue 1.0.0)`,
        "import_state threw: import-throws-queue cannot import on purpose; queue-memory 1.0.0 (generation 1) stays active with its state",
      ),
    ],
    ["a world-writable file", worldWritable, refusing(worldWritable, "the file is writable by other users (mode 0666)")],
    ["a world-writable directory", inOpenDir, refusing(inOpenDir, "its directory is writable by other users (mode 0777)")],
  ];
  for (const [name, path, message] of cases) {
    await t.test(name, async () => {
      const from = h.hub.log.length;
      const reply = await call(h.admin, "swap_plugin", { slot: "queue", path });
      assert.deepEqual(reply, { ok: false, error: { code: "plugin_error", message } });
      await h.hub.waitForLog(message, from);
      await assertUnchanged(h, name);
    });
  }

  // A NUL would cut the path short where the loader reads it: refused before any loading.
  await t.test("a path with a NUL in it", async () => {
    const reply = await call(h.admin, "swap_plugin", { slot: "queue", path: `${P.QUEUE_MEMORY_V2}\u0000.bak` });
    assert.deepEqual(reply, { ok: false, error: { code: "invalid_argument", message: "swap_plugin's path holds a control character" } });
    await assertUnchanged(h, "a path with a NUL in it");
  });

  // Nothing the refusals left behind blocks the next swap (no swap "in progress", no
  // lingering generation), and the tasks come through it.
  const reply = await call(h.admin, "swap_plugin", { slot: "queue", path: P.QUEUE_MEMORY_V2 });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.deepEqual(reply.generations.map((g) => [g.version, g.state]), [["2.0.0", "active"]]);
  assert.deepEqual(await readQueue(h.admin), h.queue);
});

test("a plugin file still being written in the drop-in directory is ignored until it is closed", async () => {
  const h = await hubWithQueue({ watch: true });
  const bytes = readFileSync(plugins().QUEUE_MEMORY_V2);
  const third = Math.floor(bytes.length / 3);
  const target = join(h.dropin, "queue-memory.so");
  const from = h.hub.log.length;
  const fd = openSync(target, "w");
  try {
    fchmodSync(fd, 0o755);
    writeSync(fd, bytes, 0, third);
    await sleep(700);
    await assertUnchanged(h, "a third written");
    assert.equal(h.hub.log.slice(from).includes("queue-memory.so"), false, `logged: ${h.hub.log.slice(from)}`);
    writeSync(fd, bytes, third, bytes.length - third);
  } finally {
    closeSync(fd);
  }
  const gen = await waitForQueueVersion(h.admin, "2.0.0");
  assert.equal(gen.file, target);
  assert.deepEqual(await readQueue(h.admin), h.queue);
  await h.hub.waitForLog("gleitzeitd: drop-in queue-memory.so loaded", from);
  assert.equal(h.hub.log.slice(from).includes("refus"), false, `logged: ${h.hub.log.slice(from)}`);
});

test("a provider dropped into the drop-in directory is loaded; deleting its file unloads it", async () => {
  const h = await hubWithQueue({ watch: true });
  const from = h.hub.log.length;
  dropFile(plugins().SLOW_PROVIDER_V1, h.dropin, "slow-provider.so");
  const file = join(h.dropin, "slow-provider.so");
  const slot = await pollUntil(() => slotOf(h.admin, "provider:slow-provider"), "provider:slow-provider loaded");
  assert.equal(slot.kind, "provider");
  assert.deepEqual(
    slot.generations.map((g) => [g.generation, g.name, g.version, g.file, g.state, g.in_flight]),
    [[1, "slow-provider", "1.0.0", file, "active", 0]],
  );
  await h.hub.waitForLog("gleitzeitd: drop-in slow-provider.so loaded", from);
  assert.ok((await health(h.hub)).slots.some((s) => s.slot === "provider:slow-provider"), "/health shows it");

  unlinkSync(file);
  await pollUntil(async () => (await slotOf(h.admin, "provider:slow-provider")) === undefined, "provider:slow-provider unloaded");
  await h.hub.waitForLog("gleitzeitd: drop-in slow-provider.so removed: draining provider slow-provider", from);
  await assertUnchanged(h, "after the provider went");
});

test("without watch, a plugin dropped in is loaded at the next SIGHUP, and only once", async () => {
  const h = await hubWithQueue({ watch: false });
  const file = join(h.dropin, "slow-provider.so");
  dropFile(plugins().SLOW_PROVIDER_V1, h.dropin, "slow-provider.so");
  await sleep(500);
  assert.equal(await slotOf(h.admin, "provider:slow-provider"), undefined, "loaded before any SIGHUP");

  const sighup = async () => {
    const from = h.hub.log.length;
    h.hub.proc.kill("SIGHUP");
    await h.hub.waitForLog("gleitzeitd: reload (SIGHUP) applied (no changes)", from);
    return from;
  };
  let from = await sighup();
  const slot = await pollUntil(() => slotOf(h.admin, "provider:slow-provider"), "provider:slow-provider loaded");
  assert.deepEqual(
    slot.generations.map((g) => [g.generation, g.name, g.version, g.file, g.state]),
    [[1, "slow-provider", "1.0.0", file, "active"]],
  );
  await h.hub.waitForLog("gleitzeitd: drop-in slow-provider.so: not loaded in this version yet, loading", from);
  await h.hub.waitForLog("gleitzeitd: drop-in slow-provider.so loaded", from);

  // Unchanged since: a second SIGHUP leaves it alone.
  from = await sighup();
  await sleep(500);
  assert.equal(h.hub.log.slice(from).includes("slow-provider"), false, `logged: ${h.hub.log.slice(from)}`);
  assert.deepEqual((await slotOf(h.admin, "provider:slow-provider")).generations.map((g) => g.generation), [1]);
  assert.deepEqual(await readQueue(h.admin), h.queue, "the queue after two SIGHUPs");
});

// Each replaces one line of the config; gleitzeitd must name that line, the column of what
// is wrong in it, and the reason. `missing` is a plugin path that does not exist.
const invalid = [
  {
    name: "a syntax error",
    line: 14,
    text: () => "watch = true true",
    column: 14,
    reason: () => "Error while parsing key-value pair: expected a comment or whitespace, saw 't'",
  },
  {
    name: "an unknown key",
    line: 14,
    text: () => "wach = false",
    column: 1,
    reason: () => "unknown key 'wach' in [plugins] (did you mean 'watch'?)",
  },
  {
    name: "a wrong type",
    line: 15,
    text: () => 'drain_timeout = "2000"',
    column: 17,
    reason: () => "'drain_timeout' must be an integer",
  },
  {
    name: "a missing plugin file",
    line: 19,
    text: (missing) => `file = ${q(missing)}`,
    column: 8,
    reason: (missing) => `plugin file '${missing}' for [slots.queue] does not exist`,
  },
];

for (const { name, line, text: broken, column, reason } of invalid) {
  test(`reload_config rejects ${name} with file:line:col and keeps the running config`, async () => {
    const h = await hubWithQueue();
    const missing = join(tempDir("gleitzeit-missing-"), "queue-memory.so");
    writeAtomic(h.hub.configPath, text(withLine(h.lines, line, broken(missing))));
    const from = h.hub.log.length;

    const reply = await call(h.admin, "reload_config");
    assert.equal(reply.ok, false, JSON.stringify(reply));
    assert.equal(reply.error.code, "invalid_argument");
    const message = reply.error.message;
    const prefix = `${h.hub.configPath}:${line}:${column}: `;
    assert.ok(message.startsWith(prefix), `'${message}' starts with '${prefix}'`);
    assert.equal(message, prefix + reason(missing));
    assert.equal(reply.reload.trigger, "reload_config");
    assert.equal(reply.reload.ok, false);
    assert.equal(reply.reload.error, message);
    assert.deepEqual([reply.reload.applied, reply.reload.restart_needed], [[], []]);

    assert.deepEqual((await health(h.hub)).last_reload, reply.reload, "/health reports the rejection");
    await h.hub.waitForLog(`gleitzeitd: reload (reload_config) rejected, running config kept: ${message}`, from);
    await assertUnchanged(h, name);
    // The tokens of the running config still hold.
    const again = await h.hub.connect("admin-token");
    assert.equal((await call(again, "list_plugins")).ok, true);
    const client = await h.hub.connect("client-token");
    assert.equal(await client.timeout(5000).emitWithAck("echo", "still"), "still");
  });
}

test("SIGHUP with an invalid config: only /health and the log show the rejection", async () => {
  const h = await hubWithQueue();
  writeAtomic(h.hub.configPath, text(withLine(h.lines, 14, "wach = false")));
  const from = h.hub.log.length;
  const message = `${h.hub.configPath}:14:1: unknown key 'wach' in [plugins] (did you mean 'watch'?)`;
  h.hub.proc.kill("SIGHUP");
  const last = await pollUntil(async () => {
    const r = (await health(h.hub)).last_reload;
    return r?.trigger === "SIGHUP" && r;
  }, "a SIGHUP reload in /health");
  assert.equal(last.ok, false);
  assert.equal(last.error, message);
  await h.hub.waitForLog(`gleitzeitd: reload (SIGHUP) rejected, running config kept: ${message}`, from);
  await assertUnchanged(h, "after SIGHUP");
  await h.hub.connect("client-token");
});

test("a valid reload adds a provider and reports that the new port needs a restart", async () => {
  const h = await hubWithQueue();
  const P = plugins();
  const lines = [
    ...withLine(h.lines, 2, "port = 7778"),
    "",
    "[[providers]]",
    'plugin = "slow-provider"',
    `file = ${q(P.SLOW_PROVIDER_V1)}`,
  ];
  writeAtomic(h.hub.configPath, text(lines));

  const reply = await call(h.admin, "reload_config");
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(reply.reload.ok, true);
  assert.equal(reply.reload.trigger, "reload_config");
  assert.deepEqual(reply.reload.restart_needed, ["server.port: 7777 -> 7778 (needs a restart)"]);
  assert.deepEqual(reply.reload.applied, ["providers: add slow-provider"]);
  const provider = await slotOf(h.admin, "provider:slow-provider");
  assert.deepEqual(
    provider?.generations.map((g) => [g.generation, g.version, g.file, g.state]),
    [[1, "1.0.0", P.SLOW_PROVIDER_V1, "active"]],
  );
  assert.deepEqual((await slotOf(h.admin, "queue")).generations, h.slots[0].generations, "the queue slot is untouched");
  assert.deepEqual(await readQueue(h.admin), h.queue);

  // Still on the port it started with: the same admin session, new sessions and /health.
  assert.deepEqual((await health(h.hub)).last_reload, reply.reload);
  const client = await h.hub.connect("client-token");
  assert.equal(await client.timeout(5000).emitWithAck("echo", 1), 1);

  // The port keeps its running value, so every later reload still says it waits for a
  // restart, and nothing else changes.
  const second = await call(h.admin, "reload_config");
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.deepEqual(second.reload.restart_needed, ["server.port: 7777 -> 7778 (needs a restart)"]);
  assert.deepEqual(second.reload.applied, []);
});

test("admin events are refused for a token without the admin role", async () => {
  const h = await hubWithQueue();
  const client = await h.hub.connect("client-token");
  const requests = [
    ["list_plugins", undefined],
    ["swap_plugin", { slot: "queue", path: plugins().QUEUE_MEMORY_V2 }],
    ["reload_config", undefined],
    ["enqueue_tasks", { tasks: makeTasks(1, "intruder-") }],
    ["list_queue", { offset: 0, limit: 10 }],
  ];
  for (const [event, args] of requests) {
    const reply = await call(client, event, args);
    const message = `${event} needs a token with the admin role`;
    assert.deepEqual(reply, { ok: false, error: { code: "unauthorized", message } }, event);
  }
  // Rooms are role-checked too: a submit token may not follow every workflow.
  assert.deepEqual(await call(client, "join_room", { room: "tasks" }),
    { ok: false, error: { code: "unauthorized", message: "join_room tasks needs a token with the observe role" } });
  const admin = await h.hub.connect("admin-token");
  assert.deepEqual(await call(admin, "join_room", { room: "tasks" }), { ok: true, room: "tasks" });
  // The client may still do what clients do, and none of the refused requests took effect.
  assert.equal(await client.timeout(5000).emitWithAck("echo", "ok"), "ok");
  await assertUnchanged(h, "after the refused requests");
  assert.equal((await health(h.hub)).last_reload.trigger, "start");
});
