// Hostile HTTP (issue 18), written byte for byte on raw TCP connections: bad methods, paths
// and headers, Host and Origin (docs/security.md), sizes and lying Content-Lengths, stalled
// requests ([server] request_timeout), and bad WebSocket upgrades. Where the docs name the
// answer (status and body), that is asserted; where a request is not HTTP at all the hub
// closes the connection without an answer (host/sio/server/http_connection.cpp,
// on_read_failed), and that is asserted.
import assert from "node:assert/strict";
import { suite, MAX_PAYLOAD, REQUEST_TIMEOUT_MS, TOKENS, metric, metricReaches, closedAs } from "./fixture.mjs";
import { rawHttp, pollingSession, http, BAD_REQUEST, SESSION_UNKNOWN, TOO_LARGE } from "./wire.mjs";

const hostile = suite();
const NOT_FOUND = '{"error":"not found"}';
const NOT_ALLOWED = '{"error":"method not allowed"}';
const forbidden = (what, value) => `{"code":4,"message":"Forbidden: ${what} '${value}' is not allowed (docs/security.md)"}`;

/** A request's lines with Host and Connection: close (the hub then closes after its answer). */
function request(ctx, startLine, headers = [], body = "") {
  return [startLine, `Host: 127.0.0.1:${ctx.hub.port}`, "Connection: close", ...headers].join("\r\n") + "\r\n\r\n" + body;
}

/** The hub answers `data` with exactly `status` and `body`, and closes. */
async function answers(ctx, data, status, body) {
  const r = await rawHttp(ctx.hub.port, data);
  assert.deepEqual([r.status, r.body], [status, body], r.text.slice(0, 300));
  assert.equal(r.closed, true);
  return r;
}

/** The hub closes the connection without a byte of answer, within `within` ms. */
async function dropped(ctx, data, within = REQUEST_TIMEOUT_MS / 2, opts = {}) {
  const r = await rawHttp(ctx.hub.port, data, { ms: REQUEST_TIMEOUT_MS * 3, ...opts });
  assert.equal(r.text, "", "no answer");
  assert.equal(r.closed, true, "closed");
  assert.ok(r.at < within, `closed after ${r.at} ms, not within ${within} ms`);
  return r;
}

// Paths and methods beside Socket.IO (docs/events.md, "Plain HTTP beside Socket.IO").
hostile("GET of an unknown path: 404", (ctx) => answers(ctx, request(ctx, "GET /etc/passwd HTTP/1.1"), 404, NOT_FOUND));
hostile("POST /health: 405", (ctx) => answers(ctx, request(ctx, "POST /health HTTP/1.1", ["Content-Length: 2"], "{}"), 405, NOT_ALLOWED));
hostile("DELETE /metrics: 405", (ctx) => answers(ctx, request(ctx, "DELETE /metrics HTTP/1.1"), 405, NOT_ALLOWED));

// Engine.IO's own errors (docs/events.md, "Errors").
const engine = "/socket.io/?EIO=4&transport=polling";
hostile("PUT on a session path: 400 Bad handshake method", (ctx) =>
  answers(ctx, request(ctx, `PUT ${engine}&sid=x HTTP/1.1`, ["Content-Length: 0"]), 400, '{"code":2,"message":"Bad handshake method"}'));
hostile("POST without a sid: 400 Bad handshake method", (ctx) =>
  answers(ctx, request(ctx, `POST ${engine} HTTP/1.1`, ["Content-Length: 2"], "40"), 400, '{"code":2,"message":"Bad handshake method"}'));
hostile("EIO=3: 400 Unsupported protocol version", (ctx) =>
  answers(ctx, request(ctx, "GET /socket.io/?EIO=3&transport=polling HTTP/1.1"), 400, '{"code":5,"message":"Unsupported protocol version"}'));
hostile("an unknown transport: 400 Transport unknown", (ctx) =>
  answers(ctx, request(ctx, "GET /socket.io/?EIO=4&transport=pigeon HTTP/1.1"), 400, '{"code":0,"message":"Transport unknown"}'));
hostile("transport=websocket without an upgrade: 400 Bad request", (ctx) =>
  answers(ctx, request(ctx, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1"), 400, BAD_REQUEST));
hostile("a GET for an unknown sid: 400 Session ID unknown", (ctx) =>
  answers(ctx, request(ctx, `GET ${engine}&sid=${"A".repeat(20)} HTTP/1.1`), 400, SESSION_UNKNOWN));

// Host and Origin (docs/security.md): 403 with code 4, counted, and no CORS header.
hostile("a foreign Host: 403, counted as host, no CORS header", async (ctx) => {
  const before = await metric(ctx.hub, 'gleitzeit_http_refused_total{reason="host"}');
  const r = await answers(ctx, "GET /health HTTP/1.1\r\nHost: rebound.example\r\n\r\n", 403, forbidden("Host", "rebound.example"));
  assert.doesNotMatch(r.head, /access-control-allow-origin/i);
  assert.equal(await metric(ctx.hub, 'gleitzeit_http_refused_total{reason="host"}'), before + 1);
});
hostile("a foreign Origin on the Socket.IO path: 403, counted as origin", async (ctx) => {
  const before = await metric(ctx.hub, 'gleitzeit_http_refused_total{reason="origin"}');
  const r = await answers(ctx, request(ctx, `GET ${engine} HTTP/1.1`, ["Origin: http://evil.example"]), 403, forbidden("Origin", "http://evil.example"));
  assert.doesNotMatch(r.head, /access-control-allow-origin/i);
  assert.equal(await metric(ctx.hub, 'gleitzeit_http_refused_total{reason="origin"}'), before + 1);
});
hostile("Origin: null (a sandboxed page): 403", (ctx) =>
  answers(ctx, request(ctx, `GET ${engine} HTTP/1.1`, ["Origin: null"]), 403, forbidden("Origin", "null")));
hostile("a Host with a tab, a byte over 0x7f, a quote and a backslash: 403 whose body is still JSON", async (ctx) => {
  const r = await answers(ctx, Buffer.from('GET /health HTTP/1.1\r\nHost: a\tb\xff"c\\\r\n\r\n', "latin1"), 403, forbidden("Host", 'a?b?\\"c\\\\'));
  assert.equal(JSON.parse(r.body).code, 4);
});
hostile("a Host with a control byte is not HTTP: closed without an answer", (ctx) =>
  dropped(ctx, Buffer.from("GET /health HTTP/1.1\r\nHost: a\x01b\r\n\r\n", "latin1")));

// What is not HTTP, or too big to be read as HTTP.
hostile("headers over 16 KiB: closed without an answer, before request_timeout", (ctx) =>
  dropped(ctx, request(ctx, "GET /health HTTP/1.1", [`X-Pad: ${"p".repeat(17 * 1024)}`])));
hostile("a request line over 16 KiB: closed without an answer", (ctx) =>
  dropped(ctx, request(ctx, `GET /health?${"q".repeat(17 * 1024)} HTTP/1.1`)));
hostile("a TLS ClientHello on the plain port: closed without an answer", (ctx) =>
  dropped(ctx, Buffer.from("16030100a5010000a10303" + "ab".repeat(150), "hex")));
hostile("Content-Length negative, not a number, or given twice: closed without an answer", async (ctx) => {
  for (const cl of [["Content-Length: -5"], ["Content-Length: 12abc"], ["Content-Length: 5", "Content-Length: 6"]])
    await dropped(ctx, request(ctx, `POST ${engine}&sid=x HTTP/1.1`, cl, "hello"));
});

// Sizes (docs/security.md "Sizes"): a POST whose Content-Length passes max_payload gets 413
// before its body is read, and its session is closed.
hostile("a POST announcing max_payload + 1 bytes to a live session: 413, and the session is closed", async (ctx) => {
  const before = await closedAs(ctx.hub, "payload too large");
  const s = await pollingSession(ctx.hub.url);
  const path = `${engine}&sid=${s.sid}`;
  const r = await answers(ctx, request(ctx, `POST ${path} HTTP/1.1`, [`Content-Length: ${MAX_PAYLOAD + 1}`], "4" + "x".repeat(64 * 1024)), 413, TOO_LARGE);
  assert.ok(r.at < REQUEST_TIMEOUT_MS, `answered after ${r.at} ms: before the body, not after a timeout`);
  assert.deepEqual(await http(s.at).then((x) => [x.status, x.text]), [400, SESSION_UNKNOWN]);
  assert.equal(await metricReaches(ctx.hub, 'gleitzeit_sessions_closed_total{reason="payload too large"}', before + 1), before + 1);
});
hostile("Content-Length 2^64 - 1 for an unknown sid: 413", (ctx) =>
  answers(ctx, request(ctx, `POST ${engine}&sid=nope HTTP/1.1`, ["Content-Length: 18446744073709551615"]), 413, TOO_LARGE));
hostile("a chunked body growing past max_payload: 413, and the session is closed", async (ctx) => {
  const s = await pollingSession(ctx.hub.url);
  const chunk = (n) => `${n.toString(16)}\r\n${"4" + "y".repeat(n - 1)}\r\n`;
  const head = request(ctx, `POST ${engine}&sid=${s.sid} HTTP/1.1`, ["Transfer-Encoding: chunked"]);
  await answers(ctx, [head, chunk(600000), chunk(600000)], 413, TOO_LARGE);
  assert.deepEqual(await http(s.at).then((x) => [x.status, x.text]), [400, SESSION_UNKNOWN]);
});
hostile("a body over 64 KiB to /health: 413", (ctx) =>
  answers(ctx, request(ctx, "POST /health HTTP/1.1", ["Content-Length: 70000"]), 413, TOO_LARGE));

// Stalled requests ([server] request_timeout, 2 s in the fixture): closed without an answer.
hostile("slowloris: header bytes trickling in are cut off at request_timeout", async (ctx) => {
  const trickle = ["GET /health HTTP/1.1\r\n", ...Array.from({ length: 120 }, () => "X")];
  const r = await dropped(ctx, trickle, REQUEST_TIMEOUT_MS + 1500, { gap: 100 });
  assert.ok(r.at >= REQUEST_TIMEOUT_MS - 100, `closed after ${r.at} ms, before request_timeout`);
});
hostile("a Content-Length that lies (100 announced, 3 sent) is cut off at request_timeout; the session stays", async (ctx) => {
  const s = await pollingSession(ctx.hub.url);
  const r = await dropped(ctx, request(ctx, `POST ${engine}&sid=${s.sid} HTTP/1.1`, ["Content-Length: 100"], "40{"), REQUEST_TIMEOUT_MS + 1500);
  assert.ok(r.at >= REQUEST_TIMEOUT_MS - 100, `closed after ${r.at} ms`);
  // Nothing of the cut POST reached the session, which still takes a proper one.
  assert.deepEqual(await http(s.at, { method: "POST", body: `40${JSON.stringify({ token: TOKENS.hostile.token })}` }).then((x) => [x.status, x.text]), [200, "ok"]);
  assert.match((await http(s.at)).text, /^40\{"sid":"[^"]+"\}$/);
});
hostile("200 pipelined requests in one write get 200 answers, in order", async (ctx) => {
  const one = `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${ctx.hub.port}\r\n\r\n`;
  const r = await rawHttp(ctx.hub.port, one.repeat(199) + request(ctx, "GET /nope HTTP/1.1"));
  const statuses = [...r.text.matchAll(/^HTTP\/1\.1 (\d+) /gm)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [...Array(199).fill(200), 404]);
});

// Bad WebSocket upgrades.
function upgrade(ctx, path, { key = "dGhlIHNhbXBsZSBub25jZQ==", version = "13" } = {}) {
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${ctx.hub.port}`, "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Version: ${version}`];
  if (key) lines.push(`Sec-WebSocket-Key: ${key}`);
  return lines.join("\r\n") + "\r\n\r\n";
}
const wsPath = "/socket.io/?EIO=4&transport=websocket";
for (const [what, path, opts, status, body] of [
  ["without Sec-WebSocket-Key", wsPath, { key: null }, 426, BAD_REQUEST],
  ["with Sec-WebSocket-Version 8", wsPath, { version: "8" }, 426, BAD_REQUEST],
  ["with a key of 100 characters", wsPath, { key: "K".repeat(100) }, 426, BAD_REQUEST],
  ["at an unknown path", "/admin", {}, 404, NOT_FOUND],
  ["with transport=polling", engine, {}, 400, BAD_REQUEST],
  ["for an unknown sid", `${wsPath}&sid=nope`, {}, 400, SESSION_UNKNOWN],
  ["with EIO=3", "/socket.io/?EIO=3&transport=websocket", {}, 400, '{"code":5,"message":"Unsupported protocol version"}'],
]) {
  hostile(`an upgrade ${what}: ${status}`, async (ctx) => {
    const r = await answers(ctx, upgrade(ctx, path, opts), status, body);
    if (status === 426) assert.match(r.head, /^Sec-WebSocket-Version: 13$/im);
  });
}
