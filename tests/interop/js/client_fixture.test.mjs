// The real npm socket.io-client against the protocol fixture (tests/fixtures/sio-testserver):
// transports, namespaces, acks, binary, rooms, auth, server-side disconnect, reconnection.
import { test, describe, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import { startFixture } from "./harness.mjs";

const TIMEOUT = 5000;

// Every client a test opens, closed after it so that no handle keeps the process alive.
const clients = new Set();
afterEach(() => {
  for (const s of clients) s.disconnect();
  clients.clear();
});

/** A socket on its own Manager (forceNew), without reconnection unless asked. */
function connect(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...opts });
  clients.add(socket);
  return socket;
}

/** The arguments of the next `event` on `emitter`; rejects after `ms`. */
function once(emitter, event, ms = TIMEOUT) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/** Resolves on `connect`; rejects on `connect_error` with the server's error. */
function connected(socket) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

/** Emits with an ack request; resolves with all the ack's arguments. */
async function ask(socket, event, ...args) {
  const [err, ...reply] = await new Promise((resolve) =>
    socket.timeout(TIMEOUT).emit(event, ...args, (...r) => resolve(r)),
  );
  if (err) throw new Error(`no ack for '${event}': ${err.message}`);
  return reply;
}

/** Emits `message` and returns the arguments of the `message-back` it causes. */
async function echo(socket, ...args) {
  const back = once(socket, "message-back");
  socket.emit("message", ...args);
  return back;
}

// Sample payloads: JSON of every kind, then binary alone, nested, and as two attachments.
const jsonArgs = [1, "two", { three: [3, null, true] }, [4.5, "é€😀"], false, null];
const bin = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));
const binaryArgs = [
  bin(16, 1),
  { nested: { deep: bin(3, 2), list: [bin(0, 3), "text", 7] } },
  [bin(1000, 4), bin(5, 5)],
];

describe("socket.io-client against sio-testserver", () => {
  let fixture;
  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.stop());

  describe("transports", () => {
    test("websocket only", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      await connected(s);
      assert.equal(s.io.engine.transport.name, "websocket");
      assert.deepEqual(await echo(s, ...jsonArgs), jsonArgs);
      assert.deepEqual(await ask(s, "message-with-ack", ...jsonArgs), jsonArgs);
    });

    test("polling only", async () => {
      const s = connect(fixture.url, { transports: ["polling"] });
      await connected(s);
      assert.equal(s.io.engine.transport.name, "polling");
      assert.deepEqual(await echo(s, ...jsonArgs), jsonArgs);
      assert.deepEqual(await ask(s, "message-with-ack", ...jsonArgs), jsonArgs);
      // Outlast several ping cycles (300 ms + 200 ms): polling must keep the session alive.
      let disconnected = null;
      s.on("disconnect", (reason) => (disconnected = reason));
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(disconnected, null);
      assert.deepEqual(await echo(s, "still", "here"), ["still", "here"]);
    });

    test("polling upgrades to websocket", async () => {
      const s = connect(fixture.url);
      // The upgrade may finish before or after CONNECT, so look at the transport on open.
      const opened = once(s.io.engine, "open").then(() => s.io.engine.transport.name);
      const upgraded = once(s.io.engine, "upgrade");
      await connected(s);
      assert.equal(await opened, "polling");
      const [transport] = await upgraded;
      assert.equal(transport.name, "websocket");
      assert.equal(s.io.engine.transport.name, "websocket");
      assert.deepEqual(await echo(s, ...jsonArgs), jsonArgs);
      assert.deepEqual(await ask(s, "message-with-ack", "after", "upgrade"), ["after", "upgrade"]);
    });
  });

  test("two namespaces share one session", async () => {
    const manager = new Manager(fixture.url, { reconnection: false });
    const root = manager.socket("/", { auth: { ns: "root" } });
    const custom = manager.socket("/custom", { auth: { ns: "custom" } });
    clients.add(root).add(custom); // the Manager closes when its last socket disconnects
    const rootAuth = once(root, "auth");
    const customAuth = once(custom, "auth");
    await Promise.all([connected(root), connected(custom)]);

    assert.equal(root.io, custom.io);
    assert.equal(typeof manager.engine.id, "string");
    assert.ok(manager.engine.id.length > 0);
    assert.notEqual(root.id, custom.id);
    // Each namespace got its own CONNECT payload back, not the other's.
    assert.deepEqual(await rootAuth, [{ ns: "root" }]);
    assert.deepEqual(await customAuth, [{ ns: "custom" }]);

    // Each echo comes back on the namespace it was sent on, and only there.
    const strays = [];
    root.on("message-back", (...a) => a[0] !== "to-root" && strays.push(["/", a]));
    custom.on("message-back", (...a) => a[0] !== "to-custom" && strays.push(["/custom", a]));
    const [r, c] = await Promise.all([echo(root, "to-root", 1), echo(custom, "to-custom", 2)]);
    assert.deepEqual(r, ["to-root", 1]);
    assert.deepEqual(c, ["to-custom", 2]);
    assert.deepEqual(await ask(root, "message-with-ack", "r"), ["r"]);
    assert.deepEqual(await ask(custom, "message-with-ack", "c"), ["c"]);
    assert.deepEqual(strays, []);
    assert.equal(manager.engine.id, root.io.engine.id);
  });

  describe("acks", () => {
    test("client to server: the ack carries the emitted arguments", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      await connected(s);
      assert.deepEqual(await s.emitWithAck("message-with-ack", "one"), "one");
      assert.deepEqual(await ask(s, "message-with-ack", ...jsonArgs), jsonArgs);
      assert.deepEqual(await ask(s, "message-with-ack"), []);
    });

    test("server to client: the server gets the client's reply", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      await connected(s);
      let asked = null;
      s.on("question", (...args) => {
        const ack = args.pop();
        asked = args;
        ack("answer", { to: args[0] }, [1, 2]);
      });
      const reply = await ask(s, "server-ask", "question", "what?", 42);
      assert.deepEqual(asked, ["what?", 42]);
      assert.deepEqual(reply, ["answer", { to: "what?" }, [1, 2]]);
    });

    test("server to client: no reply times out", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      await connected(s);
      let asked = false;
      s.on("silent", () => (asked = true)); // takes the ack callback and never calls it
      assert.deepEqual(await ask(s, "server-ask", "silent", 1), [{ timeout: true }]);
      assert.equal(asked, true);
    });
  });

  describe("binary", () => {
    for (const transport of ["websocket", "polling"]) {
      test(`echo and ack over ${transport}`, async () => {
        const s = connect(fixture.url, { transports: [transport] });
        await connected(s);
        assert.deepEqual(await echo(s, ...binaryArgs), binaryArgs);
        assert.deepEqual(await echo(s, "two", bin(2, 9), "attachments", bin(300, 8)), [
          "two",
          bin(2, 9),
          "attachments",
          bin(300, 8),
        ]);
        assert.deepEqual(await ask(s, "message-with-ack", ...binaryArgs), binaryArgs);
        // Plain JSON still works after binary packets on the same session.
        assert.deepEqual(await echo(s, ...jsonArgs), jsonArgs);
      });
    }

    test("server to client binary, and a binary reply", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      await connected(s);
      let asked = null;
      s.on("blob", (...args) => {
        const ack = args.pop();
        asked = args;
        ack({ got: args[0].length }, bin(7, 77));
      });
      const reply = await ask(s, "server-ask", "blob", bin(64, 6), { inner: bin(2, 1) });
      assert.deepEqual(asked, [bin(64, 6), { inner: bin(2, 1) }]);
      assert.deepEqual(reply, [{ got: 64 }, bin(7, 77)]);
    });
  });

  describe("rooms", () => {
    // Connects n sockets; resolves once all of them are connected.
    async function group(n) {
      const all = Array.from({ length: n }, () => connect(fixture.url, { transports: ["websocket"] }));
      await Promise.all(all.map(connected));
      return all;
    }
    // Records every `event` each socket receives.
    function record(sockets, event) {
      const got = sockets.map(() => []);
      sockets.forEach((s, i) => s.on(event, (...args) => got[i].push(args)));
      return got;
    }
    // A round trip on each socket: anything sent to it before is delivered by then.
    const flush = (sockets) => Promise.all(sockets.map((s) => ask(s, "message-with-ack", "flush")));

    test("a broadcast from outside the room reaches exactly its members", async () => {
      const [a, b, c, outsider] = await group(4);
      for (const s of [a, b, c]) assert.deepEqual(await ask(s, "join", "r1"), ["1"]);
      const got = record([a, b, c, outsider], "news");

      const [reached] = await ask(outsider, "broadcast", "r1", "news", "hello", { n: 1 }, bin(4, 3));
      await flush([a, b, c, outsider]);
      assert.equal(reached, 3);
      const news = [["hello", { n: 1 }, bin(4, 3)]];
      assert.deepEqual(got, [news, news, news, []]);
    });

    test("a broadcast from a member leaves out the sender", async () => {
      const [a, b, c, outsider] = await group(4);
      for (const s of [a, b, c]) assert.deepEqual(await ask(s, "join", "r2"), ["1"]);
      const got = record([a, b, c, outsider], "news");

      const [reached] = await ask(a, "broadcast", "r2", "news", "from-a");
      await flush([a, b, c, outsider]);
      assert.deepEqual(got, [[], [["from-a"]], [["from-a"]], []]);
      assert.equal(reached, 2);
    });

    test("leave takes a socket out of the room", async () => {
      const [a, b, c, outsider] = await group(4);
      for (const s of [a, b, c]) await ask(s, "join", "r3");
      assert.deepEqual(await ask(b, "join", "other"), ["2"]);
      assert.deepEqual(await ask(b, "leave", "r3"), []);
      const got = record([a, b, c, outsider], "news");

      const [reached] = await ask(outsider, "broadcast", "r3", "news", "after-leave");
      await flush([a, b, c, outsider]);
      assert.equal(reached, 2);
      assert.deepEqual(got, [[["after-leave"]], [], [["after-leave"]], []]);

      // b is still in its other room.
      const [reachedOther] = await ask(outsider, "broadcast", "other", "news", "other-room");
      await flush([a, b, c, outsider]);
      assert.equal(reachedOther, 1);
      assert.deepEqual(got[1], [["other-room"]]);
    });

    test("a broadcast to an empty room reaches nobody", async () => {
      const [a, b] = await group(2);
      const got = record([a, b], "news");
      assert.deepEqual(await ask(a, "broadcast", "nobody-here", "news", 1), [0]);
      await flush([a, b]);
      assert.deepEqual(got, [[], []]);
    });
  });

  describe("auth", () => {
    test("the auth payload is handed to the namespace", async () => {
      const s = connect(fixture.url, { transports: ["websocket"], auth: { token: "abc" } });
      const auth = once(s, "auth"); // the fixture emits it right after CONNECT
      await connected(s);
      assert.deepEqual(await auth, [{ token: "abc" }]);
    });

    test("no auth payload is an empty object", async () => {
      const s = connect(fixture.url, { transports: ["websocket"] });
      const auth = once(s, "auth");
      await connected(s);
      assert.deepEqual(await auth, [{}]);
    });

    for (const nsp of ["/", "/custom"]) {
      test(`a refused CONNECT on ${nsp} is a connect_error with message and data`, async () => {
        const auth = { refuse: true, why: "x" };
        const s = connect(fixture.url + nsp, { transports: ["websocket"], auth });
        const err = await connected(s).then(
          () => assert.fail("connected despite refusal"),
          (e) => e,
        );
        assert.equal(err.message, "refused by fixture");
        assert.deepEqual(err.data, auth);
        assert.equal(s.connected, false);
      });
    }
  });

  test("disconnect-me: the server disconnects the namespace socket", async () => {
    const s = connect(fixture.url, { transports: ["websocket"] });
    await connected(s);
    const disconnected = once(s, "disconnect");
    s.emit("disconnect-me");
    const [reason] = await disconnected;
    assert.equal(reason, "io server disconnect");
    assert.equal(s.connected, false);
  });

  test("the client reconnects after the server restarts on the same port", async () => {
    let server = await startFixture();
    try {
      const s = connect(server.url, {
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 500,
      });
      await connected(s);
      const firstId = s.id;
      assert.deepEqual(await echo(s, "before"), ["before"]);

      const disconnected = once(s, "disconnect");
      const stoppedAt = Date.now();
      await server.stop();
      const [reason] = await disconnected;
      assert.equal(reason, "transport close");

      const reconnected = once(s, "connect", 10000);
      server = await startFixture(server.port);
      await reconnected;
      const took = Date.now() - stoppedAt;
      assert.ok(took < 5000, `reconnected after ${took} ms`);
      assert.equal(s.connected, true);
      assert.notEqual(s.id, firstId);
      assert.deepEqual(await echo(s, "after"), ["after"]);
      assert.deepEqual(await ask(s, "message-with-ack", "after"), ["after"]);
    } finally {
      await server.stop();
    }
  });
});
