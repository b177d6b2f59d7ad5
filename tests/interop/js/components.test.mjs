// The component contract of docs/events.md ("Roles", "Components") against gleitzeitd with
// one token per role: what each role may not do, register_component and its refusals,
// list_components with heartbeats, room "components", and the answer to an event nobody
// serves. The provider is examples/providers/echo_provider (Node and Python), run as a
// real process.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { call, connected, nextEvent, pollUntil, q, removeTempDirs, stagePlugins, startHub } from "./plugin_harness.mjs";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const JS_PROVIDER = join(ROOT, "examples/providers/echo_provider.mjs");
const PY_PROVIDER = join(ROOT, "examples/providers/echo_provider.py");
// Debian's interpreter has python3-socketio; a python3 earlier on PATH may not.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const ROLES = ["submit", "observe", "provider", "component", "admin"];
const token = (role) => `token-${role}`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let hub;
let admin;
let observer;

before(async () => {
  const file = (v) => q(stagePlugins([v])[v]);
  hub = await startHub(
    `[server]\nheartbeat_interval = 200\n` +
      ROLES.map((r) => `[[auth.tokens]]\ntoken = "${token(r)}"\nroles = ["${r}"]\n`).join("") +
      `[plugins]\nwatch = false\n` +
      `[slots.queue]\nplugin = "queue-memory"\nfile = ${file("QUEUE_MEMORY_V1")}\n` +
      `[slots.resolver]\nplugin = "resolver-dag"\nfile = ${file("RESOLVER_DAG")}\n` +
      `[slots.registry]\nplugin = "registry-default"\nfile = ${file("REGISTRY_DEFAULT")}\n` +
      // A component of the component role fills a slot configured remote (remote_slots.test).
      `[slots.persistence]\nremote = true\n`,
  );
  admin = await hub.connect(token("admin"));
  observer = await hub.connect(token("observe"));
});

const providers = new Set();

/** An example provider ("js" or "py") of `url`; resolves with {proc, id, out, err, exited} once it registered, or rejects with its stderr. */
function startProvider(kind, extra = [], url = hub.url) {
  const argv = kind === "js" ? [process.execPath, JS_PROVIDER] : [PYTHON, PY_PROVIDER];
  const proc = spawn(argv[0], [...argv.slice(1), "--url", url, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GLEITZEIT_TOKEN: token("provider") },
  });
  const p = { proc, out: "", err: "" };
  providers.add(p);
  p.exited = new Promise((resolve) => proc.on("exit", (code, signal) => (providers.delete(p), resolve({ code, signal }))));
  proc.stderr.on("data", (d) => (p.err += d));
  p.stop = (signal = "SIGTERM") => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return p.exited;
  };
  p.registered = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} provider did not register within 10 s: ${p.out}${p.err}`)), 10000);
    proc.stdout.on("data", (d) => {
      p.out += d;
      const m = p.out.match(/^registered as (\S+)$/m);
      if (m && !p.id) {
        p.id = m[1];
        clearTimeout(timer);
        resolve(p);
      }
    });
    p.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${kind} provider exited (${code ?? signal}) before registering: ${p.err}`));
    });
  });
  p.registered.catch(() => {}); // the tests that expect a refusal await `exited` instead
  return p;
}

afterEach(async () => {
  for (const p of [...providers]) await p.stop("SIGKILL");
});

after(async () => {
  for (const p of [...providers]) await p.stop("SIGKILL");
  await hub?.stop();
  removeTempDirs();
});

const refused = (code, message) => ({ ok: false, error: { code, message } });
const provider = (more = {}) => ({
  component_type: "provider",
  version: "0.1.0",
  protocols: [{ id: "echo/v1", methods: [{ name: "echo" }] }],
  max_concurrency: 2,
  ...more,
});

const next = nextEvent;

async function componentIds() {
  const reply = await call(observer, "list_components");
  assert.equal(reply.ok, true);
  return reply.components.map((c) => c.component_id).sort();
}

// Issue acceptance: unauthorized attempts.
test("each role may do only its own part; refusals have exact answers and leave nothing behind", async () => {
  const by = {};
  for (const r of ROLES) by[r] = r === "admin" ? admin : r === "observe" ? observer : await hub.connect(token(r));

  // Registering a provider needs the provider role; the component role is for the others.
  for (const r of ["submit", "observe", "component"])
    assert.deepEqual(
      await call(by[r], "register_component", provider({ component_id: `p-${r}` })),
      refused("unauthorized", "register_component of a provider needs a token with the provider role"),
      r,
    );
  assert.deepEqual(
    await call(by.provider, "register_component", { component_type: "queue", component_id: "q-provider" }),
    refused("unauthorized", "register_component needs a token with the component role"),
  );
  assert.deepEqual(await componentIds(), []);

  // What it may do, it can: a persistence component with the component role, a provider
  // with the provider role.
  const store = await call(by.component, "register_component", { component_type: "persistence", component_id: "s-1" });
  assert.deepEqual(store, { ok: true, component_id: "s-1", component_type: "persistence", heartbeat_interval_ms: 200 });
  const prov = await call(by.provider, "register_component", provider({ component_id: "p-1" }));
  assert.deepEqual(prov, { ok: true, component_id: "p-1", component_type: "provider", heartbeat_interval_ms: 200 });
  assert.deepEqual(await componentIds(), ["p-1", "s-1"]);

  // submit_workflow needs submit; nothing of a refused submission exists afterwards.
  const workflow = { id: "refused-wf", tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: {} }] };
  for (const r of ["observe", "provider", "component"])
    assert.deepEqual(await call(by[r], "submit_workflow", { workflow }), refused("unauthorized", "submit_workflow needs a token with the submit role"), r);
  assert.deepEqual(await call(by.observe, "query_status", { workflow_id: "refused-wf" }), refused("not_found", "no workflow 'refused-wf'"));
  assert.deepEqual(await call(by.admin, "query_status", { workflow_id: "refused-wf" }), refused("not_found", "no workflow 'refused-wf'"));
  assert.deepEqual(await call(by.submit, "cancel_workflow", { workflow_id: "refused-wf" }), refused("not_found", "no workflow 'refused-wf'"));
  assert.deepEqual(await call(by.observe, "cancel_workflow", { workflow_id: "refused-wf" }), refused("unauthorized", "cancel_workflow needs a token with the submit role"));
  assert.deepEqual(await call(by.provider, "query_status", { workflow_id: "refused-wf" }), refused("unauthorized", "query_status needs a token with the submit or observe role"));

  // Admin events need admin; list_components needs observe.
  for (const r of ["submit", "observe", "provider", "component"])
    assert.deepEqual(await call(by[r], "list_plugins"), refused("unauthorized", "list_plugins needs a token with the admin role"), r);
  assert.equal((await call(by.admin, "list_plugins")).ok, true);
  for (const r of ["submit", "provider", "component"])
    assert.deepEqual(await call(by[r], "list_components"), refused("unauthorized", "list_components needs a token with the observe role"), r);

  // An unknown token, or none, cannot connect at all.
  for (const [auth, reason] of [["nope", "unknown token"], [undefined, "no token in the auth payload"]]) {
    const c = hub.client(auth);
    await assert.rejects(connected(c), (e) => {
      assert.equal(e.message, "unauthorized");
      assert.deepEqual(e.data, { code: "unauthorized", reason });
      return true;
    });
    c.close();
  }

  // The example providers say so and exit non-zero: a bad token, and a token without the role.
  for (const kind of ["js", "py"]) {
    const bad = startProvider(kind, ["--token", "nope"]);
    assert.equal((await bad.exited).code, 1, kind);
    assert.match(bad.err, /refused the connection: unauthorized \(unknown token\)/, kind);
    const weak = startProvider(kind, ["--token", token("submit")]);
    assert.equal((await weak.exited).code, 1, kind);
    assert.match(weak.err, /refused the registration: unauthorized: register_component of a provider needs a token with the provider role/, kind);
  }
  for (const r of ["submit", "provider", "component"]) by[r].close();
  await pollUntil(async () => (await componentIds()).length === 0, "the registered ones gone with their connections");
});

test("register_component refusals name what is wrong", async () => {
  const a = await hub.connect(token("provider"));
  const b = await hub.connect(token("provider"));
  try {
    const cases = [
      [{ component_type: "provider", component_id: "x" }, "register_component: a provider must register at least one protocol"],
      [provider({ protocols: [] }), "register_component: a provider must register at least one protocol"],
      [provider({ protocols: [{ id: "echo" }] }), "register_component: protocol id 'echo' is not of the form name/vN, e.g. echo/v1"],
      [provider({ max_concurrency: 0 }), "register_component: max_concurrency must be an integer from 1 to 100000"],
    ];
    for (const [payload, message] of cases)
      assert.deepEqual(await call(a, "register_component", payload), refused("invalid_argument", message), JSON.stringify(payload));
    assert.deepEqual(await componentIds(), []);

    // The component gets component_registered (the reply's fields), then heartbeats {_timestamp}.
    const registered = next(a, "component_registered");
    const beat = next(a, "heartbeat");
    assert.equal((await call(a, "register_component", provider({ component_id: "dup" }))).ok, true);
    assert.deepEqual(await registered, { component_id: "dup", component_type: "provider", heartbeat_interval_ms: 200 });
    const { _timestamp, ...rest } = await beat;
    assert.match(_timestamp, ISO);
    assert.deepEqual(rest, {});
    assert.deepEqual(
      await call(b, "register_component", provider({ component_id: "dup" })),
      refused("invalid_argument", "register_component: component_id 'dup' is held by another connection"),
    );
    assert.deepEqual(
      await call(a, "register_component", provider({ component_id: "other" })),
      refused("invalid_argument", "register_component: this connection is registered already as 'dup'"),
    );
    assert.deepEqual(await componentIds(), ["dup"]);
    // The id is free again once its connection is gone.
    const gone = next(observer, "component_disconnected", (p) => p.component_id === "dup");
    a.close();
    await gone;
    assert.equal((await call(b, "register_component", provider({ component_id: "dup" }))).ok, true);
  } finally {
    a.close();
    b.close();
  }
  await pollUntil(async () => (await componentIds()).length === 0, "no components left");
});

test("list_components shows a remote provider, then its heartbeats' metrics", async () => {
  const p = await startProvider("js", ["--component-id", "listed", "--max-concurrency", "3"]).registered;
  const t0 = Date.now();
  const entry = async () => (await call(observer, "list_components")).components.find((c) => c.component_id === "listed");
  const first = await entry();
  assert.match(first.connected_at, ISO);
  assert.ok(Math.abs(Date.parse(first.connected_at) - t0) < 5000, first.connected_at);
  const { connected_at, last_heartbeat, metrics, ...rest } = first;
  assert.deepEqual(rest, {
    component_id: "listed",
    component_type: "provider",
    local: false,
    version: "1.0.0",
    capabilities: ["cancel"],
    protocols: ["echo/v1"],
    max_concurrency: 3,
    in_flight: 0,
  });
  // heartbeat_interval is 200 ms: the provider's answer shows soon.
  const beat = await pollUntil(async () => {
    const e = await entry();
    return e.last_heartbeat && e;
  }, "a heartbeat_response", 3000);
  assert.match(beat.last_heartbeat, ISO);
  assert.ok(beat.last_heartbeat >= beat.connected_at);
  assert.deepEqual(beat.metrics, { in_flight: 0, handled_total: 0 });

  // A call in flight shows on both sides: the hub's count and the provider's own metrics.
  const submitter = await hub.connect(token("submit"));
  try {
    const done = next(submitter, "workflow_completed", (w) => w.workflow_id === "listed-wf");
    const reply = await call(submitter, "submit_workflow", {
      workflow: { id: "listed-wf", tasks: [{ id: "slow", protocol: "echo/v1", method: "delay", params: { ms: 1500 } }] },
    });
    assert.equal(reply.ok, true);
    const busy = await pollUntil(async () => {
      const e = await entry();
      return e.in_flight === 1 && e.metrics.in_flight === 1 && e;
    }, "in_flight 1 in the list and in the metrics", 3000);
    assert.deepEqual(busy.metrics, { in_flight: 1, handled_total: 0 });
    assert.deepEqual((await done).results, { slow: { slept_ms: 1500 } });
    const idle = await pollUntil(async () => {
      const e = await entry();
      return e.metrics.handled_total === 1 && e;
    }, "handled_total 1", 3000);
    assert.equal(idle.in_flight, 0);
    assert.deepEqual(idle.metrics, { in_flight: 0, handled_total: 1 });
  } finally {
    submitter.close();
  }
  assert.deepEqual(await p.stop(), { code: 0, signal: null });
});

test("an observer sees component_connected, then component_disconnected, with the documented fields", async () => {
  const connectedEvent = next(observer, "component_connected", (c) => c.component_id === "observed-py");
  const p = await startProvider("py", ["--component-id", "observed-py", "--max-concurrency", "2"]).registered;
  const c = await connectedEvent;
  assert.match(c._timestamp, ISO);
  assert.deepEqual(
    { ...c, _timestamp: "t" },
    {
      component_id: "observed-py",
      component_type: "provider",
      version: "1.0.0",
      protocols: ["echo/v1"],
      max_concurrency: 2,
      _source_component: "observed-py",
      _timestamp: "t",
    },
  );
  const disconnected = next(observer, "component_disconnected", (d) => d.component_id === "observed-py");
  assert.deepEqual(await p.stop(), { code: 0, signal: null });
  const d = await disconnected;
  assert.match(d._timestamp, ISO);
  assert.deepEqual(
    { ...d, _timestamp: "t" },
    { component_id: "observed-py", component_type: "provider", requeued: 0, _source_component: "hub", _timestamp: "t" },
  );
  assert.deepEqual(await componentIds(), []);
});

test("an example provider exits 1 and says why when no hub listens at its --url", async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const why = { js: "websocket error", py: "Connection error" }; // each client's own words
  for (const kind of ["js", "py"]) {
    const p = startProvider(kind, [], url);
    assert.deepEqual(await p.exited, { code: 1, signal: null }, kind);
    assert.equal(p.out, "", kind);
    assert.equal(p.err, `echo_provider: cannot connect to ${url}: ${why[kind]}\n`, kind);
  }
});

test("an acked event nobody serves is answered not_found, never dropped", async () => {
  for (const socket of [admin, observer]) {
    assert.deepEqual(await call(socket, "frobnicate", { x: 1 }), refused("not_found", "no component serves 'frobnicate'"));
    assert.deepEqual(await call(socket, "frobnicate"), refused("not_found", "no component serves 'frobnicate'"));
  }
  // And the connection goes on serving.
  assert.equal((await call(observer, "list_components")).ok, true);
});
