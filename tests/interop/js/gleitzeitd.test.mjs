// gleitzeitd as a user meets it: real socket.io-client over each transport, the token
// check, binary echo, /health and /metrics, and a client that survives a restart.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startGleitzeitd, sleep } from "./harness.mjs";

const TOKENS = `
[[auth.tokens]]
token = "secret"
roles = ["submit"]
`;

const servers = [];
const clients = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
});

async function hub(toml = "") {
  const s = await startGleitzeitd(toml);
  servers.push(s);
  return s;
}

function connect(url, opts = {}) {
  const c = io(url, { reconnection: false, forceNew: true, ...opts });
  clients.push(c);
  return c;
}

function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

test("/health answers with exactly status, version, uptime_s, connections, slots and last_reload", async () => {
  const s = await hub();
  const res = await fetch(`${s.url}/health`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(),
    ["connections", "last_reload", "slots", "status", "uptime_s", "version"]);
  assert.equal(body.status, "ok");
  assert.match(body.version, /^\d+\.\d+\.\d+$/);
  assert.equal(body.connections, 0);
  assert.deepEqual(body.slots, []); // this config names no plugins
  assert.equal(body.last_reload.trigger, "start");
  assert.equal(body.last_reload.ok, true);
  assert.deepEqual(body.last_reload.restart_needed, []);

  const c = connect(s.url, { transports: ["websocket"] });
  await once(c, "connect");
  const after1 = await (await fetch(`${s.url}/health`)).json();
  assert.equal(after1.connections, 1);
});

test("/metrics is Prometheus text with packet counts; other paths are 404", async () => {
  const s = await hub();
  const c = connect(s.url, { transports: ["websocket"] });
  await once(c, "connect");
  assert.equal(await c.emitWithAck("echo", 1), 1);
  const res = await fetch(`${s.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^gleitzeit_connections 1$/m);
  const inMessages = Number(text.match(/^gleitzeit_packets_total\{direction="in",type="message"\} (\d+)$/m)[1]);
  assert.ok(inMessages >= 2, `CONNECT and the echo are messages in, got ${inMessages}`);
  assert.equal((await fetch(`${s.url}/nope`)).status, 404);
  assert.equal((await fetch(`${s.url}/health`, { method: "POST" })).status, 405);
});

for (const [name, opts] of [
  ["websocket only", { transports: ["websocket"] }],
  ["polling only", { transports: ["polling"], upgrade: false }],
  ["polling with upgrade", { transports: ["polling", "websocket"] }],
]) {
  test(`echo round trip over ${name}`, async () => {
    const s = await hub();
    const c = connect(s.url, opts);
    await once(c, "connect");
    if (name === "polling with upgrade") {
      if (c.io.engine.transport.name !== "websocket") await once(c.io.engine, "upgrade");
      assert.equal(c.io.engine.transport.name, "websocket");
    } else {
      assert.equal(c.io.engine.transport.name, opts.transports[0]);
    }
    const payload = { text: "grüße 🚀", list: [1, 2.5, null, true], nested: { a: [] } };
    assert.deepEqual(await c.timeout(3000).emitWithAck("echo", payload), payload);
  });
}

test("binary arguments travel both ways, nested and in order", async () => {
  const s = await hub();
  for (const transports of [["websocket"], ["polling"]]) {
    const c = connect(s.url, { transports, upgrade: false });
    await once(c, "connect");
    const a = Buffer.from([0, 1, 2, 255]);
    const b = Buffer.alloc(70000, 7);
    const reply = await new Promise((resolve) => c.emit("echo", { a, inner: [b] }, "tail", (...r) => resolve(r)));
    assert.equal(reply.length, 2);
    assert.deepEqual(Buffer.from(reply[0].a), a);
    assert.deepEqual(Buffer.from(reply[0].inner[0]), b);
    assert.equal(reply[1], "tail");
  }
});

test("tokens: the right one connects, a wrong or missing one is refused with the reason", async () => {
  const s = await hub(TOKENS);
  const ok = connect(s.url, { transports: ["websocket"], auth: { token: "secret" } });
  await once(ok, "connect");
  assert.equal(await ok.emitWithAck("echo", "in"), "in");

  const wrong = connect(s.url, { transports: ["websocket"], auth: { token: "nope" } });
  const [err] = await once(wrong, "connect_error");
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { code: "unauthorized", reason: "unknown token" });

  const none = connect(s.url, { transports: ["websocket"] });
  const [err2] = await once(none, "connect_error");
  assert.equal(err2.message, "unauthorized");
  assert.equal(err2.data.reason, "no token in the auth payload");
});

test("a client reconnects after gleitzeitd restarts on the same port", async () => {
  const first = await hub();
  // WebSocket only: a server that dies in the middle of a polling-to-WebSocket upgrade leaves
  // engine.io-client with polling paused and nothing in flight, and it notices only at the
  // ping timeout. That race is the client's; this test is about reconnecting.
  const c = connect(first.url, {
    transports: ["websocket"], reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 400,
  });
  await once(c, "connect");
  const firstId = c.id;
  const disconnected = once(c, "disconnect");
  await first.stop();
  const [reason] = await disconnected;
  assert.ok(["transport close", "transport error"].includes(reason), reason);

  const started = Date.now();
  const second = await startGleitzeitd("", first.port);
  servers.push(second);
  await once(c, "connect", 10000);
  const took = Date.now() - started;
  assert.ok(took < 5000, `reconnected after ${took} ms`);
  assert.notEqual(c.id, firstId);
  assert.equal(await c.timeout(3000).emitWithAck("echo", "again"), "again");
});

test("an invalid config is refused with file:line:column and nothing listens", async () => {
  await assert.rejects(startGleitzeitd("[server]\nprot = 1\n"), /gleitzeit\.toml:2:1: unknown key 'prot' in \[server\] \(did you mean 'port'\?\)/);
  await sleep(10);
});

// With tokens, a listed origin may use the hub from a browser (docs/security.md); the old
// name of the list, cors_origins, still reads.
test("CORS follows [server].allowed_origins once tokens are configured", async () => {
  const s = await hub(`[server]\ncors_origins = ["http://good.example"]\n${TOKENS}`);
  const url = `${s.url}/socket.io/?EIO=4&transport=polling`;
  const good = await fetch(url, { headers: { Origin: "http://good.example" } });
  assert.equal(good.status, 200);
  assert.equal(good.headers.get("access-control-allow-origin"), "http://good.example");
  assert.equal(good.headers.get("access-control-allow-credentials"), "true");
  assert.equal(good.headers.get("vary"), "Origin");

  const evil = await fetch(url, { headers: { Origin: "http://evil.example" } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
  const preflight = await fetch(url, { method: "OPTIONS", headers: { Origin: "http://evil.example" } });
  assert.equal(preflight.status, 403);
  const preflightGood = await fetch(url, { method: "OPTIONS", headers: { Origin: "http://good.example" } });
  assert.equal(preflightGood.status, 204);
  assert.equal(preflightGood.headers.get("access-control-allow-origin"), "http://good.example");
});

test("sessions closed for bad input release everything they held", async () => {
  const s = await hub(`[server]\nmax_payload = 2048\n`);
  const base = `${s.url}/socket.io/?EIO=4&transport=polling`;
  const open = async () => JSON.parse((await (await fetch(base)).text()).slice(1)).sid;
  const metric = async (name) => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    return Number(text.match(new RegExp(`^${name} (\\d+)$`, "m"))[1]);
  };

  const bad = [];
  for (let i = 0; i < 20; i++) {
    bad.push(open().then((sid) => fetch(`${base}&sid=${sid}`, { method: "POST", body: "garbage" })));
    bad.push(open().then((sid) => fetch(`${base}&sid=${sid}`, { method: "POST", body: "4" + "x".repeat(4096) })));
    bad.push(
      open().then((sid) => Promise.all([fetch(`${base}&sid=${sid}`), fetch(`${base}&sid=${sid}`)])),
    );
  }
  await Promise.allSettled(bad);
  // A healthy session beside them still works.
  const c = connect(s.url, { transports: ["websocket"] });
  await once(c, "connect");
  assert.equal(await c.emitWithAck("echo", "still here"), "still here");
  c.close();

  let sessions = -1;
  for (let i = 0; i < 50 && sessions !== 0; i++) {
    sessions = await metric("gleitzeit_connections");
    if (sessions !== 0) await sleep(50);
  }
  assert.equal(sessions, 0, "every session is gone");
  const text = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(text, /^gleitzeit_sessions_closed_total\{reason="parse error"\} 20$/m);
  assert.match(text, /^gleitzeit_sessions_closed_total\{reason="payload too large"\} 20$/m);
  assert.match(text, /^gleitzeit_sessions_closed_total\{reason="concurrent poll"\} 20$/m);
});
