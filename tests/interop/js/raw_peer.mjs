// A raw WebSocket peer for the protocol tests: the Engine.IO and Socket.IO wire spoken by
// hand, so that the tests see exactly what the server sends and can send what no real
// client would.
import assert from "node:assert/strict";
import WebSocket from "ws";

const WAIT = 5000;
const peers = new Set();

/** Terminates every peer made so far (for after() hooks). */
export function closeAllPeers() {
  for (const p of peers) p.terminate();
  peers.clear();
}

export function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A queue of received items that a test awaits one at a time. */
export class Inbox {
  #items = [];
  #waiters = [];
  #end = null;
  push(item) {
    const w = this.#waiters.shift();
    if (w) w.resolve(item);
    else this.#items.push(item);
  }
  end(err) {
    if (this.#end) return;
    this.#end = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
  next(ms, what) {
    if (this.#items.length) return Promise.resolve(this.#items.shift());
    if (this.#end) return Promise.reject(this.#end);
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.#waiters.push(w);
    });
  }
}

/**
 * A raw WebSocket peer. Text frames arrive as strings, binary frames as Buffers.
 * With autoPong it answers every ping "2" with "3" and hides it, like a real client;
 * heartbeat tests turn that off to see the pings themselves.
 */
export class Peer {
  constructor(url, { autoPong = false } = {}) {
    this.ws = new WebSocket(url);
    this.inbox = new Inbox();
    this.errors = [];
    this.ws.on("error", (e) => this.errors.push(e));
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code, reason) => {
        this.inbox.end(new Error(`WebSocket closed (code ${code}) while a frame was awaited`));
        resolve({ code, reason: reason.toString() });
      });
    });
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) {
        this.inbox.push(Buffer.from(data));
        return;
      }
      const text = data.toString();
      if (autoPong && text === "2") this.ws.send("3");
      else this.inbox.push(text);
    });
    peers.add(this);
  }
  opened() {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    const p = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("close", () => reject(new Error(`WebSocket closed before it opened: ${this.errors.join("; ")}`)));
    });
    return withTimeout(p, WAIT, "the WebSocket to open");
  }
  send(data) {
    this.ws.send(data);
  }
  next(ms = WAIT) {
    return this.inbox.next(ms, "a WebSocket frame");
  }
  async text(ms = WAIT) {
    const m = await this.next(ms);
    assert.equal(typeof m, "string", `expected a text frame, got binary ${m.toString("hex")}`);
    return m;
  }
  /** The Engine.IO open packet's JSON. */
  async handshake() {
    const open = await this.text();
    assert.match(open, /^0\{/, `expected an open packet, got ${JSON.stringify(open)}`);
    return JSON.parse(open.slice(1));
  }
  expectClose(ms = WAIT) {
    return withTimeout(this.closed, ms, "the WebSocket to close");
  }
  terminate() {
    this.ws.terminate();
  }
}

/** A WebSocket whose upgrade request must be refused with HTTP `status`. */
export async function expectRefused(url, status) {
  const peer = new Peer(url);
  let opened = false;
  peer.ws.once("open", () => (opened = true));
  const { code } = await peer.expectClose();
  assert.equal(opened, false, `the upgrade at ${url} was accepted`);
  assert.equal(code, 1006);
  assert.deepEqual(
    peer.errors.map((e) => e.message),
    [`Unexpected server response: ${status}`],
  );
}
