// Binary attachments a client may make the hub hold (issue 18): none before it joins a
// namespace with CONNECT beyond the one packet announcing them, and at most max_payload bytes
// for one packet's attachments, however many it announces. Past either, the session is closed
// as a parse error; another client is not disturbed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startGleitzeitd } from "./harness.mjs";
import { closeAllPeers, Peer } from "./raw_peer.mjs";

after(closeAllPeers);

const closedAs = async (hub, reason) => {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  return Number(text.match(new RegExp(`^gleitzeit_sessions_closed_total\\{reason="${reason}"\\} (\\d+)$`, "m"))?.[1] ?? 0);
};

async function peer(hub) {
  const p = new Peer(`${hub.wsUrl}/socket.io/?EIO=4&transport=websocket`);
  await p.opened();
  await p.handshake();
  return p;
}

test("attachments before CONNECT, or past max_payload for one packet, close only that session", async () => {
  const hub = await startGleitzeitd("[server]\nmax_payload = 1000000\n");
  const other = io(hub.url, { transports: ["websocket"], reconnection: false });
  await new Promise((r) => other.on("connect", r));
  const disconnects = [];
  other.on("disconnect", (r) => disconnects.push(r));
  try {
    // Before CONNECT: the announcing packet is enough to be refused; nothing is buffered.
    const early = await peer(hub);
    early.send('451-["echo",{"_placeholder":true,"num":0}]');
    const first = await early.expectClose();
    assert.ok(first.code >= 1000, JSON.stringify(first));
    assert.equal(await closedAs(hub, "parse error"), 1);

    // After CONNECT: 5 announced attachments of 900 KB, each under max_payload, 4.5 MB in
    // all: the second passes the packet's bound and the session goes.
    const big = await peer(hub);
    big.send("40");
    assert.match(await big.text(), /^40\{"sid":/);
    big.send('455-["echo",' + Array.from({ length: 5 }, (_, i) => `{"_placeholder":true,"num":${i}}`).join(",") + "]");
    for (let i = 0; i < 5 && big.ws.readyState === 1; i++) big.send(Buffer.alloc(900 * 1024, i));
    await big.expectClose();
    assert.equal(await closedAs(hub, "parse error"), 2);

    // Within the bound, binary echoes still work, and the other client saw nothing.
    const small = await other.timeout(5000).emitWithAck("echo", Buffer.alloc(600 * 1024, 7));
    assert.deepEqual([small.length, small[0], small.at(-1)], [600 * 1024, 7, 7]);
    assert.deepEqual(disconnects, []);
  } finally {
    other.close();
    await hub.stop();
  }
});
