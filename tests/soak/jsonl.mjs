// What every soak process shares: the JSON-lines logs the checker reads, and a seeded random
// generator, so that a run's schedule of faults and workflow shapes repeats from its seed.
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * An append-only log of JSON lines. Each line is written with one write(2), so a process
 * killed with SIGKILL leaves whole lines (the kernel keeps what was written); `durable`
 * lines are also fdatasync'd before the caller goes on, for the lines a verdict rests on
 * (a provider's result before it answers, a client's acknowledgements).
 */
export class JsonLog {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, "a");
    this.dirty = false;
    // Lines that are not durable one by one are synced in batches: fsync per event would
    // cost more than the work the soak measures.
    this.timer = setInterval(() => this.sync(), 200);
    this.timer.unref();
  }

  write(record, durable = false) {
    if (this.fd === null) return;
    writeSync(this.fd, JSON.stringify(record) + "\n");
    this.dirty = true;
    if (durable) this.sync();
  }

  sync() {
    if (this.fd === null || !this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  close() {
    if (this.fd === null) return;
    this.sync();
    clearInterval(this.timer);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** The records of a log; a torn last line (a writer killed mid-write) is skipped. */
export function readLog(path) {
  if (!existsSync(path)) return [];
  const out = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // Only the last line can be torn; anything else would be a writer's bug and shows up
      // as missing records in the checker's figures.
    }
  }
  return out;
}

/** Every `*.jsonl` in `dir`, as {name: records}. */
export function readLogs(dir) {
  const logs = {};
  if (!existsSync(dir)) return logs;
  for (const f of readdirSync(dir).sort())
    if (f.endsWith(".jsonl")) logs[f.slice(0, -".jsonl".length)] = readLog(join(dir, f));
  return logs;
}

/** mulberry32: small, fast, and the same sequence for the same seed in every process. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    /** A key of `weights` ({name: weight}), chosen by weight. */
    weighted(weights) {
      const total = Object.values(weights).reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (const [k, w] of Object.entries(weights)) if ((r -= w) < 0) return k;
      return Object.keys(weights).at(-1);
    },
    shuffle(list) {
      const a = [...list];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The ms since the epoch of an ISO 8601 time, or null. */
export function isoMs(text) {
  const ms = typeof text === "string" ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : null;
}
