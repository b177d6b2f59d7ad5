// 1,000 hostile clients of each kind at once (issue 18), each kind against a hub of its own so
// that its RSS figure is its own: the hub's RSS may grow by less than 64 MB at the peak and
// after the clients leave, and the bystanders see no disconnect. Per-client volumes are chosen
// so that the whole file takes well under a minute on two cores, and so that every kind moves
// more than 64 MB in all: a hub that held what its clients sent would fail the bound.
// Also kind 2, one client with hundreds of MB of requests.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { suite, TOKENS, MAX_PAYLOAD, REQUEST_TIMEOUT_MS, metric, metricReaches, closedAs, until, client, connected, sleep } from "./fixture.mjs";
import { fdLimit, nonReaders, attachmentStreamers, nonGetters, exchange, oversizePosters, slowloris } from "./crowd.mjs";
import { textFrame, wsSession, pollingSession, http, SESSION_UNKNOWN, TOO_LARGE } from "./wire.mjs";

const N = 1000;
const TOKEN = TOKENS.hostile.token;
const BYSTANDERS = 2;
// Two sockets per hostile client (ours and the hub's), in this process and the hub it starts.
assert.ok(fdLimit() >= 2 * N + 500, `ulimit -n is ${fdLimit()}: 1,000 clients need at least ${2 * N + 500} (tests/hostile/CMakeLists.txt raises it)`);

/** Waits until the hub has no Engine.IO sessions left but the bystanders'. */
async function onlyBystandersLeft(ctx, ms = 15000) {
  await until(async () => (await metric(ctx.hub, "gleitzeit_connections")) === BYSTANDERS, "the hostile sessions to be gone", ms);
}
/** `promise`, or false after `ms` (the timer does not outlive it). */
function orFalse(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms, false)))]).finally(() => clearTimeout(timer));
}
const closedSeries = (reason) => `gleitzeit_sessions_closed_total{reason="${reason}"}`;

describe("kind 1: 1,000 WebSocket clients that send echo requests and never read", () => {
  const hostile = suite();
  hostile("the hub's memory stays within the bound, and their sessions end when they go", async (ctx) => {
    // 512 KB each (64 requests of 8 KB), 512 MB in all.
    const sockets = await nonReaders(ctx.hub.port, N, TOKEN, { count: 64, size: 8000 });
    assert.equal(sockets.filter((s) => s.refused).length, 0, "every client was let in");
    await until(async () => (await metric(ctx.hub, "gleitzeit_connections")) === N + BYSTANDERS, "the 1,000 sessions");
    // Let the hub take in what it will: until its byte counter stands still.
    let last = -1;
    for (let now; (now = await metric(ctx.hub, 'gleitzeit_bytes_total{direction="in"}')) !== last; last = now) await sleep(300);
    // They go: each WebSocket session ends with its TCP connection.
    for (const s of sockets) s.destroy();
    await onlyBystandersLeft(ctx);
  }, { timeout: 60000, settle: 500 });
});

describe("kind 2: one client with hundreds of MB of requests", () => {
  const hostile = suite();
  hostile("a WebSocket client pushing 300 MB of echo requests and reading nothing makes the hub hold at most max_buffered", async (ctx) => {
    const inBefore = await metric(ctx.hub, 'gleitzeit_bytes_total{direction="in"}');
    const ws = await wsSession(ctx.hub.port, TOKEN);
    ws.socket.pause();
    const frame = textFrame(`420["echo","${"a".repeat(64 * 1024)}"]`);
    let sent = 0;
    const deadline = Date.now() + 3000;
    while (sent < 300e6 && !ws.socket.destroyed && Date.now() < deadline) {
      sent += frame.length;
      if (!ws.socket.write(frame)) await Promise.race([new Promise((r) => ws.socket.once("drain", r)), ws.closed, sleep(100)]);
    }
    // docs/operations.md: the hub stops reading it as soon as answers wait, and would close it
    // (slow consumer) past max_buffered (2 x max_payload + 8 MB): what it takes in is bounded by
    // that, and by what the kernel took of the answers (a send buffer of at most 4 MB, tcp_wmem,
    // and the client's receive buffer).
    const taken = (await metric(ctx.hub, 'gleitzeit_bytes_total{direction="in"}')) - inBefore;
    assert.ok(taken < 2 * MAX_PAYLOAD + 8e6 + 8e6, `the hub took in ${(taken / 1e6).toFixed(1)} MB of the ${(sent / 1e6).toFixed(0)} MB sent`);
    ws.destroy();
    await onlyBystandersLeft(ctx);
  }, { timeout: 30000 });
  hostile("a client sending 2,048 echo requests of 64 KB (128 MB) at once and reading every answer gets them all", async (ctx) => {
    const c = await connected(client(ctx.hub, TOKEN, { transports: ["websocket"] }));
    const cut = [];
    c.on("disconnect", (r) => cut.push(r));
    try {
      const big = "b".repeat(64 * 1024);
      const answers = await Promise.all(Array.from({ length: 2048 }, (_, i) => c.timeout(60000).emitWithAck("echo", i, big).then((n) => n, () => null)));
      assert.deepEqual(cut, [], "the reading client was not disconnected");
      assert.deepEqual(answers, Array.from({ length: 2048 }, (_, i) => i));
    } finally {
      c.close();
    }
  }, { timeout: 90000 });
  hostile("a polling client POSTing 1 MB bodies and never GETting is closed once its answers pass max_buffered", async (ctx) => {
    const slowBefore = await closedAs(ctx.hub, "slow consumer");
    const s = await pollingSession(ctx.hub.url);
    assert.equal((await http(s.at, { method: "POST", body: `40${JSON.stringify({ token: TOKEN })}` })).status, 200);
    const body = Array.from({ length: 15 }, (_, i) => `42${i}["echo","${"c".repeat(64000)}"]`).join("\x1e");
    const statuses = [];
    for (let i = 0; i < 100 && statuses.at(-1) !== 400; i++) statuses.push((await http(s.at, { method: "POST", body })).status);
    // Each POST's answers are 0.96 MB; max_buffered is 2 × max_payload + 8 MB = 10 MB. The 11th
    // POST takes them past it: it is still answered "ok", and its session is closed meanwhile.
    assert.deepEqual(statuses, [...Array(11).fill(200), 400]);
    assert.deepEqual(await http(s.at).then((r) => [r.status, r.text]), [400, SESSION_UNKNOWN]);
    assert.equal(await closedAs(ctx.hub, "slow consumer"), slowBefore + 1);
  });
});

describe("kind 3: 1,000 clients that never CONNECT and stream binary attachments", () => {
  const hostile = suite();
  hostile("each is closed at the packet announcing 10,000 attachments, and its 900 KB frame is not held", async (ctx) => {
    const before = await closedAs(ctx.hub, "parse error");
    const clients = await attachmentStreamers(ctx.hub.port, N, { announce: 10000, frames: 1, size: 900000 });
    assert.equal(clients.filter((c) => c.refused).length, 0);
    const closed = await Promise.all(clients.map((c) => orFalse(c.closed, 10000)));
    assert.equal(closed.filter(Boolean).length, N, "the hub closed every one");
    assert.equal(await metricReaches(ctx.hub, closedSeries("parse error"), before + N), before + N);
    await onlyBystandersLeft(ctx);
  }, { timeout: 60000, settle: 500 });
});

describe("kind 4: 1,000 long-polling sessions that POST and never GET", () => {
  const hostile = suite();
  hostile("what waits for them stays within the bound, and their sessions end when they leave", async (ctx) => {
    // 128 KB of echo requests each (8 of 16 KB), whose answers wait for a GET that never comes.
    // Once the polling sessions together hold 2 x max_buffered, those that do not fetch are
    // closed as slow consumers (docs/operations.md, max_buffered); each POST is still taken.
    const pollers = await nonGetters(ctx.hub.port, N, TOKEN, { posts: 1, perPost: 8, size: 16000 });
    assert.deepEqual(pollers.filter((p) => p.statuses?.join() !== "200,200").length, 0, "every POST was taken");
    await sleep(300); // the answers are made on the sessions' strands
    // They leave as a client ends its session (a close packet): a session whose client just
    // vanishes lives until its ping times out (pingInterval + pingTimeout, 45 s).
    await Promise.all(pollers.map(async (p) => {
      await exchange(p.socket, `POST /socket.io/?EIO=4&transport=polling&sid=${p.sid} HTTP/1.1\r\nHost: 127.0.0.1:${ctx.hub.port}\r\nContent-Length: 1\r\n\r\n1`);
      p.socket.destroy();
    }));
    await onlyBystandersLeft(ctx);
  }, { timeout: 60000, settle: 500 });
});

describe("slowloris: 1,000 connections that trickle their request headers", () => {
  const hostile = suite();
  hostile("each is closed without an answer once request_timeout passes", async (ctx) => {
    const tcpBefore = await metric(ctx.hub, "gleitzeit_tcp_connections");
    const conns = await slowloris(ctx.hub.port, N, { gap: 200 });
    assert.equal(conns.filter((c) => c.refused).length, 0);
    const at = conns.map((c) => c.at);
    assert.ok(Math.min(...at) >= REQUEST_TIMEOUT_MS - 100 && Math.max(...at) < REQUEST_TIMEOUT_MS + 3000, `closed after ${Math.min(...at)} to ${Math.max(...at)} ms`);
    assert.equal(conns.reduce((sum, c) => sum + c.bytes, 0), 0, "no byte of answer");
    await until(async () => (await metric(ctx.hub, "gleitzeit_tcp_connections")) <= tcpBefore, "the TCP connections to be gone");
  }, { timeout: 60000, settle: 500 });
});

describe("oversize Content-Length: 1,000 sessions that announce max_payload + 1 bytes", () => {
  const hostile = suite();
  hostile("each gets 413 before its body is read, and its session is closed", async (ctx) => {
    const before = await closedAs(ctx.hub, "payload too large");
    const posters = await oversizePosters(ctx.hub.port, N, { length: MAX_PAYLOAD + 1, sent: 64 * 1024 });
    const answers = {};
    for (const p of posters) answers[`${p.status} ${p.body}`] = (answers[`${p.status} ${p.body}`] ?? 0) + 1;
    assert.deepEqual(answers, { [`413 ${TOO_LARGE}`]: N });
    for (const p of posters) p.socket.destroy();
    assert.equal(await metricReaches(ctx.hub, closedSeries("payload too large"), before + N), before + N);
    const gone = await Promise.all(posters.slice(0, 100).map((p) => http(`${ctx.hub.url}/socket.io/?EIO=4&transport=polling&sid=${p.sid}`).then((r) => r.text)));
    assert.deepEqual(new Set(gone), new Set([SESSION_UNKNOWN]));
    await onlyBystandersLeft(ctx);
  }, { timeout: 60000, settle: 500 });
});
