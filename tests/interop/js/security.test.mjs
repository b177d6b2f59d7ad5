// gleitzeitd against the attacks of docs/security.md: a web page in the user's browser (a
// foreign Origin), DNS rebinding (a foreign Host), hashed tokens and their revocation, and
// long-polling bodies around max_payload. Real processes, real clients, raw HTTP where the
// headers are the point.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import WebSocket from "ws";
import { startHub, removeTempDirs, writeAtomic, connected, connectClient, call, sleep } from "./plugin_harness.mjs";

const hubs = [];
after(async () => {
  for (const h of hubs) await h.stop();
  removeTempDirs();
});

async function hub(toml = "") {
  const h = await startHub(toml);
  hubs.push(h);
  return h;
}

const EVIL = "http://evil.example";
const TOKENS = `
[[auth.tokens]]
token = "s3cret"
roles = ["submit", "observe"]
`;

/** One HTTP request with exactly these headers; the answer's status, headers and body. */
function request(port, { method = "GET", path = "/socket.io/?EIO=4&transport=polling", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A WebSocket handshake with these headers: "open", or the HTTP status it was refused with. */
function wsHandshake(port, headers = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { headers });
    ws.on("open", () => (ws.terminate(), resolve("open")));
    ws.on("unexpected-response", (req, res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text }));
    });
    ws.on("error", (e) => reject(e));
  });
}

async function metric(h, series) {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const m = text.match(new RegExp(`^${series.replace(/[{}"=]/g, "\\$&")} (\\d+)$`, "m"));
  return m ? Number(m[1]) : NaN;
}

function refusedFor(r, header) {
  assert.equal(r.status, 403, JSON.stringify(r));
  const body = JSON.parse(r.body);
  assert.equal(body.code, 4);
  assert.match(body.message, new RegExp(`^Forbidden: ${header} '`));
}

test("without tokens, a foreign Origin is refused on both transports, whatever allowed_origins says", async () => {
  const h = await hub(`[server]\nallowed_origins = ["*", "${EVIL}"]\n`);
  const before = await metric(h, 'gleitzeit_http_refused_total{reason="origin"}');
  refusedFor(await request(h.port, { headers: { Origin: EVIL } }), "Origin");
  refusedFor(await wsHandshake(h.port, { Origin: EVIL }), "Origin");
  // A preflight and a plain path are refused too, and no session was opened by any of them.
  refusedFor(await request(h.port, { method: "OPTIONS", headers: { Origin: EVIL } }), "Origin");
  refusedFor(await request(h.port, { path: "/health", headers: { Origin: EVIL } }), "Origin");
  assert.equal(await metric(h, 'gleitzeit_http_refused_total{reason="origin"}'), before + 4);
  assert.equal(await metric(h, "gleitzeit_sessions_total"), 0);
  await h.waitForLog(`refused a request (403): Origin '${EVIL}' is neither this hub's nor in [server] allowed_origins`);
});

test("with tokens, only the listed origins pass, and the answer names them with Vary: Origin", async () => {
  const h = await hub(`[server]\nallowed_origins = ["https://app.example"]\n${TOKENS}`);
  refusedFor(await request(h.port, { headers: { Origin: EVIL } }), "Origin");
  refusedFor(await wsHandshake(h.port, { Origin: EVIL }), "Origin");
  const ok = await request(h.port, { headers: { Origin: "https://app.example" } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers["access-control-allow-origin"], "https://app.example");
  assert.equal(ok.headers.vary, "Origin");
  assert.equal(await wsHandshake(h.port, { Origin: "https://app.example" }), "open");
});

test("the hub's own origin and clients that send no Origin pass with the defaults", async () => {
  const h = await hub();
  const own = `http://127.0.0.1:${h.port}`;
  assert.equal((await request(h.port, { headers: { Origin: own } })).status, 200);
  assert.equal(await wsHandshake(h.port, { Origin: own }), "open");
  assert.equal((await request(h.port)).status, 200);
  // The stock client, which sends no Origin outside a browser, over both transports.
  for (const transports of [["polling"], ["websocket"]]) {
    const c = connectClient(h.url, undefined, { transports });
    await connected(c);
    assert.deepEqual(await call(c, "echo", "hi", 5000), "hi");
    c.close();
  }
});

test("a foreign Host is refused (DNS rebinding), a listed one passes", async () => {
  const h = await hub();
  refusedFor(await request(h.port, { headers: { Host: `evil.example:${h.port}` } }), "Host");
  refusedFor(await wsHandshake(h.port, { Host: `evil.example:${h.port}` }), "Host");
  refusedFor(await request(h.port, { path: "/metrics", headers: { Host: "rebound.example" } }), "Host");
  assert.equal(await metric(h, 'gleitzeit_http_refused_total{reason="host"}'), 3);
  assert.equal((await request(h.port, { headers: { Host: `localhost:${h.port}` } })).status, 200);

  const listed = await hub(`[server]\nallowed_hosts = ["hub.example"]\n`);
  assert.equal((await request(listed.port, { headers: { Host: `hub.example:${listed.port}` } })).status, 200);
  refusedFor(await request(listed.port, { headers: { Host: `127.0.0.1:${listed.port}` } }), "Host");
});

test("gleitzeitd --hash-token prints the line that lets that token in, and only that token", async () => {
  const out = spawnSync(process.env.GLEITZEITD, ["--hash-token"], { input: "s3cret\n", encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^token_sha256 = "[0-9a-f]{64}"\n$/);
  const h = await hub(`[[auth.tokens]]\n${out.stdout}roles = ["submit"]\n`);
  const c = await h.connect("s3cret");
  assert.equal(await call(c, "echo", "x", 5000), "x");
  await assert.rejects(h.connect("s3cret!"), /unauthorized/);
  await assert.rejects(h.connect(out.stdout.match(/"(.*)"/)[1]), /unauthorized/); // the digest is no token
  const empty = spawnSync(process.env.GLEITZEITD, ["--hash-token"], { input: "", encoding: "utf8" });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /empty line/);
});

/** Rewrites the hub's config and reloads it with SIGHUP, waiting for the log line. */
async function reload(h, toml) {
  writeAtomic(h.configPath, toml);
  const from = h.log.length;
  h.proc.kill("SIGHUP");
  await h.waitForLog("reload (SIGHUP) applied", from);
}

function disconnected(socket, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    socket.once("disconnect", (reason) => (clearTimeout(t), resolve(reason)));
  });
}

const TWO_TOKENS = `[[auth.tokens]]\ntoken = "keep"\nroles = ["submit"]\n[[auth.tokens]]\ntoken = "drop"\nroles = ["submit"]\n`;
const KEEP_ONLY = `[[auth.tokens]]\ntoken = "keep"\nroles = ["submit"]\n`;

test("a reload that revokes a token disconnects its connections at once, and only those", async () => {
  const h = await hub(`[plugins]\nwatch = false\n${TWO_TOKENS}`);
  const kept = await h.connect("keep");
  const dropped = await h.connect("drop", { transports: ["polling"] });
  const gone = disconnected(dropped, 5000);
  await reload(h, `[plugins]\nwatch = false\n${KEEP_ONLY}`);
  assert.equal(await gone, "io server disconnect");
  assert.equal(kept.connected, true);
  assert.equal(await call(kept, "echo", "still here", 5000), "still here");
  await assert.rejects(h.connect("drop"), /unauthorized/);
});

test("with [auth] revoke_grace, a revoked token's connection stays until the grace has passed", async () => {
  const grace = `[plugins]\nwatch = false\n[auth]\nrevoke_grace = 1500\n`;
  const h = await hub(grace + TWO_TOKENS);
  const dropped = await h.connect("drop");
  const start = Date.now();
  const gone = disconnected(dropped, 10000);
  await reload(h, grace + KEEP_ONLY);
  await sleep(500);
  assert.equal(dropped.connected, true, "cut before the grace period ended");
  assert.equal(await call(dropped, "echo", "in grace", 5000), "in grace");
  assert.equal(await gone, "io server disconnect");
  assert.ok(Date.now() - start >= 1400, `cut after ${Date.now() - start} ms`);
});

// --- long-polling bodies around max_payload ------------------------------------------------

const MAX = 2 * 1024 * 1024; // above Beast's default body limit of 1 MiB, which must not apply

async function openSession(h) {
  const r = await request(h.port);
  assert.equal(r.status, 200);
  return JSON.parse(r.body.slice(1)).sid;
}

/** A valid payload of exactly `size` bytes: a CONNECT and an event nobody acks. */
function payloadOf(size) {
  const head = '40\x1e42["echo","';
  const tail = '"]';
  return head + "x".repeat(size - head.length - tail.length) + tail;
}

async function post(h, sid, body) {
  return request(h.port, { method: "POST", path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`, body });
}

async function sessionOpen(h, sid) {
  const r = await request(h.port, { path: `/socket.io/?EIO=4&transport=polling&sid=${sid}` });
  return r.status === 200;
}

test("polling bodies up to max_payload are taken, larger ones get 413 and close the session", async () => {
  const h = await hub(`[server]\nmax_payload = ${MAX}\n`);
  for (const size of [MAX - 1, MAX, 1024 * 1024 + 1]) {
    const sid = await openSession(h);
    const r = await post(h, sid, payloadOf(size));
    assert.equal(r.status, 200, `${size} bytes: ${r.body}`);
    assert.equal(r.body, "ok");
    assert.equal(await sessionOpen(h, sid), true, `${size} bytes closed the session`);
  }
  for (const size of [MAX + 1, 10 * 1024 * 1024]) {
    const sid = await openSession(h);
    const r = await post(h, sid, payloadOf(size));
    assert.equal(r.status, 413, `${size} bytes`);
    assert.deepEqual(JSON.parse(r.body), { code: 3, message: "Payload too large" });
    assert.equal(await sessionOpen(h, sid), false, `${size} bytes left the session open`);
  }
});

test("413 comes from the Content-Length, before the body is sent", async () => {
  const h = await hub(`[server]\nmax_payload = ${MAX}\n`);
  const sid = await openSession(h);
  // Announce 10 MiB and send none of it: the answer must come anyway.
  const answer = await new Promise((resolve, reject) => {
    const s = net.connect(h.port, "127.0.0.1", () => {
      s.write(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: text/plain\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`);
    });
    let text = "";
    const t = setTimeout(() => (s.destroy(), reject(new Error(`no answer: ${text}`))), 5000);
    s.on("data", (d) => {
      text += d;
      if (text.includes("\r\n\r\n")) (clearTimeout(t), s.destroy(), resolve(text));
    });
    s.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.equal(await sessionOpen(h, sid), false);
});
