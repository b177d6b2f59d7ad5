// The hostile clients of the scale cases, on raw net sockets (1,000 at once must cost the test
// little): each kind writes the same prepared bytes, so a client is one socket and a buffer.
import net from "node:net";
import { readFileSync } from "node:fs";
import { textFrame, binaryFrame, upgradeRequest } from "./wire.mjs";

/** The open-file limit of this process: 1,000 sockets need room (ulimit -n). */
export function fdLimit() {
  return Number(readFileSync("/proc/self/limits", "utf8").match(/^Max open files\s+(\d+)/m)[1]);
}

/** Resolves once `n` net connections to `port` have each been handed to `start(socket, i)`. */
function crowd(port, n, start) {
  return Promise.all(Array.from({ length: n }, (_, i) => new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {}); // a reset from the hub is what some kinds are after
    let connected = false;
    s.once("connect", () => {
      connected = true;
      resolve(start(s, i) ?? s);
    });
    s.once("close", () => connected || resolve({ socket: s, refused: true }));
  })));
}

/**
 * Writes a WebSocket upgrade on `s` and resolves once the hub has answered it: a client may
 * send frames only after the 101 (RFC 6455 4.1), and the hub drops what comes before.
 */
function upgraded(port, s) {
  return new Promise((resolve) => {
    s.once("data", resolve);
    s.once("close", resolve);
    s.write(upgradeRequest(port));
  });
}

/** Kind 1: WebSocket clients that join "/" and send `count` echo requests of `size` bytes, and never read. */
export function nonReaders(port, n, token, { count, size }) {
  const echo = (i) => textFrame(`42${i}["echo","${"e".repeat(size)}"]`);
  const bytes = Buffer.concat([textFrame(`40${JSON.stringify({ token })}`), ...Array.from({ length: count }, (_, i) => echo(i))]);
  return crowd(port, n, async (s) => {
    await upgraded(port, s);
    s.pause(); // from here on nothing is read: what the hub answers stays in the kernel and the hub
    s.write(bytes);
    return s;
  });
}

/**
 * Kind 3: WebSocket clients that never CONNECT, announce `announce` attachments in one packet
 * and then stream `frames` binary frames of `size` bytes. Each resolves with {socket, closed}:
 * `closed` resolves when the hub has ended the connection.
 */
export function attachmentStreamers(port, n, { announce, frames, size }) {
  const head = textFrame(`45${announce}-["echo",{"_placeholder":true,"num":0}]`);
  const blob = binaryFrame(Buffer.alloc(size, 0xab));
  return crowd(port, n, async (s) => {
    const closed = new Promise((resolve) => s.once("close", () => resolve(true)));
    await upgraded(port, s);
    s.on("data", () => {}); // reads the open packet and the close
    s.write(head);
    for (let i = 0; i < frames && !s.destroyed; i++) s.write(blob);
    return { socket: s, closed };
  });
}

/**
 * A minimal HTTP/1.1 exchange on one kept-alive socket: writes `request`, resolves with
 * {status, body} of the answer (bodies with Content-Length only), or {status: 0} if the
 * connection ends first.
 */
export function exchange(s, request) {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const done = (v) => {
      s.off("data", on);
      s.off("close", closed);
      resolve(v);
    };
    const on = (d) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = got.subarray(0, end).toString();
      const length = Number(head.match(/^content-length: (\d+)$/im)?.[1] ?? 0);
      if (got.length < end + 4 + length) return;
      done({ status: Number(head.split(" ")[1]), body: got.subarray(end + 4, end + 4 + length).toString() });
    };
    const closed = () => done({ status: 0, body: "" });
    if (s.destroyed) return closed();
    s.on("data", on);
    s.once("close", closed);
    s.write(request);
  });
}

const handshake = (port) => `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
const post = (port, sid, body, length = Buffer.byteLength(body)) =>
  `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
  `Content-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n${body}`;

/** A polling session on socket `s`: its sid. */
async function openSession(port, s) {
  const open = await exchange(s, handshake(port));
  return JSON.parse(open.body.slice(1)).sid;
}

/**
 * Kind 4: long-polling sessions that join "/" and POST `posts` bodies of `perPost` echo
 * requests of `size` bytes, and never GET. Resolves with each session's {sid, statuses}.
 */
export function nonGetters(port, n, token, { posts, perPost, size }) {
  const body = Array.from({ length: perPost }, (_, i) => `42${i}["echo","${"p".repeat(size)}"]`).join("\x1e");
  return crowd(port, n, async (s) => {
    const sid = await openSession(port, s);
    const statuses = [(await exchange(s, post(port, sid, `40${JSON.stringify({ token })}`))).status];
    for (let i = 0; i < posts; i++) statuses.push((await exchange(s, post(port, sid, body))).status);
    return { socket: s, sid, statuses };
  });
}

/**
 * Oversize Content-Length: sessions that POST announcing `length` bytes and send `sent` of
 * them. Resolves with each one's {sid, status, body} of the answer.
 */
export function oversizePosters(port, n, { length, sent }) {
  return crowd(port, n, async (s) => {
    const sid = await openSession(port, s);
    const answer = await exchange(s, post(port, sid, "4" + "o".repeat(sent - 1), length));
    return { socket: s, sid, ...answer };
  });
}

/**
 * Slowloris: connections that send a request line, then one header byte every `gap` ms, and
 * never finish. Each resolves with {at, bytes}: when the hub closed it, and what it answered.
 */
export function slowloris(port, n, { gap }) {
  const t0 = Date.now();
  return crowd(port, n, (s) => new Promise((resolve) => {
    let bytes = 0;
    s.on("data", (d) => (bytes += d.length));
    s.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
    const timer = setInterval(() => s.destroyed || s.write("z"), gap);
    s.once("close", () => {
      clearInterval(timer);
      resolve({ socket: s, at: Date.now() - t0, bytes });
    });
  }));
}
