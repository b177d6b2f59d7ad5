// The wire spoken by hand, so that a case can send what no real client sends and see exactly
// what comes back: raw HTTP over net sockets, a raw WebSocket (frames built and read here),
// and Engine.IO long-polling over fetch.
import net from "node:net";
import { randomBytes } from "node:crypto";

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** One client WebSocket frame: masked unless `mask` is false, final unless `fin` is false. */
export function wsFrame(op, payload, { fin = true, mask = true, length } = {}) {
  const data = Buffer.isBuffer(payload) ? Buffer.from(payload) : Buffer.from(payload ?? "");
  const n = length ?? data.length; // a case may announce a length it does not send
  const head = [(fin ? 0x80 : 0) | op];
  const m = mask ? 0x80 : 0;
  if (n < 126) head.push(m | n);
  else if (n < 65536) head.push(m | 126, n >> 8, n & 255);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(n));
    head.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, data]);
}

export const textFrame = (s) => wsFrame(OP.text, s);
export const binaryFrame = (b) => wsFrame(OP.binary, b);

/** The upgrade request of a WebSocket on `path`, with `extra` header lines. */
export function upgradeRequest(port, path = "/socket.io/?EIO=4&transport=websocket", extra = {}) {
  const headers = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  const lines = Object.entries(headers).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * A WebSocket over a net socket, frames read and written here. `frames` collects what the
 * server sent ({op, data}); text frames "2" (Engine.IO pings) are answered with "3" and not
 * kept. `closed` resolves with {code, at}: the code of the server's close frame (null if the
 * TCP connection ended without one), and when the connection ended.
 */
export class RawWs {
  static open(port, path, extra) {
    const ws = new RawWs(port);
    ws.socket.write(upgradeRequest(port, path, extra));
    return ws.upgraded;
  }
  constructor(port) {
    this.t0 = Date.now();
    this.frames = [];
    this.waiters = [];
    this.closeCode = null;
    this.pending = Buffer.alloc(0);
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.on("error", () => {});
    this.upgraded = new Promise((resolve, reject) => {
      this.onHead = (status, head) => (status === 101 ? resolve(this) : reject(new Error(`upgrade answered ${status}: ${head}`)));
    });
    this.closed = new Promise((resolve) => {
      this.socket.on("close", () => {
        this.onHead?.(0, "(closed)");
        this.wake();
        resolve({ code: this.closeCode, at: Date.now() - this.t0 });
      });
    });
    this.socket.on("data", (d) => this.feed(d));
  }
  feed(d) {
    this.pending = Buffer.concat([this.pending, d]);
    if (this.onHead) {
      const end = this.pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.pending.subarray(0, end).toString();
      this.pending = this.pending.subarray(end + 4);
      const done = this.onHead;
      this.onHead = null;
      done(Number(head.split(" ")[1]), head);
    }
    for (;;) {
      const p = this.pending;
      if (p.length < 2) return;
      let n = p[1] & 127;
      let at = 2;
      if (n === 126) {
        if (p.length < 4) return;
        n = p.readUInt16BE(2);
        at = 4;
      } else if (n === 127) {
        if (p.length < 10) return;
        n = Number(p.readBigUInt64BE(2));
        at = 10;
      }
      if (p.length < at + n) return;
      const frame = { op: p[0] & 15, data: p.subarray(at, at + n) };
      this.pending = p.subarray(at + n);
      if (frame.op === OP.close) this.closeCode = n >= 2 ? frame.data.readUInt16BE(0) : 1005;
      else if (frame.op === OP.text && frame.data.toString() === "2") this.send("3");
      else this.frames.push(frame);
      this.wake();
    }
  }
  wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  send(data) {
    this.socket.write(Buffer.isBuffer(data) ? binaryFrame(data) : textFrame(data));
  }
  /** The next text frame the server sent. */
  async text(ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex((f) => f.op === OP.text);
      if (i >= 0) return this.frames.splice(i, 1)[0].data.toString();
      if (this.socket.destroyed || Date.now() > deadline) throw new Error(`no text frame within ${ms} ms (closed: ${this.socket.destroyed})`);
      await new Promise((r) => {
        const timer = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => (clearTimeout(timer), r()));
      });
    }
  }
  /** The close of the connection, with the code of the server's close frame; throws after `ms`. */
  async expectClose(ms = 5000) {
    let timer;
    const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms)));
    return Promise.race([this.closed, limit]).finally(() => clearTimeout(timer));
  }
  destroy() {
    this.socket.destroy();
  }
}

/** A WebSocket session joined to "/" with `token`: the open packet and CONNECT reply read. */
export async function wsSession(port, token) {
  const ws = await RawWs.open(port);
  const open = JSON.parse((await ws.text()).slice(1));
  ws.send(`40${JSON.stringify({ token })}`);
  const reply = await ws.text();
  if (!reply.startsWith('40{"sid":')) throw new Error(`CONNECT answered ${reply}`);
  ws.sid = open.sid;
  return ws;
}

/**
 * Sends `data` (a string, a Buffer, or a list of them written `gap` ms apart) on a fresh TCP
 * connection and collects what comes back until the server closes it or `ms` pass. The
 * answer: {text, closed, at (ms to the close), status, body} of the first HTTP response.
 */
export function rawHttp(port, data, { ms = 5000, gap = 0, end = false } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, "127.0.0.1");
    const chunks = [];
    let closed = false;
    s.on("error", () => {});
    s.on("data", (d) => chunks.push(d));
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.split("\r\n\r\n")[0];
      const status = text ? Number(head.split(" ")[1]) : null;
      const body = text.slice(head.length + 4);
      s.destroy();
      resolve({ text, closed, at: Date.now() - t0, status, head, body });
    };
    const timer = setTimeout(finish, ms);
    s.on("close", () => {
      closed = true;
      finish();
    });
    s.on("connect", async () => {
      for (const part of [].concat(data)) {
        if (s.destroyed) break;
        s.write(part);
        if (gap) await new Promise((r) => setTimeout(r, gap));
      }
      if (end) s.end();
    });
  });
}

/** An Engine.IO long-polling session: its sid and the URL to GET and POST. */
export async function pollingSession(url) {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`handshake answered ${res.status}: ${text}`);
  const sid = JSON.parse(text.slice(1)).sid;
  return { sid, at: `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}` };
}

/** fetch, with the answer's status and text. */
export async function http(url, init) {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export const SESSION_UNKNOWN = '{"code":1,"message":"Session ID unknown"}';
export const BAD_REQUEST = '{"code":3,"message":"Bad request"}';
export const TOO_LARGE = '{"code":3,"message":"Payload too large"}';
