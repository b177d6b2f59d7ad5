// Socket.IO v5 conformance against the fixture's /socket.io/ endpoint ("/" and "/custom").
// The expectations follow docs/socket.io-protocol/v5-current.md and the behaviour its test
// suite checks (connect, disconnect, events, acks, binary, malformed packets), over raw
// WebSockets so that every byte the server sends is compared exactly.
//
// The fixture's namespaces emit ["auth", <auth payload>] on connect, answer "message" with
// "message-back" (same arguments) and ack "message-with-ack" with its arguments.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFixture } from "./harness.mjs";
import { closeAllPeers, Peer } from "./raw_peer.mjs";

// The fixture's settings (tests/fixtures/sio_testserver.cpp).
const CONNECT_TIMEOUT = 1000;
// Bound on waiting for any single expected event; generous for a loaded 2-core machine.
const WAIT = 5000;
// Per-test bound, so a hung server fails a test instead of the whole run.
const T = { timeout: 20000 };

const PH0 = '{"_placeholder":true,"num":0}';
const PH1 = '{"_placeholder":true,"num":1}';

let server;
let wsUrl; // ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket

/**
 * Asserts that `frame` is a CONNECT reply for `nsp` ("" for "/") carrying exactly {"sid"}.
 * Returns the sid.
 */
function assertConnectReply(frame, nsp = "") {
  const prefix = `40${nsp}`;
  assert.ok(frame.startsWith(prefix), `expected ${prefix}{"sid":...}, got ${JSON.stringify(frame)}`);
  assert.match(frame.slice(prefix.length), /^\{"sid":"[^"]+"\}$/);
  const body = JSON.parse(frame.slice(prefix.length));
  assert.deepEqual(Object.keys(body), ["sid"]);
  return body.sid;
}

/** A WebSocket session whose Engine.IO handshake is done. */
async function engineSession(options) {
  const peer = new Peer(wsUrl, { autoPong: true, ...options });
  await peer.handshake();
  return peer;
}

/** A WebSocket session connected to "/", past the CONNECT reply and the "auth" event. */
async function connectedSession(options) {
  const peer = await engineSession(options);
  peer.send("40");
  assertConnectReply(await peer.text());
  assert.equal(await peer.text(), '42["auth",{}]');
  return peer;
}

// A session opened before the malformed ones, which must outlive each of them.
let bystander;
let ackSeq = 1000;
async function assertBystanderAlive() {
  const id = ++ackSeq;
  bystander.send(`42${id}["message-with-ack","still here"]`);
  assert.equal(await bystander.text(), `43${id}["still here"]`);
}

describe("Socket.IO v5 at /socket.io/", () => {
  before(async () => {
    server = await startFixture();
    wsUrl = `${server.wsUrl}/socket.io/?EIO=4&transport=websocket`;
    bystander = await connectedSession();
  });

  after(async () => {
    closeAllPeers();
    await server?.stop();
  });

  describe("connect", () => {
    it('connects to "/" without payload: 40{"sid"} then auth {}', T, async () => {
      const peer = await engineSession();
      peer.send("40");
      assertConnectReply(await peer.text());
      assert.equal(await peer.text(), '42["auth",{}]');
      peer.terminate();
    });

    it('connects to "/" with a payload, which reaches the namespace as auth', T, async () => {
      const peer = await engineSession();
      peer.send('40{"token":"123"}');
      assertConnectReply(await peer.text());
      assert.equal(await peer.text(), '42["auth",{"token":"123"}]');
      peer.terminate();
    });

    it('connects to "/custom" without payload', T, async () => {
      const peer = await engineSession();
      peer.send("40/custom,");
      assertConnectReply(await peer.text(), "/custom,");
      assert.equal(await peer.text(), '42/custom,["auth",{}]');
      peer.terminate();
    });

    it('connects to "/custom" with a payload', T, async () => {
      const peer = await engineSession();
      peer.send('40/custom,{"token":"abc"}');
      assertConnectReply(await peer.text(), "/custom,");
      assert.equal(await peer.text(), '42/custom,["auth",{"token":"abc"}]');
      peer.terminate();
    });

    it("gives each namespace connection its own sid, distinct from the Engine.IO sid", T, async () => {
      const peer = new Peer(wsUrl, { autoPong: true });
      const { sid: engineSid } = await peer.handshake();
      peer.send("40");
      const main = assertConnectReply(await peer.text());
      await peer.text(); // auth
      peer.send("40/custom,");
      const custom = assertConnectReply(await peer.text(), "/custom,");
      await peer.text(); // auth
      assert.equal(new Set([engineSid, main, custom]).size, 3);
      peer.terminate();
    });

    it("refuses an unknown namespace with CONNECT_ERROR and keeps the session", T, async () => {
      const peer = await engineSession();
      peer.send("40/random");
      assert.equal(await peer.text(), '44/random,{"message":"Invalid namespace"}');
      // The Engine.IO session is still usable for a namespace that exists.
      peer.send("40");
      assertConnectReply(await peer.text());
      assert.equal(await peer.text(), '42["auth",{}]');
      peer.terminate();
    });

    it("closes the session on an invalid handshake packet", T, async () => {
      const peer = await engineSession();
      peer.send("4abc");
      await peer.expectClose();
      await assertBystanderAlive();
    });

    it("closes the session when no CONNECT arrives within connectTimeout", T, async () => {
      // autoPong keeps the Engine.IO heartbeat alive, so only the connect timeout can end it.
      const peer = await engineSession();
      const opened = Date.now();
      await peer.expectClose(CONNECT_TIMEOUT + WAIT);
      const elapsed = Date.now() - opened;
      assert.ok(elapsed >= CONNECT_TIMEOUT - 100, `closed after ${elapsed} ms, before connectTimeout`);
      // Nothing but an optional close packet came before the close.
      const rest = [];
      for (;;) {
        try {
          rest.push(await peer.next(0));
        } catch {
          break;
        }
      }
      assert.ok(rest.every((f) => f === "1"), `unexpected frames ${JSON.stringify(rest)}`);
    });
  });

  describe("disconnect", () => {
    it('DISCONNECT from "/" keeps the Engine.IO session: next frame is a ping', T, async () => {
      const peer = await connectedSession({ autoPong: false });
      peer.send("41");
      assert.equal(await peer.text(), "2");
      peer.send("3");
      // Still alive a full heartbeat later, and "/" can be joined again.
      assert.equal(await peer.text(), "2");
      peer.send("3");
      peer.send("40");
      assertConnectReply(await peer.text());
      assert.equal(await peer.text(), '42["auth",{}]');
      peer.terminate();
    });

    it('connect then disconnect "/custom", then a message on "/" still works', T, async () => {
      const peer = await connectedSession();
      peer.send("40/custom,");
      assertConnectReply(await peer.text(), "/custom,");
      assert.equal(await peer.text(), '42/custom,["auth",{}]');
      peer.send("41/custom,");
      // An event for the left namespace is dropped, so the next frame is the one for "/".
      peer.send('42/custom,["message","to the left namespace"]');
      peer.send('42["message","message to main namespace"]');
      assert.equal(await peer.text(), '42["message-back","message to main namespace"]');
      peer.terminate();
    });
  });

  describe("events and acks", () => {
    it("echoes a plain event exactly", T, async () => {
      const peer = await connectedSession();
      peer.send('42["message",1,"2",{"3":[true]}]');
      assert.equal(await peer.text(), '42["message-back",1,"2",{"3":[true]}]');
      peer.terminate();
    });

    it('echoes a plain event on "/custom" with the namespace prefix', T, async () => {
      const peer = await connectedSession();
      peer.send("40/custom,");
      assertConnectReply(await peer.text(), "/custom,");
      await peer.text(); // auth
      peer.send('42/custom,["message",{"a":null}]');
      assert.equal(await peer.text(), '42/custom,["message-back",{"a":null}]');
      peer.terminate();
    });

    it("echoes a binary event with two attachments", T, async () => {
      const peer = await connectedSession();
      peer.send(`452-["message",${PH0},${PH1}]`);
      peer.send(Uint8Array.from([1, 2, 3]));
      peer.send(Uint8Array.from([4, 5, 6]));
      assert.equal(await peer.text(), `452-["message-back",${PH0},${PH1}]`);
      assert.deepEqual(await peer.next(), Buffer.from([1, 2, 3]));
      assert.deepEqual(await peer.next(), Buffer.from([4, 5, 6]));
      peer.terminate();
    });

    it("acks an event with its arguments", T, async () => {
      const peer = await connectedSession();
      peer.send('42456["message-with-ack",1,"2",{"3":[false]}]');
      assert.equal(await peer.text(), '43456[1,"2",{"3":[false]}]');
      peer.terminate();
    });

    it("acks a binary event with a binary ack", T, async () => {
      const peer = await connectedSession();
      peer.send(`452-789["message-with-ack",${PH0},${PH1}]`);
      peer.send(Uint8Array.from([1, 2, 3]));
      peer.send(Uint8Array.from([4, 5, 6]));
      assert.equal(await peer.text(), `462-789[${PH0},${PH1}]`);
      assert.deepEqual(await peer.next(), Buffer.from([1, 2, 3]));
      assert.deepEqual(await peer.next(), Buffer.from([4, 5, 6]));
      peer.terminate();
    });

    it("accepts the largest uint64 ack id", T, async () => {
      const peer = await connectedSession();
      peer.send('4218446744073709551615["message-with-ack","max"]');
      assert.equal(await peer.text(), '4318446744073709551615["max"]');
      peer.terminate();
    });
  });

  describe("malformed packets close that session only", () => {
    // Each case: a fresh connected session sends `frames`; it must be closed, and the
    // bystander session opened before it must still answer.
    const cases = [
      ["unknown packet type", ["4abc"]],
      ["EVENT payload that is not an array", ["42{}"]],
      ["invalid ack id", ['42abc["message-with-ack",1,"2",{"3":[false]}]']],
      ["garbage JSON", ['42["message",']],
      ["ack id beyond uint64", ['4218446744073709551616["message-with-ack",1]']],
      ["EVENT with an empty array", ["42[]"]],
      ["EVENT whose name is not a string", ["42[1,2]"]],
      ["client-sent CONNECT_ERROR", ['44{"message":"no"}']],
      // Two attachments announced, one sent, then a text packet while the second is due.
      ["attachment count mismatch", [`452-["message",${PH0},${PH1}]`, Buffer.from([1]), '42["message",1]']],
      ["placeholder num out of range", [`451-["message",{"_placeholder":true,"num":5}]`, Buffer.from([1])]],
      ["placeholder num equal to the count", [`451-["message",${PH0},${PH1}]`, Buffer.from([1])]],
      ["binary frame with no announcing packet", [Buffer.from([1, 2, 3])]],
      ["binary packet without attachment count", [`45["message",${PH0}]`]],
    ];
    for (const [name, frames] of cases) {
      it(name, T, async () => {
        const peer = await connectedSession();
        for (const f of frames) peer.send(f);
        await peer.expectClose();
        await assertBystanderAlive();
      });
    }
  });
});
