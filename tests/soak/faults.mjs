// The faults the soak injects, at random from its seed. Kinds come in shuffled rounds (each
// kind once per round, but a hub kill only once the incarnation has lived hubLifeMs), so
// that even a one-minute run sees every kind, with random gaps between them. Stalls and a full disk last a while and run on beside the next faults;
// everything else is done before the next one starts. Each fault is logged to faults.jsonl
// as {t, kind, ...what happened}; the checker counts them by kind.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { hubConfig, writeConfig } from "./hub.mjs";
import { sleep } from "./jsonl.mjs";

// The slots a swap_plugin goes to: every slot of the config (docs/plugins.md). For
// "provider" the hub swaps each running instance of the file's plugin: provider-echo here.
const SLOTS = ["queue", "resolver", "registry", "persistence", "provider"];

export class Faults {
  /**
   * `ctx`: {r (rng), hub, providers, clients, admin (() => socket), log (JsonLog), staged,
   * configPath, stateDir, dropin, tmpfs (whether stateDir is the soak's own tmpfs), gapMs: [lo, hi],
   * skip: [kinds not to inject], hubLifeMs: the least time between two hub kills, so that
   * an incarnation lives long enough for its memory and fds to show a trend}
   */
  constructor(ctx) {
    Object.assign(this, ctx);
    this.variant = 0; // of the config (hubConfig): what the next reload changes
    this.queueV2 = false; // the queue build that swap_plugin put in last
    this.lasting = new Set(); // stalls and full disks not yet over
    this.hubSince = Date.now(); // when the running incarnation started
  }

  kinds() {
    const all = ["hub_kill", "provider_kill", "swap", "reload", "client_drop", "provider_stall", "disk_full"];
    // Filling the real disk under /tmp would hurt the machine, not test the hub.
    return all.filter((k) => !this.skip.includes(k) && (this.tmpfs || k !== "disk_full"));
  }

  /** Injects faults until `until` (ms since the epoch), then waits for the lasting ones. */
  async run(until) {
    while (Date.now() < until)
      for (const kind of this.r.shuffle(this.kinds())) {
        await sleep(this.r.int(...this.gapMs));
        if (Date.now() >= until) break;
        if (kind === "hub_kill" && Date.now() - this.hubSince < this.hubLifeMs) continue;
        try {
          await this[kind]();
        } catch (e) {
          this.note(kind, { ok: false, error: String(e?.message ?? e) });
        }
      }
    await Promise.all(this.lasting);
  }

  /** Logs a fault; `t` is when it struck (a kill's moment, not the restart's). */
  note(kind, detail, t = Date.now()) {
    this.log.write({ t, kind, ...detail }, true);
  }

  async hub_kill() {
    const t = Date.now();
    const killed = await this.hub.kill();
    const down = this.r.int(0, 1500);
    await sleep(down);
    await this.hub.start();
    this.hubSince = Date.now();
    this.note("hub_kill", { killed, down_ms: down, incarnation: this.hub.incarnation }, t);
  }

  async provider_kill() {
    const p = this.r.pick(this.providers);
    const t = Date.now();
    await p.kill();
    const down = this.r.int(0, 2000);
    await sleep(down);
    const registered = await p.start(this.hub.url, 10000);
    this.note("provider_kill", { provider: p.name, down_ms: down, registered }, t);
  }

  /** swap_plugin on every slot, one after another in random order. */
  async swap() {
    for (const slot of this.r.shuffle(SLOTS)) {
      const path = this.swapTarget(slot);
      const reply = await this.adminCall("swap_plugin", { slot, path });
      this.note("swap", { slot, path, ok: reply.ok === true, error: reply.error ?? reply.lost });
      await sleep(this.r.int(0, 500));
    }
  }

  swapTarget(slot) {
    if (slot === "queue") {
      // The other build of queue-memory, back and forth: its state moves across each time.
      this.queueV2 = !this.queueV2;
      return this.queueV2 ? this.staged.queueV2 : this.staged.queue;
    }
    // The others have one build: the same file again is still a whole swap (a new private
    // copy, a new generation, the state handed over).
    return slot === "provider" ? this.staged.echo : this.staged[slot];
  }

  async reload() {
    this.variant++;
    writeConfig(this.configPath, hubConfig({ staged: this.staged, stateDir: this.stateDir, dropin: this.dropin, variant: this.variant }));
    // Both ways the hub is told: SIGHUP, and the admin event.
    if (this.r.next() < 0.5 && this.hub.proc) {
      this.hub.proc.kill("SIGHUP");
      await sleep(1000);
      const last = await health(this.hub.url).then((h) => h.last_reload, (e) => ({ lost: e.message }));
      this.note("reload", { how: "SIGHUP", variant: this.variant, ok: last?.ok === true && last.trigger === "SIGHUP", last });
    } else {
      const reply = await this.adminCall("reload_config");
      this.note("reload", { how: "reload_config", variant: this.variant, ok: reply.ok === true, error: reply.error ?? reply.lost, applied: reply.reload?.applied });
    }
  }

  async client_drop() {
    const c = this.r.pick(this.clients);
    const ms = this.r.int(200, 3000);
    c.send({ cmd: "drop", ms });
    this.note("client_drop", { client: c.name, ms });
  }

  async provider_stall() {
    const p = this.r.pick(this.providers.filter((x) => !x.stalled));
    if (!p) return;
    const ms = this.r.int(2000, 8000);
    if (!p.stall(true)) return;
    this.note("provider_stall", { provider: p.name, ms });
    this.last(sleep(ms).then(() => p.stall(false)));
  }

  async disk_full() {
    if ([...this.lasting].some((x) => x.kind === "disk_full")) return;
    const filler = join(this.stateDir, "filler");
    const bytes = fill(filler);
    const ms = this.r.int(1000, 5000);
    this.note("disk_full", { filled_bytes: bytes, ms });
    const done = this.last(sleep(ms).then(() => rmSync(filler, { force: true })));
    done.kind = "disk_full";
  }

  /** Keeps a lasting fault's end in `lasting` until it has come. */
  last(promise) {
    const p = promise.finally(() => this.lasting.delete(p));
    this.lasting.add(p);
    return p;
  }

  /** An admin event; {lost} when the hub did not answer (it may be down: a fault too). */
  async adminCall(event, payload) {
    try {
      const s = this.admin().timeout(30000);
      return await (payload === undefined ? s.emitWithAck(event) : s.emitWithAck(event, payload));
    } catch (e) {
      return { lost: String(e?.message ?? e) };
    }
  }
}

async function health(url) {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

/** Writes `path` until the file system is full; returns how many bytes it took. */
function fill(path) {
  const fd = openSync(path, "w");
  let total = 0;
  try {
    for (const size of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          total += writeSync(fd, chunk);
        } catch (e) {
          if (e.code === "ENOSPC") break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return total;
}
