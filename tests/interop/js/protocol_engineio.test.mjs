// Engine.IO v4 conformance against the fixture's raw echo at /engine.io/.
// The expectations follow docs/engine.io-protocol/v4-current.md and the behaviour its
// test suite checks (handshake, payload framing, heartbeat, close, upgrade), driven with
// plain fetch and raw WebSockets so that no client library hides what the server sends.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startFixture, sleep } from "./harness.mjs";
import { closeAllPeers, expectRefused, Peer, withTimeout } from "./raw_peer.mjs";

// The fixture's settings (tests/fixtures/sio_testserver.cpp).
const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 1000000;
// Bound on waiting for any single expected event; generous for a loaded 2-core machine.
const WAIT = 5000;
// Per-test bound, so a hung server fails a test instead of the whole run.
const T = { timeout: 20000 };
// How long to let a request reach the server before the next step depends on it being
// held there. Well below PING_INTERVAL, so the first ping cannot overtake the step.
const SETTLE = 50;

let server;
let httpBase; // http://127.0.0.1:PORT/engine.io/
let wsBase; // ws://127.0.0.1:PORT/engine.io/


const pollUrl = (sid) => `${httpBase}?EIO=4&transport=polling&sid=${sid}`;
const poll = (sid, init) => fetch(pollUrl(sid), init);
const push = (sid, body) => fetch(pollUrl(sid), { method: "POST", body });

async function expectText(responsePromise, status, body) {
  const res = await withTimeout(responsePromise, WAIT, `an HTTP answer (expecting ${status})`);
  const text = await res.text();
  assert.equal(res.status, status, `status ${res.status} with body ${JSON.stringify(text)}`);
  if (body !== undefined) assert.equal(text, body);
  return text;
}

async function openPolling() {
  const res = await fetch(`${httpBase}?EIO=4&transport=polling`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(text, /^0\{/);
  return JSON.parse(text.slice(1)).sid;
}

/** A polling session upgraded to a WebSocket, with the upgrade confirmed by an echo. */
async function upgradedSession() {
  const sid = await openPolling();
  const ws = new Peer(`${wsBase}?EIO=4&transport=websocket&sid=${sid}`, { autoPong: true });
  await ws.opened();
  ws.send("2probe");
  assert.equal(await ws.text(), "3probe");
  ws.send("5");
  ws.send("4upgraded");
  assert.equal(await ws.text(), "4upgraded");
  return { sid, ws };
}

function assertOpenPacket(value, upgrades) {
  assert.deepEqual(Object.keys(value).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.equal(typeof value.sid, "string");
  assert.notEqual(value.sid, "");
  assert.deepEqual(value.upgrades, upgrades);
  assert.equal(value.pingInterval, PING_INTERVAL);
  assert.equal(value.pingTimeout, PING_TIMEOUT);
  assert.equal(value.maxPayload, MAX_PAYLOAD);
}

describe("Engine.IO v4 at /engine.io/", () => {
  before(async () => {
    server = await startFixture();
    httpBase = `${server.url}/engine.io/`;
    wsBase = `${server.wsUrl}/engine.io/`;
  });

  after(async () => {
    closeAllPeers();
    await server?.stop();
  });

  describe("handshake", () => {
    it("opens a polling session with exactly the documented keys", T, async () => {
      const res = await fetch(`${httpBase}?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(text[0], "0");
      assertOpenPacket(JSON.parse(text.slice(1)), ["websocket"]);
    });

    it("gives every session its own sid", T, async () => {
      const a = await openPolling();
      const b = await openPolling();
      assert.notEqual(a, b);
    });

    it("opens a WebSocket session that offers no upgrades", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`);
      assertOpenPacket(await ws.handshake(), []);
      ws.terminate();
    });

    it("answers 400 to a missing, non-numeric or other EIO version", T, async () => {
      for (const q of ["transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling", "EIO=5&transport=polling"]) {
        const res = await fetch(`${httpBase}?${q}`);
        await res.text();
        assert.equal(res.status, 400, q);
      }
    });

    it("answers 400 to a missing or unknown transport", T, async () => {
      for (const q of ["EIO=4", "EIO=4&transport=abc", "EIO=4&transport=websocket"]) {
        // transport=websocket without an Upgrade header is not a polling request either.
        const res = await fetch(`${httpBase}?${q}`);
        await res.text();
        assert.equal(res.status, 400, q);
      }
    });

    it("answers 400 to a handshake by POST or PUT", T, async () => {
      for (const method of ["POST", "PUT"]) {
        const res = await fetch(`${httpBase}?EIO=4&transport=polling`, { method });
        await res.text();
        assert.equal(res.status, 400, method);
      }
    });

    it("refuses WebSocket upgrades with a bad EIO", T, async () => {
      await expectRefused(`${wsBase}?transport=websocket`, 400);
      await expectRefused(`${wsBase}?EIO=abc&transport=websocket`, 400);
      await expectRefused(`${wsBase}?EIO=3&transport=websocket`, 400);
    });

    it("refuses WebSocket upgrades with a missing or wrong transport", T, async () => {
      await expectRefused(`${wsBase}?EIO=4`, 400);
      await expectRefused(`${wsBase}?EIO=4&transport=abc`, 400);
      await expectRefused(`${wsBase}?EIO=4&transport=polling`, 400);
    });
  });

  describe("messages over HTTP long-polling", () => {
    it("echoes one text packet (POST answers ok)", T, async () => {
      const sid = await openPolling();
      await expectText(push(sid, "4hello"), 200, "ok");
      await expectText(poll(sid), 200, "4hello");
    });

    it("splits and joins several packets with \\x1e", T, async () => {
      const sid = await openPolling();
      await expectText(push(sid, "4test1\x1e4test2\x1e4test3"), 200, "ok");
      await expectText(poll(sid), 200, "4test1\x1e4test2\x1e4test3");
    });

    it("carries binary packets as b+base64 both ways", T, async () => {
      const sid = await openPolling();
      await expectText(push(sid, "4hello\x1ebAQIDBA=="), 200, "ok");
      await expectText(poll(sid), 200, "4hello\x1ebAQIDBA==");
      // A lone binary packet, and one whose length needs one padding character.
      await expectText(push(sid, "bAQID\x1ebAQI="), 200, "ok");
      await expectText(poll(sid), 200, "bAQID\x1ebAQI=");
    });

    it("answers a held GET as soon as a message is queued", T, async () => {
      const sid = await openPolling();
      const held = poll(sid);
      await sleep(SETTLE);
      await expectText(push(sid, "4late"), 200, "ok");
      await expectText(held, 200, "4late");
    });

    it("closes the session on an invalid packet", T, async () => {
      const sid = await openPolling();
      await expectText(push(sid, "abc"), 400);
      await expectText(poll(sid), 400);
    });

    it("closes the session on a duplicate concurrent GET", T, async () => {
      const sid = await openPolling();
      const first = poll(sid);
      await sleep(SETTLE);
      const second = await withTimeout(poll(sid), WAIT, "the duplicate GET");
      await second.text();
      assert.ok([400, 500].includes(second.status), `duplicate GET answered ${second.status}`);
      // The held GET learns of the close from a close packet.
      await expectText(first, 200, "1");
      await expectText(poll(sid), 400);
    });

    it("closes the session when a held GET is cancelled", T, async () => {
      const sid = await openPolling();
      const controller = new AbortController();
      const aborted = poll(sid, { signal: controller.signal }).then(
        () => "answered",
        (e) => e.name,
      );
      await sleep(SETTLE);
      controller.abort();
      assert.equal(await aborted, "AbortError");
      await sleep(SETTLE); // let the server see the hang-up before asking again
      await expectText(poll(sid), 400);
    });
  });

  describe("messages over WebSocket", () => {
    it("echoes a text packet", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`, { autoPong: true });
      await ws.handshake();
      ws.send("4hello");
      assert.equal(await ws.text(), "4hello");
      ws.terminate();
    });

    it("echoes a binary packet as a binary frame", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`, { autoPong: true });
      await ws.handshake();
      ws.send(Uint8Array.from([1, 2, 3, 4]));
      assert.deepEqual(await ws.next(), Buffer.from([1, 2, 3, 4]));
      ws.terminate();
    });

    it("closes the WebSocket on an invalid packet", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`, { autoPong: true });
      await ws.handshake();
      ws.send("abc");
      await ws.expectClose();
    });
  });

  describe("heartbeat", () => {
    it("pings a polling client that answers with pongs", T, async () => {
      const sid = await openPolling();
      for (let i = 0; i < 3; i++) {
        await expectText(poll(sid), 200, "2");
        await expectText(push(sid, "3"), 200, "ok");
      }
    });

    it("closes a polling session that does not answer a ping", T, async () => {
      const sid = await openPolling();
      // Past the ping (PING_INTERVAL) and its timeout, with slack for a slow machine.
      await sleep(PING_INTERVAL + PING_TIMEOUT + 300);
      await expectText(poll(sid), 400);
    });

    it("pings a WebSocket client that answers with pongs", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`);
      await ws.handshake();
      for (let i = 0; i < 3; i++) {
        assert.equal(await ws.text(), "2");
        ws.send("3");
      }
      ws.terminate();
    });

    it("closes a WebSocket that does not answer a ping", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`);
      await ws.handshake();
      assert.equal(await ws.text(), "2");
      const pinged = Date.now();
      await ws.expectClose();
      // Not before the timeout has run (a little slack for timer granularity).
      assert.ok(Date.now() - pinged >= PING_TIMEOUT - 50, `closed ${Date.now() - pinged} ms after the ping`);
    });
  });

  describe("close", () => {
    it("a polling client's close packet ends the session; the held GET gets a noop", T, async () => {
      const sid = await openPolling();
      const held = poll(sid);
      await sleep(SETTLE);
      await withTimeout(push(sid, "1"), WAIT, "the POST of the close packet").then((r) => r.text());
      await expectText(held, 200, "6");
      await expectText(poll(sid), 400);
    });

    it("a WebSocket client's close packet closes the WebSocket", T, async () => {
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket`);
      await ws.handshake();
      ws.send("1");
      await ws.expectClose();
    });
  });

  describe("upgrade", () => {
    it("probe releases the held GET with a noop, then 5 switches to the WebSocket", T, async () => {
      const sid = await openPolling();
      const held = poll(sid);
      await sleep(SETTLE);
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket&sid=${sid}`, { autoPong: true });
      await ws.opened();
      ws.send("2probe");
      assert.equal(await ws.text(), "3probe");
      await expectText(held, 200, "6");
      ws.send("5");
      ws.send("4hello");
      assert.equal(await ws.text(), "4hello");
      ws.terminate();
    });

    it("the poll after the probe gets a noop, then messages flow over the WebSocket", T, async () => {
      const sid = await openPolling();
      const ws = new Peer(`${wsBase}?EIO=4&transport=websocket&sid=${sid}`, { autoPong: true });
      await ws.opened();
      ws.send("2probe");
      assert.equal(await ws.text(), "3probe");
      await expectText(poll(sid), 200, "6");
      ws.send("5");
      ws.send("4hello");
      assert.equal(await ws.text(), "4hello");
      ws.send(Uint8Array.from([9, 8, 7]));
      assert.deepEqual(await ws.next(), Buffer.from([9, 8, 7]));
      ws.terminate();
    });

    it("answers 400 to polling with the sid after the upgrade", T, async () => {
      const { sid, ws } = await upgradedSession();
      await expectText(poll(sid), 400);
      await expectText(push(sid, "4x"), 400);
      ws.send("4still");
      assert.equal(await ws.text(), "4still");
      ws.terminate();
    });

    it("closes a second WebSocket for an upgraded sid; the first keeps working", T, async () => {
      const { sid, ws } = await upgradedSession();
      const second = new Peer(`${wsBase}?EIO=4&transport=websocket&sid=${sid}`);
      await second.expectClose();
      // It never carried the session: no open packet, no echo.
      await assert.rejects(second.next(0), /closed/);
      ws.send("4hello");
      assert.equal(await ws.text(), "4hello");
      ws.terminate();
    });
  });

  describe("CORS", () => {
    const origin = "http://client.example";

    it("echoes the Origin on the handshake, GET and POST", T, async () => {
      const headers = { Origin: origin };
      const res = await fetch(`${httpBase}?EIO=4&transport=polling`, { headers });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
      const sid = JSON.parse((await res.text()).slice(1)).sid;

      const post = await fetch(pollUrl(sid), { method: "POST", body: "4cors", headers });
      assert.equal(await post.text(), "ok");
      assert.equal(post.headers.get("access-control-allow-origin"), origin);

      const get = await fetch(pollUrl(sid), { headers });
      assert.equal(await get.text(), "4cors");
      assert.equal(get.headers.get("access-control-allow-origin"), origin);
    });

    it("answers a preflight OPTIONS with the Origin allowed", T, async () => {
      const res = await fetch(`${httpBase}?EIO=4&transport=polling`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
      await res.text();
      assert.equal(res.status, 204);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
    });
  });
});
