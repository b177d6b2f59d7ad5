// Clients that send and do not read (docs/operations.md, max_buffered). A WebSocket client
// that sends echo requests and never reads the answers, and a long-polling client that POSTs
// and never GETs, must not grow the hub's memory: the WebSocket is no longer read while
// answers wait for it, and what waits is bounded by max_buffered, past which the session is
// closed as a "slow consumer". A well-behaved client beside them is not disturbed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { startGleitzeitd, sleep } from "./harness.mjs";

// ASan's allocator (make test-sanitize) keeps freed memory in quarantine and pads every
// allocation: the bound is for the release build, and a sanitizer build only reports the RSS.
const RSS_BOUND_MB = process.env.GLEITZEIT_SANITIZED ? Infinity : 64;
const rssMb = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;

/** A masked client WebSocket text frame. */
function frame(text) {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n])
    : n < 65536 ? Buffer.from([0x81, 0xfe, n >> 8, n & 255])
      : Buffer.concat([Buffer.from([0x81, 0xff, 0, 0, 0, 0]), Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255])]);
  for (let i = 0; i < n; i++) payload[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, payload]);
}

/** A WebSocket client that connects to namespace "/", then sends echo requests of 32 KB
 * (up to `bytes` in all, as fast as its socket takes them, for up to `ms`) and never reads. */
function nonReader(port, bytes, ms) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    const big = "x".repeat(32 * 1024);
    let sent = 0;
    let stop = false;
    setTimeout(() => (stop = true), ms);
    s.on("connect", () => {
      s.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
        `Sec-WebSocket-Version: 13\r\n\r\n`);
      s.write(frame("40"));
      // It reads the 101 and the open packet, then never again.
      s.once("data", () => {
        s.pause();
        let id = 0;
        const pump = () => {
          while (!stop && sent < bytes) {
            sent += big.length;
            if (!s.write(frame(`42${id++}["echo","${big}"]`))) return s.once("drain", pump);
          }
          resolve(s);
        };
        pump();
        setTimeout(() => resolve(s), ms + 100);
      });
    });
  });
}

/** A polling client that opens a session and POSTs echo requests, never GETting. */
async function nonGetter(url) {
  const open = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const at = `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  await fetch(at, { method: "POST", body: "40" });
  const body = Array.from({ length: 20 }, (_, i) => `42${i}["echo","${"y".repeat(16 * 1024)}"]`).join("\x1e");
  for (let i = 0; i < 200; i++) {
    const r = await fetch(at, { method: "POST", body }).catch(() => null);
    if (!r || r.status !== 200) return r?.status ?? "reset";
    await r.text();
  }
  return 200;
}

test("clients that send and never read leave the hub's memory bounded, and others untouched", async () => {
  // max_buffered at its floor and max_payload small, so that each slow client may hold
  // little: what is measured is that nothing grows past them.
  const hub = await startGleitzeitd("[server]\nmax_payload = 1000000\nmax_buffered = 262144\n");
  const watcher = io(hub.url, { transports: ["websocket"], reconnection: false });
  const disconnects = [];
  watcher.on("disconnect", (r) => disconnects.push(r));
  await new Promise((r) => watcher.on("connect", r));
  const pid = hub.proc.pid;
  const before = rssMb(pid);
  try {
    // 200 WebSocket clients, each pushing up to 4 MB of echo requests for 4 s.
    const sockets = await Promise.all(Array.from({ length: 200 }, () => nonReader(hub.port, 4 << 20, 4000)));
    const wsPeak = rssMb(pid);
    // 100 polling clients that POST and never GET: each is closed once its answers pass
    // max_buffered.
    const polls = await Promise.all(Array.from({ length: 100 }, () => nonGetter(hub.url)));
    const peak = Math.max(wsPeak, rssMb(pid));
    // Meanwhile the watcher's round trips go on.
    assert.equal(await watcher.timeout(5000).emitWithAck("echo", "still here"), "still here");
    assert.deepEqual(disconnects, []);
    assert.ok(peak - before < RSS_BOUND_MB, `RSS grew from ${before.toFixed(1)} to ${peak.toFixed(1)} MB`);
    assert.ok(polls.every((s) => s !== 200), `every non-getting poller was cut off: ${JSON.stringify(polls.slice(0, 5))}`);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    const slow = Number(metrics.match(/^gleitzeit_sessions_closed_total\{reason="slow consumer"\} (\d+)$/m)?.[1] ?? 0);
    assert.ok(slow >= 100, `slow consumers closed: ${slow}`);
    for (const s of sockets) s.destroy();
    await sleep(1000);
    assert.equal(await watcher.timeout(5000).emitWithAck("echo", "after"), "after");
    assert.ok(rssMb(pid) - before < RSS_BOUND_MB, `RSS after they went: ${rssMb(pid).toFixed(1)} MB (from ${before.toFixed(1)})`);
  } finally {
    watcher.close();
    await hub.stop();
  }
});

test("a request that stalls mid-header is closed after [server] request_timeout; a complete one is answered", async () => {
  const hub = await startGleitzeitd("[server]\nrequest_timeout = 500\n");
  try {
    const stalled = Array.from({ length: 50 }, () => net.connect(hub.port, "127.0.0.1"));
    const t0 = Date.now();
    const closedAt = await Promise.all(stalled.map((s) => new Promise((resolve) => {
      s.on("error", () => {});
      s.on("connect", () => s.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\nX-Slow: `));
      s.on("close", () => resolve(Date.now() - t0));
    })));
    assert.ok(closedAt.every((ms) => ms >= 400 && ms < 3000), `closed after ${Math.min(...closedAt)}..${Math.max(...closedAt)} ms`);
    const health = await fetch(`${hub.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
  } finally {
    await hub.stop();
  }
});
