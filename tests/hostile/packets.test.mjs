// Hostile Engine.IO and Socket.IO packets (issue 18), over a raw WebSocket and raw
// long-polling. docs/events.md "Transport": malformed input closes that session and no other;
// a message over max_payload closes it with 1009 (413 on polling). Each case asserts the
// close (code, the packets before it, the gleitzeit_sessions_closed_total reason), and the
// fixture asserts the RSS bound and the bystanders around it.
import assert from "node:assert/strict";
import { suite, TOKENS, MAX_PAYLOAD, closedAs, metricReaches, sleep } from "./fixture.mjs";
import { OP, RawWs, wsFrame, wsSession, pollingSession, http, BAD_REQUEST, SESSION_UNKNOWN } from "./wire.mjs";

const hostile = suite();
const TOKEN = TOKENS.hostile.token;
const series = (reason) => `gleitzeit_sessions_closed_total{reason="${reason}"}`;

/**
 * A session joined to "/" sends `bad` (frames, or a function of the RawWs); the hub must close
 * it with close code `code`, having sent exactly `packets` (text frames) first, and count it
 * once under `reason`.
 */
async function closesSession(ctx, bad, { code = 1000, packets = ["1"], reason = "parse error", join = true } = {}) {
  const before = await closedAs(ctx.hub, reason);
  const ws = join ? await wsSession(ctx.hub.port, TOKEN) : await RawWs.open(ctx.hub.port);
  if (!join) assert.match(await ws.text(), /^0\{"sid":/);
  if (typeof bad === "function") await bad(ws);
  else for (const f of [].concat(bad)) ws.send(f);
  const closed = await ws.expectClose();
  assert.equal(closed.code, code, `close code (packets seen: ${JSON.stringify(ws.frames.map((f) => f.data.toString()))})`);
  assert.deepEqual(ws.frames.filter((f) => f.op === OP.text).map((f) => f.data.toString()), packets);
  assert.equal(await metricReaches(ctx.hub, series(reason), before + 1), before + 1);
}

/** A session that must stay: after `bad` it answers exactly `answers`, then an echo. */
async function staysOpen(ctx, bad, answers = []) {
  const ws = await wsSession(ctx.hub.port, TOKEN);
  for (const f of [].concat(bad)) ws.send(f);
  ws.send('429["echo","still"]');
  const got = [];
  for (let i = 0; i <= answers.length; i++) got.push(await ws.text());
  assert.deepEqual(got, [...answers, '439["still"]']);
  ws.destroy();
}

const placeholder = (n) => `{"_placeholder":true,"num":${n}}`;
const nested = (depth) => "[".repeat(depth) + "]".repeat(depth);

// Engine.IO packets on WebSocket: the Engine.IO layer closes without a close packet.
hostile("an unknown Engine.IO packet type closes the session (parse error)", (ctx) => closesSession(ctx, "abc", { packets: [] }));
hostile("an empty text frame closes the session (parse error)", (ctx) => closesSession(ctx, "", { packets: [] }));
hostile("an Engine.IO open packet from the client closes the session", (ctx) => closesSession(ctx, "0", { packets: [] }));
hostile("a probe ping on a session already on WebSocket closes it", (ctx) => closesSession(ctx, "2probe", { packets: [] }));

// Socket.IO packets: refused by the Socket.IO layer, which sends the close packet "1" first.
hostile("an unknown Socket.IO packet type closes the session", (ctx) => closesSession(ctx, "49"));
hostile("an EVENT that is an object, not an array, closes the session", (ctx) => closesSession(ctx, "42{}"));
hostile("an EVENT whose name is a number closes the session", (ctx) => closesSession(ctx, "42[1]"));
hostile("an EVENT with truncated JSON closes the session", (ctx) => closesSession(ctx, '42["echo",{"a":'));
hostile("a CONNECT_ERROR sent by a client closes the session", (ctx) => closesSession(ctx, '44{"message":"x"}'));
hostile("a CONNECT whose auth is a string closes the session", (ctx) =>
  closesSession(ctx, '40"token"', { join: false }));
hostile("JSON nested 33 deep is refused as invalid and closes the session; 32 deep is answered", async (ctx) => {
  // docs/events.md: at most 32 deep, ["e",[1]] being 2.
  await staysOpen(ctx, `421["echo",${nested(31)}]`, [`431[${nested(31)}]`]);
  await closesSession(ctx, `421["echo",${nested(32)}]`);
});
hostile("text that is not UTF-8 inside a string closes the session", (ctx) =>
  closesSession(ctx, (ws) => ws.socket.write(wsFrame(OP.text, Buffer.concat([Buffer.from('42["echo","'), Buffer.from([0xff, 0xfe]), Buffer.from('"]')])))));

// Namespaces and tokens: a refused CONNECT is answered, and the session stays.
hostile("CONNECT to an unknown namespace, without a token and with a wrong one: CONNECT_ERROR each, and the session stays", async (ctx) => {
  const ws = await RawWs.open(ctx.hub.port);
  await ws.text();
  ws.send("40/admin,");
  assert.equal(await ws.text(), '44/admin,{"message":"Invalid namespace"}');
  ws.send("40");
  assert.equal(await ws.text(), '44{"message":"unauthorized","data":{"code":"unauthorized","reason":"no token in the auth payload"}}');
  ws.send('40{"token":"guess"}');
  assert.equal(await ws.text(), '44{"message":"unauthorized","data":{"code":"unauthorized","reason":"unknown token"}}');
  ws.send(`40${JSON.stringify({ token: TOKEN })}`);
  assert.match(await ws.text(), /^40\{"sid":"[^"]+"\}$/);
  ws.destroy();
});
hostile("events, acks and a DISCONNECT before CONNECT are dropped unanswered; the session stays", async (ctx) => {
  const ws = await RawWs.open(ctx.hub.port);
  await ws.text();
  for (let i = 0; i < 2000; i++) ws.send(`42${i}["echo","${i}"]`);
  ws.send('4377["x"]');
  ws.send("41");
  ws.send(`40${JSON.stringify({ token: TOKEN })}`);
  // The first answer is the CONNECT's: none of the 2000 echoes was answered.
  assert.match(await ws.text(), /^40\{"sid":/);
  ws.send('425["echo","now"]');
  assert.equal(await ws.text(), '435["now"]');
  ws.destroy();
});
hostile("an ACK for an id the hub never sent is ignored", (ctx) => staysOpen(ctx, '4399["forged"]'));
hostile("numbers beyond a double's range are read as null", (ctx) =>
  staysOpen(ctx, `421["echo",1e400,${"9".repeat(400)}]`, ["431[null,null]"]));

// Binary attachments (docs/events.md "Transport": an attachment nobody announced closes).
hostile("a binary frame that no packet announced closes the session", (ctx) => closesSession(ctx, Buffer.from([1, 2, 3])));
hostile("attachments announced before CONNECT close the session at the announcing packet", (ctx) =>
  closesSession(ctx, [`451-["echo",${placeholder(0)}]`, Buffer.alloc(64 * 1024, 1)], { join: false }));
hostile("a packet announcing more than 10,000 attachments closes the session", (ctx) =>
  closesSession(ctx, `4510001-["echo",${placeholder(0)}]`));
hostile("a placeholder naming an attachment not announced closes the session", (ctx) =>
  closesSession(ctx, `451-["echo",${placeholder(5)}]`));
hostile("a text packet while attachments are due closes the session", (ctx) =>
  closesSession(ctx, [`452-["echo",${placeholder(0)},${placeholder(1)}]`, Buffer.from([1]), '421["echo",1]']));
hostile("attachments of one packet past max_payload in all close the session", (ctx) =>
  closesSession(ctx, [`455-["echo",${[0, 1, 2, 3, 4].map(placeholder).join(",")}]`, ...[0, 1, 2, 3, 4].map((i) => Buffer.alloc(300 * 1024, i))]));

// WebSocket framing: protocol errors close with 1002, sizes past max_payload with 1009.
const framing = { packets: [], reason: "transport error", code: 1002 };
hostile("an unmasked client frame closes with 1002", (ctx) =>
  closesSession(ctx, (ws) => ws.socket.write(wsFrame(OP.text, '42["echo"]', { mask: false })), framing));
hostile("a reserved opcode closes with 1002", (ctx) => closesSession(ctx, (ws) => ws.socket.write(wsFrame(3, "x")), framing));
hostile("a ping of 200 bytes (control frames carry at most 125) closes with 1002", (ctx) =>
  closesSession(ctx, (ws) => ws.socket.write(wsFrame(OP.ping, "p".repeat(200))), framing));
hostile("a continuation frame with nothing to continue closes with 1002", (ctx) =>
  closesSession(ctx, (ws) => ws.socket.write(wsFrame(OP.continuation, "x")), framing));
const tooBig = { packets: [], reason: "payload too large", code: 1009 };
hostile(`a message of ${MAX_PAYLOAD + 1} bytes closes with 1009`, (ctx) => closesSession(ctx, "4" + "x".repeat(MAX_PAYLOAD), tooBig));
hostile("a frame announcing 2^52 bytes closes with 1009 before any of them", (ctx) =>
  closesSession(ctx, (ws) => ws.socket.write(wsFrame(OP.text, "", { length: 2 ** 52 })), tooBig));
hostile("fragments adding up past max_payload close with 1009", (ctx) =>
  closesSession(ctx, (ws) => {
    ws.socket.write(wsFrame(OP.text, "4" + "x".repeat(MAX_PAYLOAD / 2), { fin: false }));
    ws.socket.write(wsFrame(OP.continuation, "x".repeat(MAX_PAYLOAD / 2)));
  }, tooBig));
hostile("an Engine.IO close packet closes the session as the client's close", (ctx) =>
  closesSession(ctx, "1", { packets: [], reason: "client close" }));

// Long-polling: a malformed body is 400 Bad request and the session is gone.
for (const [what, body] of [["an unknown packet type", "abc"], ["an empty body", ""], ["invalid base64", "b!!!!"], ["a malformed Socket.IO packet after a CONNECT", `40${JSON.stringify({ token: TOKEN })}\x1e42{}`]]) {
  hostile(`a polling POST with ${what}: 400 Bad request, then the sid is unknown`, async (ctx) => {
    const before = await closedAs(ctx.hub, "parse error");
    const s = await pollingSession(ctx.hub.url);
    assert.deepEqual(await http(s.at, { method: "POST", body }).then((r) => [r.status, r.text]), [400, BAD_REQUEST]);
    assert.deepEqual(await http(s.at).then((r) => [r.status, r.text]), [400, SESSION_UNKNOWN]);
    assert.equal(await metricReaches(ctx.hub, series("parse error"), before + 1), before + 1);
  });
}
hostile("a second concurrent GET: 400, the held GET gets the close packet, and the sid is unknown", async (ctx) => {
  const before = await closedAs(ctx.hub, "concurrent poll");
  const s = await pollingSession(ctx.hub.url);
  const held = http(s.at);
  await sleep(100);
  assert.deepEqual(await http(s.at).then((r) => [r.status, r.text]), [400, BAD_REQUEST]);
  assert.deepEqual(await held.then((r) => [r.status, r.text]), [200, "1"]);
  assert.deepEqual(await http(s.at).then((r) => [r.status, r.text]), [400, SESSION_UNKNOWN]);
  assert.equal(await metricReaches(ctx.hub, series("concurrent poll"), before + 1), before + 1);
});
hostile("a second WebSocket for a sid already upgraded is closed; the first goes on", async (ctx) => {
  const s = await pollingSession(ctx.hub.url);
  const first = await RawWs.open(ctx.hub.port, `/socket.io/?EIO=4&transport=websocket&sid=${s.sid}`);
  first.send("2probe");
  assert.equal(await first.text(), "3probe");
  first.send("5");
  first.send(`40${JSON.stringify({ token: TOKEN })}`);
  assert.match(await first.text(), /^40\{"sid":/);
  const second = await RawWs.open(ctx.hub.port, `/socket.io/?EIO=4&transport=websocket&sid=${s.sid}`);
  assert.equal((await second.expectClose()).code, 1000);
  first.send('421["echo","first"]');
  assert.equal(await first.text(), '431["first"]');
  first.destroy();
});
