#!/usr/bin/env node
// A client of the chaos soak: keeps a few workflows of mixed shapes (shapes.mjs) in flight,
// cancels those of shape "cancel", and logs what it did and what it was told, for the
// checker (check.mjs):
//   {kind: "submit", t, wf, shape, workflow}           before submit_workflow leaves
//   {kind: "submit_ack", t, wf, reply} | {kind: "submit_lost", t, wf, why}
//   {kind: "cancel", t, wf}, {kind: "cancel_ack", t, wf, reply} | {kind: "cancel_lost", ...}
//   {kind: "event", t, event, payload}                  every event of its own workflows
//   {kind: "status", t, wf, reply}                       query_status while it waits
//   {kind: "connect" | "disconnect" | "drop", t, ...}
// `t` is when this process saw it (Date.now()), the same clock as the providers' logs.
//
// It follows every workflow through the observers' rooms (observer_rooms: true): a
// workflow's own room is lost with a connection, and those rooms are joined again at
// connect. What it missed while away it learns by query_status, every few seconds.
// The soak sends it, over the IPC channel: {cmd: "drop", ms} (disconnect, come back after
// ms), {cmd: "drain"} (submit no more) and {cmd: "quit"}.
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import { JsonLog, rng, sleep } from "./jsonl.mjs";
import { SHAPE_WEIGHTS, makeWorkflow } from "./shapes.mjs";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    name: { type: "string" },
    log: { type: "string" },
    seed: { type: "string" },
    inflight: { type: "string", default: "3" },
  },
});
const log = new JsonLog(args.log);
const r = rng(Number(args.seed));
const prefix = `${args.name}-`;
const open = new Map(); // workflow id -> when its submission was acknowledged
const ENDS = new Set(["workflow_completed", "workflow_failed", "workflow_cancelled"]);
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
let draining = false;
let seq = 0;

const socket = io(args.url, {
  transports: ["websocket"],
  auth: { observer_rooms: true },
  reconnectionDelay: 100,
  reconnectionDelayMax: 500,
  randomizationFactor: 0,
});
socket.on("connect", () => log.write({ kind: "connect", t: Date.now() }));
socket.on("disconnect", (reason) => {
  log.write({ kind: "disconnect", t: Date.now(), reason });
  if (reason === "io server disconnect") socket.connect();
});
socket.onAny((event, payload) => {
  const wf = payload?.workflow_id;
  if (typeof wf !== "string" || !wf.startsWith(prefix)) return;
  log.write({ kind: "event", t: Date.now(), event, payload });
  if (ENDS.has(event)) open.delete(wf);
});

/** An acked request; resolves with the reply, or {lost: why} when no ack came in time. */
async function ask(event, payload, ms = 10000) {
  try {
    return await socket.timeout(ms).emitWithAck(event, payload);
  } catch (e) {
    return { lost: String(e?.message ?? e) };
  }
}

async function submitOne() {
  const shape = r.weighted(SHAPE_WEIGHTS);
  const id = `${prefix}${String(++seq).padStart(6, "0")}`;
  const { workflow, cancelAfterMs } = makeWorkflow(r, shape, id);
  log.write({ kind: "submit", t: Date.now(), wf: id, shape, workflow });
  const reply = await ask("submit_workflow", { workflow });
  if (reply.lost) return log.write({ kind: "submit_lost", t: Date.now(), wf: id, why: reply.lost }, true);
  log.write({ kind: "submit_ack", t: Date.now(), wf: id, reply }, true);
  // A refusal (the hub could not save it: a full disk) is not retried at once, in a loop.
  if (!reply.ok) return sleep(200);
  open.set(id, Date.now());
  if (cancelAfterMs !== undefined) setTimeout(() => cancel(id), cancelAfterMs);
}

async function cancel(id) {
  log.write({ kind: "cancel", t: Date.now(), wf: id });
  const reply = await ask("cancel_workflow", { workflow_id: id });
  // The ack's time is what the checker holds the providers to: nothing of this workflow
  // may be dispatched after it.
  if (reply.lost) log.write({ kind: "cancel_lost", t: Date.now(), wf: id, why: reply.lost }, true);
  else log.write({ kind: "cancel_ack", t: Date.now(), wf: id, reply }, true);
}

/** Asks for every open workflow the events have not ended for a while. */
async function poll() {
  for (const [id, since] of open) {
    if (Date.now() - since < 2000 || !socket.connected) continue;
    const reply = await ask("query_status", { workflow_id: id }, 5000);
    if (reply.lost) continue;
    log.write({ kind: "status", t: Date.now(), wf: id, reply });
    if (reply.ok && TERMINAL.has(reply.workflow?.state)) open.delete(id);
    // One that never ends must not stop this client's load; the checker reports it.
    else if (Date.now() - since > 90000) open.delete(id);
  }
}

async function submitLoop() {
  const most = Number(args.inflight);
  while (!draining) {
    if (open.size < most && socket.connected) await submitOne();
    else await sleep(50);
  }
}

async function pollLoop() {
  for (;;) {
    await sleep(2000);
    await poll();
  }
}

process.on("message", (m) => {
  if (m?.cmd === "drop") {
    log.write({ kind: "drop", t: Date.now(), ms: m.ms });
    socket.disconnect();
    setTimeout(() => socket.connect(), m.ms);
  } else if (m?.cmd === "drain") {
    draining = true;
  } else if (m?.cmd === "quit") {
    quit();
  }
});

function quit() {
  socket.close();
  log.close();
  process.exit(0);
}
process.on("SIGTERM", quit);
process.on("SIGINT", quit);
process.on("disconnect", quit); // the soak is gone: nobody will read what comes next

submitLoop();
pollLoop();
