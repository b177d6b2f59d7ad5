// Hostile admin and role-bound events (issue 18; docs/events.md "Roles" and "Admin",
// docs/operations.md "What the host refuses"): each event without its role is refused with
// unauthorized and changes nothing; with the admin role, a swap_plugin path with a control
// character, a path to what is not a plugin, or a plugin for the wrong slot is refused and the
// running generation stays; enqueue_tasks refuses a bad batch.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { suite, TOKENS, client, connected } from "./fixture.mjs";
import { tempDir } from "../interop/js/plugin_harness.mjs";

const hostile = suite();

/** A client with `who`'s token, kept for the file. */
async function as(ctx, who) {
  ctx.clients ??= {};
  if (!ctx.clients[who]) {
    ctx.clients[who] = await connected(client(ctx.hub, TOKENS[who].token, { transports: ["websocket"] }));
    ctx.onClose(() => ctx.clients[who].close());
  }
  return ctx.clients[who];
}
const call = async (ctx, who, event, ...args) => (await as(ctx, who)).timeout(15000).emitWithAck(event, ...args);
const failure = (code, message) => ({ ok: false, error: { code, message } });

/** Every slot's generations as [slot, [generation numbers]]: what a refused swap must not change. */
async function generations(ctx) {
  const r = await call(ctx, "admin", "list_plugins");
  assert.equal(r.ok, true);
  return r.slots.map((s) => [s.slot, s.generations.map((g) => g.generation)]);
}
const SHIPPED = [["persistence", [1]], ["provider:provider-echo", [1]], ["queue", [1]], ["registry", [1]], ["resolver", [1]]];

// Without the role. The hostile token has submit, observe and provider; not admin.
for (const [event, args] of [
  ["list_plugins", []],
  ["swap_plugin", [{ slot: "queue", path: process.env.QUEUE_MEMORY_V1 }]],
  ["reload_config", []],
  ["enqueue_tasks", [{ tasks: [{ id: "sneaked", protocol: "echo/v1", method: "echo" }] }]],
  ["list_queue", [{ offset: 0, limit: 10 }]],
]) {
  hostile(`${event} without the admin role: unauthorized, and nothing changes`, async (ctx) => {
    const lastReload = (await (await fetch(`${ctx.hub.url}/health`)).json()).last_reload;
    assert.deepEqual(await call(ctx, "hostile", event, ...args), failure("unauthorized", `${event} needs a token with the admin role`));
    assert.deepEqual(await generations(ctx), SHIPPED);
    assert.deepEqual((await (await fetch(`${ctx.hub.url}/health`)).json()).last_reload, lastReload);
    assert.equal((await call(ctx, "admin", "list_queue", {})).tasks.includes("sneaked"), false);
  });
}
hostile("swap_plugin without the role, with 900 KB of junk beside its args: unauthorized", async (ctx) =>
  assert.deepEqual(await call(ctx, "hostile", "swap_plugin", { slot: "queue", path: "/x.so", junk: "j".repeat(900000) }),
    failure("unauthorized", "swap_plugin needs a token with the admin role")));
hostile("submit_workflow with only the observe role: unauthorized", async (ctx) =>
  assert.deepEqual(await call(ctx, "observer", "submit_workflow", { workflow: { tasks: [{ id: "a" }] } }),
    failure("unauthorized", "submit_workflow needs a token with the submit role")));
hostile("register_component of a provider with only the observe role: unauthorized", async (ctx) =>
  assert.deepEqual(await call(ctx, "observer", "register_component", { component_type: "provider", protocols: [{ id: "evil/v1" }] }),
    failure("unauthorized", "register_component of a provider needs a token with the provider role")));
hostile("register_component of a queue without the component role: unauthorized", async (ctx) =>
  assert.deepEqual(await call(ctx, "hostile", "register_component", { component_type: "queue" }),
    failure("unauthorized", "register_component needs a token with the component role")));
hostile("register_component with a protocol id that is not name/vN: invalid_argument", async (ctx) =>
  assert.deepEqual(await call(ctx, "hostile", "register_component", { component_type: "provider", protocols: [{ id: "../../etc/v1" }] }),
    failure("invalid_argument", "register_component: protocol id '../../etc/v1' is not of the form name/vN, e.g. echo/v1")));
hostile("join_room of a room the hub does not have: invalid_argument", async (ctx) =>
  assert.deepEqual(await call(ctx, "hostile", "join_room", { room: "workflow:someone-elses" }),
    failure("invalid_argument", "join_room needs {room}: one of workflows, tasks, components, plugins")));
hostile("an event nobody serves is answered not_found", async (ctx) =>
  assert.deepEqual(await call(ctx, "hostile", "shutdown", { now: true }), failure("not_found", "no component serves 'shutdown'")));

// swap_plugin with the role: refused, and the running generations stay.
const swapRefused = (slot, path, code, message) => async (ctx) => {
  assert.deepEqual(await call(ctx, "admin", "swap_plugin", { slot, path }), failure(code, message));
  assert.deepEqual(await generations(ctx), SHIPPED);
};
const CONTROL = "swap_plugin's path holds a control character";
hostile("swap_plugin with a NUL in the path: invalid_argument", (ctx) =>
  swapRefused("queue", `${process.env.QUEUE_MEMORY_V1}\u0000.txt`, "invalid_argument", CONTROL)(ctx));
hostile("swap_plugin with a newline or DEL in the path: invalid_argument", async (ctx) => {
  await swapRefused("queue", "/tmp/a\nb.so", "invalid_argument", CONTROL)(ctx);
  await swapRefused("queue", "/tmp/a\u007f.so", "invalid_argument", CONTROL)(ctx);
});
const NEEDS = "swap_plugin needs {slot, path}: slot is one of queue, resolver, registry, persistence or provider, path a plugin file";
hostile("swap_plugin of a slot that does not exist: invalid_argument", (ctx) => swapRefused("kernel", "/x.so", "invalid_argument", NEEDS)(ctx));
hostile("swap_plugin with a path that is not a string: invalid_argument", (ctx) => swapRefused("queue", 5, "invalid_argument", NEEDS)(ctx));
hostile("swap_plugin of /etc/passwd: not an ELF shared library", (ctx) =>
  swapRefused("queue", "/etc/passwd", "plugin_error", "refusing plugin /etc/passwd: not an ELF shared library")(ctx));
hostile("swap_plugin of a relative path out of the tree: not an ELF shared library", (ctx) =>
  swapRefused("queue", "../../../../../../etc/hostname", "plugin_error", "refusing plugin ../../../../../../etc/hostname: not an ELF shared library")(ctx));
hostile("swap_plugin of a directory: not a regular file", (ctx) =>
  swapRefused("provider", "/etc", "plugin_error", "refusing plugin /etc: not a regular file")(ctx));
hostile("swap_plugin of a file that does not exist: no such file", (ctx) =>
  swapRefused("queue", "/nonexistent/queue.so", "plugin_error", "refusing plugin /nonexistent/queue.so: no such file")(ctx));
hostile("swap_plugin with a path of 100,000 characters: no such file", (ctx) => {
  const long = "/" + "a".repeat(100000);
  return swapRefused("queue", long, "plugin_error", `refusing plugin ${long}: no such file`)(ctx);
});
hostile("swap_plugin of a plugin in a directory others may write: refused", (ctx) => {
  const dir = join(tempDir("gleitzeit-hostile-"), "open");
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  copyFileSync(process.env.QUEUE_MEMORY_V1, join(dir, "queue-memory.so"));
  chmodSync(join(dir, "queue-memory.so"), 0o755);
  return swapRefused("queue", join(dir, "queue-memory.so"), "plugin_error",
    `refusing plugin ${join(dir, "queue-memory.so")}: its directory is writable by other users (mode 0777)`)(ctx);
});
hostile("swap_plugin of a plugin file others may write: refused", (ctx) => {
  const file = join(tempDir("gleitzeit-hostile-"), "queue-memory.so");
  copyFileSync(process.env.QUEUE_MEMORY_V1, file);
  chmodSync(file, 0o666);
  return swapRefused("queue", file, "plugin_error", `refusing plugin ${file}: the file is writable by other users (mode 0666)`)(ctx);
});
hostile("swap_plugin of a queue plugin into the resolver slot: refused", (ctx) => {
  const file = join(tempDir("gleitzeit-hostile-"), "queue-memory.so");
  copyFileSync(process.env.QUEUE_MEMORY_V1, file);
  chmodSync(file, 0o755);
  return swapRefused("resolver", file, "plugin_error",
    `refusing plugin ${file}: 'queue-memory' is a queue plugin, but the resolver slot needs a resolver plugin`)(ctx);
});

// enqueue_tasks and list_queue with the role.
hostile("enqueue_tasks with tasks that are not a list: invalid_argument", async (ctx) =>
  assert.deepEqual(await call(ctx, "admin", "enqueue_tasks", { tasks: "all" }), failure("invalid_argument", "enqueue_tasks needs {tasks: [...]}")));
hostile("enqueue_tasks with a task without an id refuses the batch", async (ctx) => {
  const before = await call(ctx, "admin", "list_queue", {});
  assert.deepEqual(await call(ctx, "admin", "enqueue_tasks", { tasks: [{ id: "fine", protocol: "none/v1" }, { protocol: "none/v1" }] }),
    failure("invalid_argument", "task.id: required field is missing"));
  assert.deepEqual(await call(ctx, "admin", "list_queue", {}), before);
});
hostile("enqueue_tasks with one id twice refuses the whole batch (docs: one bad task refuses the batch)", async (ctx) => {
  const before = await call(ctx, "admin", "list_queue", {});
  const reply = await call(ctx, "admin", "enqueue_tasks", { tasks: [{ id: "twice", protocol: "none/v1" }, { id: "other", protocol: "none/v1" }, { id: "twice", protocol: "none/v1" }] });
  assert.deepEqual(reply, failure("invalid_argument", "queue-memory: task 'twice' is already queued"));
  assert.deepEqual(await call(ctx, "admin", "list_queue", {}), before);
});
hostile("list_queue with a negative offset and a limit of 1e300 falls back to the defaults", async (ctx) => {
  const all = await call(ctx, "admin", "list_queue", {});
  assert.deepEqual(await call(ctx, "admin", "list_queue", { offset: -1, limit: 1e300 }), all);
});
hostile("twenty reload_config at once are each answered, and change nothing", async (ctx) => {
  const replies = await Promise.all(Array.from({ length: 20 }, () => call(ctx, "admin", "reload_config")));
  for (const r of replies) assert.deepEqual([r.ok, r.reload.trigger, r.reload.ok, r.reload.applied, r.reload.restart_needed], [true, "reload_config", true, [], []]);
  assert.deepEqual(await generations(ctx), SHIPPED);
});
