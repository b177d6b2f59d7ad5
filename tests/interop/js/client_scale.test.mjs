// Scale smoke test: 1,000 socket.io-client clients over WebSocket to gleitzeitd, 100 acked
// `echo` emits each, every ack checked. Prints the server's resident memory. It runs
// against gleitzeitd, not the fixture: the fixture's 300 ms heartbeat is meant for the
// protocol tests and would measure the load generator's scheduling, not the server.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";
import { startGleitzeitd } from "./harness.mjs";

const CLIENTS = 1000;
const EMITS = 100; // per client
const BATCH = 50; // clients opened at once, to avoid a connect storm
const IN_FLIGHT = 500; // emits awaiting their ack at any time, across all clients
const ACK_TIMEOUT = 10000;

let server;
const sockets = [];
after(async () => {
  for (const s of sockets) s.disconnect();
  await server?.stop();
});

const rss = (pid) => readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s*(.*)/)[1];

function connected(socket) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect within 10 s")), 10000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (e) => (clearTimeout(timer), reject(e)));
  });
}

/** The ack's arguments, or an Error if it did not come. */
function ask(socket, ...args) {
  return new Promise((resolve) =>
    socket.timeout(ACK_TIMEOUT).emit("echo", ...args, (err, ...reply) => resolve(err ?? reply)),
  );
}

test(`${CLIENTS} clients x ${EMITS} acked emits over WebSocket`, { timeout: 120000 }, async (t) => {
  server = await startGleitzeitd();
  const pid = server.proc.pid;
  t.diagnostic(`gleitzeitd RSS at start: ${rss(pid)}`);
  const started = Date.now();

  // Any drop (a missed pong under load included) fails the test at the end.
  const drops = [];
  for (let b = 0; b < CLIENTS; b += BATCH) {
    const batch = [];
    for (let i = b; i < Math.min(b + BATCH, CLIENTS); i++) {
      const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
      s.on("disconnect", (reason) => drops.push(`client ${i}: ${reason}`));
      sockets.push(s);
      batch.push(connected(s));
    }
    await Promise.all(batch);
  }
  assert.equal(sockets.filter((s) => s.connected).length, CLIENTS);
  const connectedAt = Date.now();
  t.diagnostic(`connected ${CLIENTS} clients in ${connectedAt - started} ms; gleitzeitd RSS: ${rss(pid)}`);

  // Workers take emits (client k % CLIENTS, sequence number k / CLIENTS) off one counter,
  // which interleaves the clients and bounds what is in flight.
  const total = CLIENTS * EMITS;
  let next = 0;
  let good = 0;
  const bad = [];
  async function worker() {
    // A dropped client would make every later emit wait out its timeout: stop at once.
    while (next < total && drops.length === 0) {
      const k = next++;
      const client = k % CLIENTS;
      const seq = Math.floor(k / CLIENTS);
      const reply = await ask(sockets[client], client, seq, `payload-${k}`);
      if (Array.isArray(reply) && reply.length === 3 && reply[0] === client && reply[1] === seq && reply[2] === `payload-${k}`)
        good++;
      else if (bad.length < 10) bad.push({ client, seq, reply: reply instanceof Error ? reply.message : reply });
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const doneAt = Date.now();
  t.diagnostic(
    `${total} acks in ${doneAt - connectedAt} ms (${Math.round(total / ((doneAt - connectedAt) / 1000))}/s); ` +
      `gleitzeitd RSS with all connected: ${rss(pid)}`,
  );

  assert.deepEqual(drops, []);
  assert.deepEqual(bad, []);
  assert.equal(good, total);
  assert.equal(sockets.filter((s) => s.connected).length, CLIENTS);
});
