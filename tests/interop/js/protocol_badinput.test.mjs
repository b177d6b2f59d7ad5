// Bad input over raw HTTP and WebSocket against the fixture: malformed packets, oversized
// payloads, unknown sids, wrong protocol versions, concurrent polls, unknown paths.
// Each case must end only the offending session (or request): two Socket.IO sessions opened
// before it, one long-polling and one WebSocket, must still complete an ack round trip.
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startFixture, sleep } from "./harness.mjs";
import { closeAllPeers, expectRefused, Inbox, Peer, withTimeout } from "./raw_peer.mjs";

// The fixture's settings (tests/fixtures/sio_testserver.cpp).
const MAX_PAYLOAD = 1000000;
// Bound on waiting for any single expected event; generous for a loaded 2-core machine.
const WAIT = 5000;
// Per-test bound, so a hung server fails a test instead of the whole run.
const T = { timeout: 20000 };
// How long to let a request reach the server before the next step depends on it being
// held there; well below the fixture's pingInterval (300 ms).
const SETTLE = 50;

let server;
let base; // http://127.0.0.1:PORT
let sioHttp; // http://127.0.0.1:PORT/socket.io/
let sioWs; // ws://127.0.0.1:PORT/socket.io/

/**
 * A Socket.IO client over HTTP long-polling, written by hand: a background loop holds a GET
 * at all times, answers pings, and queues every other packet; POSTs go out one at a time.
 */
class PollingClient {
  constructor(endpoint) {
    this.endpoint = endpoint;
    this.inbox = new Inbox();
    this.abort = new AbortController();
    this.posts = Promise.resolve();
    this.failure = null;
  }
  url() {
    return `${this.endpoint}?EIO=4&transport=polling&sid=${this.sid}`;
  }
  async open() {
    const res = await fetch(`${this.endpoint}?EIO=4&transport=polling`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    this.sid = JSON.parse(text.slice(1)).sid;
    this.loop = this.#run();
  }
  fail(err) {
    this.failure ??= err;
    this.inbox.end(err);
  }
  async #run() {
    while (!this.failure) {
      let body;
      try {
        const res = await fetch(this.url(), { signal: this.abort.signal });
        body = await res.text();
        if (res.status !== 200) throw new Error(`poll answered ${res.status}: ${body}`);
      } catch (e) {
        this.fail(e);
        return;
      }
      for (const p of body.split("\x1e")) {
        if (p === "2") this.send("3");
        else if (p === "6") continue;
        else if (p.startsWith("4")) this.inbox.push(p);
        else this.fail(new Error(`the server sent ${JSON.stringify(p)} on the polling session`));
      }
    }
  }
  send(packet) {
    this.posts = this.posts.then(async () => {
      if (this.failure) return;
      try {
        const res = await fetch(this.url(), { method: "POST", body: packet, signal: this.abort.signal });
        const text = await res.text();
        if (res.status !== 200 || text !== "ok") throw new Error(`POST answered ${res.status}: ${text}`);
      } catch (e) {
        this.fail(e);
      }
    });
  }
  async text(ms = WAIT) {
    return this.inbox.next(ms, "a packet on the polling session");
  }
  close() {
    this.fail(new Error("closed by the test"));
    this.abort.abort();
  }
}

/** Connects `client` (Peer or PollingClient) to "/" and consumes the two replies. */
async function connectSio(client) {
  client.send("40");
  assert.match(await client.text(), /^40\{"sid":"[^"]+"\}$/);
  assert.equal(await client.text(), '42["auth",{}]');
}

// The sessions that every bad case must leave working.
let pollingBystander;
let wsBystander;
let ackSeq = 100;
async function roundTrip(client, label) {
  const id = ++ackSeq;
  client.send(`42${id}["message-with-ack","${label}"]`);
  assert.equal(await client.text(), `43${id}["${label}"]`, `${label}: ack round trip`);
}
async function assertBystandersAlive() {
  await roundTrip(pollingBystander, "polling bystander");
  await roundTrip(wsBystander, "websocket bystander");
}

/** A fresh polling session on the Socket.IO endpoint (no background loop). */
async function rawPollingSession(endpoint = sioHttp) {
  const res = await fetch(`${endpoint}?EIO=4&transport=polling`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text.slice(1)).sid;
}
const sidUrl = (sid, endpoint = sioHttp) => `${endpoint}?EIO=4&transport=polling&sid=${sid}`;

async function expectStatus(request, status) {
  const res = await withTimeout(request, WAIT, `an HTTP answer (expecting ${status})`);
  const text = await res.text();
  const allowed = [].concat(status);
  assert.ok(allowed.includes(res.status), `status ${res.status} (wanted ${allowed}) with body ${JSON.stringify(text)}`);
  return { status: res.status, text };
}


/** A WebSocket Socket.IO session connected to "/". */
async function wsSession() {
  const peer = new Peer(`${sioWs}?EIO=4&transport=websocket`, { autoPong: true });
  await peer.handshake();
  await connectSio(peer);
  return peer;
}

describe("bad input against sio-testserver", () => {
  before(async () => {
    server = await startFixture();
    base = server.url;
    sioHttp = `${server.url}/socket.io/`;
    sioWs = `${server.wsUrl}/socket.io/`;
    pollingBystander = new PollingClient(sioHttp);
    await pollingBystander.open();
    await connectSio(pollingBystander);
    wsBystander = await wsSession();
  });

  // Every case ends by proving that the sessions opened before it still work.
  afterEach(async () => {
    await assertBystandersAlive();
  });

  after(async () => {
    pollingBystander?.close();
    closeAllPeers();
    await server?.stop();
  });

  describe("malformed packets over long-polling", () => {
    const cases = [
      ["an unknown Engine.IO packet type", "abc"],
      ["an empty body", ""],
      ["invalid base64 in a binary packet", "b!!!!"],
      ["an invalid packet after a valid one", "3\x1exyz"],
    ];
    for (const [name, body] of cases) {
      it(`${name}: 400 and the session is closed`, T, async () => {
        const sid = await rawPollingSession();
        await expectStatus(fetch(sidUrl(sid), { method: "POST", body }), 400);
        await expectStatus(fetch(sidUrl(sid)), 400);
      });
    }

    it("a malformed Socket.IO packet closes the session", T, async () => {
      const sid = await rawPollingSession();
      await expectStatus(fetch(sidUrl(sid), { method: "POST", body: "40" }), 200);
      // The POST itself is valid Engine.IO, so either answer is acceptable for it; what
      // matters is that the session is gone afterwards.
      await expectStatus(fetch(sidUrl(sid), { method: "POST", body: "42{}" }), [200, 400]);
      await sleep(SETTLE);
      // A GET gets the queued CONNECT reply and the close packet, or 400 once it is gone.
      const first = await expectStatus(fetch(sidUrl(sid)), [200, 400]);
      if (first.status === 200) {
        assert.match(first.text, /(^|\x1e)1$/, `expected the poll to end with a close packet: ${JSON.stringify(first.text)}`);
        await expectStatus(fetch(sidUrl(sid)), 400);
      }
    });
  });

  describe("malformed packets over WebSocket", () => {
    const cases = [
      ["an unknown Engine.IO packet type", "abc"],
      ["an empty text frame", ""],
      ["an unknown Socket.IO packet type", "4abc"],
      ["a Socket.IO EVENT that is not an array", "42{}"],
      ["a binary frame with no announcing packet", Buffer.from([1, 2, 3])],
      ["an Engine.IO open packet from the client", "0"],
    ];
    for (const [name, frame] of cases) {
      it(`${name}: the WebSocket is closed`, T, async () => {
        const peer = await wsSession();
        peer.send(frame);
        await peer.expectClose();
      });
    }
  });

  describe("oversized payloads", () => {
    // The refusal must reach the client reliably: a server that resets the connection while
    // the client is still sending the body makes the client see a network error instead
    // (RFC 9112 9.6 asks for a staged close), and whether it does depends on timing. So
    // each oversized case is tried several times, each on a fresh session.
    const TRIES = 5;

    it(`a POST body over ${MAX_PAYLOAD} bytes: 413 or 400, and the session is closed`, T, async () => {
      const body = "4" + "x".repeat(MAX_PAYLOAD);
      for (let i = 0; i < TRIES; i++) {
        const sid = await rawPollingSession();
        await expectStatus(fetch(sidUrl(sid), { method: "POST", body }), [413, 400]);
        await expectStatus(fetch(sidUrl(sid)), 400);
      }
    });

    it(`a POST body over ${MAX_PAYLOAD} bytes for an unknown sid: 413 or 400`, T, async () => {
      const body = "4" + "x".repeat(MAX_PAYLOAD);
      for (let i = 0; i < TRIES; i++) await expectStatus(fetch(sidUrl("nope"), { method: "POST", body }), [413, 400]);
    });

    it(`a POST body of exactly ${MAX_PAYLOAD} bytes is accepted`, T, async () => {
      // The raw echo at /engine.io/ sends the message back, proving it arrived whole.
      const echo = `${base}/engine.io/`;
      const sid = await rawPollingSession(echo);
      const body = "4" + "y".repeat(MAX_PAYLOAD - 1);
      const { text } = await expectStatus(fetch(sidUrl(sid, echo), { method: "POST", body }), 200);
      assert.equal(text, "ok");
      const back = await expectStatus(fetch(sidUrl(sid, echo)), 200);
      assert.equal(back.text.length, body.length);
      assert.equal(back.text, body);
    });

    it(`a WebSocket message over ${MAX_PAYLOAD} bytes closes that WebSocket`, T, async () => {
      const peer = await wsSession();
      peer.send("4" + "x".repeat(MAX_PAYLOAD));
      await peer.expectClose();
    });

    it(`a WebSocket message over ${MAX_PAYLOAD} bytes is answered with close code 1009`, T, async () => {
      // RFC 6455 7.4.1: 1009 means "message too big to process". The peer has sent the
      // whole message, as a real client does, so it must still be able to read the close
      // frame: the server has to drain, not reset, the connection.
      for (let i = 0; i < TRIES; i++) {
        const peer = await wsSession();
        peer.send("4" + "x".repeat(MAX_PAYLOAD));
        const { code } = await peer.expectClose();
        assert.equal(code, 1009, `try ${i + 1}: close code ${code}; client errors: ${peer.errors.map((e) => e.message).join("; ")}`);
      }
    });

    it(`a WebSocket message of exactly ${MAX_PAYLOAD} bytes is accepted`, T, async () => {
      const peer = new Peer(`${base.replace("http", "ws")}/engine.io/?EIO=4&transport=websocket`, { autoPong: true });
      await peer.handshake();
      const message = "4" + "z".repeat(MAX_PAYLOAD - 1);
      peer.send(message);
      assert.equal(await peer.text(), message);
      peer.terminate();
    });
  });

  describe("unknown sids", () => {
    it("GET with an unknown sid: 400 Session ID unknown", T, async () => {
      const { text } = await expectStatus(fetch(sidUrl("doesnotexist")), 400);
      assert.deepEqual(JSON.parse(text), { code: 1, message: "Session ID unknown" });
    });

    it("POST with an unknown sid: 400 Session ID unknown", T, async () => {
      const { text } = await expectStatus(fetch(sidUrl("doesnotexist"), { method: "POST", body: "40" }), 400);
      assert.deepEqual(JSON.parse(text), { code: 1, message: "Session ID unknown" });
    });

    it("WebSocket upgrade with an unknown sid is refused", T, async () => {
      await expectRefused(`${sioWs}?EIO=4&transport=websocket&sid=doesnotexist`, 400);
    });

    it("a closed session's sid is unknown afterwards", T, async () => {
      const sid = await rawPollingSession();
      await expectStatus(fetch(sidUrl(sid), { method: "POST", body: "1" }), [200, 400]);
      await expectStatus(fetch(sidUrl(sid)), 400);
      await expectRefused(`${sioWs}?EIO=4&transport=websocket&sid=${sid}`, 400);
    });
  });

  describe("wrong EIO version", () => {
    for (const eio of ["3", "5", "abc", ""]) {
      it(`EIO=${eio}: 400 for polling, refused for WebSocket`, T, async () => {
        await expectStatus(fetch(`${sioHttp}?EIO=${eio}&transport=polling`), 400);
        await expectRefused(`${sioWs}?EIO=${eio}&transport=websocket`, 400);
      });
    }
  });

  describe("concurrent GET", () => {
    it("the second GET gets 400/500, the held one a close packet, then the sid is gone", T, async () => {
      const sid = await rawPollingSession();
      const first = fetch(sidUrl(sid));
      await sleep(SETTLE);
      await expectStatus(fetch(sidUrl(sid)), [400, 500]);
      const held = await expectStatus(first, 200);
      assert.equal(held.text, "1");
      await expectStatus(fetch(sidUrl(sid)), 400);
    });
  });

  describe("plain HTTP beside Socket.IO", () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["POST", "/nope"],
      ["GET", "/"],
      ["GET", "/socket.iox/?EIO=4&transport=polling"],
    ]) {
      it(`${method} ${path}: 404`, T, async () => {
        await expectStatus(fetch(`${base}${path}`, { method, body: method === "POST" ? "x" : undefined }), 404);
      });
    }

    it("a WebSocket upgrade at /nope is refused with 404", T, async () => {
      await expectRefused(`${base.replace("http", "ws")}/nope`, 404);
    });
  });
});
