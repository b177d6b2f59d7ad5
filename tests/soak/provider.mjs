#!/usr/bin/env node
// A remote provider of soak/v1 for the chaos soak (tests/soak/soak.mjs), in Node with npm
// socket.io-client. provider.py is its twin in Python; both keep the same log, which the
// checker (check.mjs) reads:
//   {kind: "call", t, hub_ts, task_id, workflow_id, attempt, params, exec, pid}  on arrival
//   {kind: "reply", t, task_id, exec, ok, result | error, pid}                  before the ack
//   {kind: "cancel_task", t, task_id, reason, pid}, {kind: "stall" | "unstall", t, pid}
// A reply line is durable before the ack leaves: whatever result the hub records, the log has
// it, even if this process is killed the next instant.
//
// soak/v1 has one method, work {ms, fail?, fatal?, dep_<task>?...}: it waits ms, fails
// (retryably) while the attempt is at most `fail`, fails for good when `fatal`, else returns
// {exec, deps}: `exec` names this execution uniquely (provider.pid.n), so that the checker
// can tell which execution a recorded result came from; `deps` repeats the dep_* params,
// which the hub filled with the exec of the tasks depended on (${t.result.exec}).
//
// SIGUSR1 makes it stall: it takes calls but answers none (nor heartbeats) until SIGUSR2.
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import { JsonLog, isoMs } from "./jsonl.mjs";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    name: { type: "string" },
    log: { type: "string" },
    "max-concurrency": { type: "string", default: "4" },
  },
});
const log = new JsonLog(args.log);
const pid = process.pid;
const running = new Map(); // task_id -> ends the call early (cancel_task)
let seq = 0;
let stalled = null; // a promise that resolves when the stall ends, or null

const socket = io(args.url, {
  transports: ["websocket"],
  reconnectionDelay: 100,
  reconnectionDelayMax: 500,
  randomizationFactor: 0,
});

function register() {
  const registration = {
    component_type: "provider",
    component_id: args.name,
    version: "1.0.0",
    capabilities: ["cancel"],
    protocols: [{ id: "soak/v1", methods: [{ name: "work", params: {} }] }],
    max_concurrency: Number(args["max-concurrency"]),
  };
  socket.timeout(10000).emit("register_component", registration, (err, reply) => {
    // A restart after SIGKILL may find the hub still holding the old connection's id until
    // it notices the drop; so may a reconnect. Ask again until the hub lets go of it.
    if (err || !reply?.ok) return setTimeout(() => socket.connected && register(), 300);
    console.log(`registered as ${reply.component_id}`);
  });
}

socket.on("connect", register);
socket.on("disconnect", (reason) => {
  if (reason === "io server disconnect") socket.connect();
});

socket.on("execute_method", async (call, ack) => {
  const exec = `${args.name}.${pid}.${++seq}`;
  const task_id = call.task_id;
  log.write({ kind: "call", t: Date.now(), hub_ts: isoMs(call._timestamp), task_id, workflow_id: call.workflow_id,
    attempt: call.attempt, params: call.params, exec, pid }, true);
  let stop;
  const cancelled = new Promise((resolve) => (stop = resolve));
  running.set(task_id, stop);
  const reply = await work(call, exec, cancelled);
  if (running.get(task_id) === stop) running.delete(task_id);
  while (stalled) await stalled;
  log.write({ kind: "reply", t: Date.now(), task_id, exec, ok: reply.ok, result: reply.result, error: reply.error, pid }, true);
  ack(reply);
});

const failure = (code, message, retryable) => ({ ok: false, error: { code, message, retryable } });

async function work(call, exec, cancelled) {
  const p = call.params ?? {};
  let timer;
  const slept = new Promise((resolve) => (timer = setTimeout(() => resolve(true), Number(p.ms) || 0)));
  if (!(await Promise.race([slept, cancelled]))) {
    clearTimeout(timer);
    return failure("cancelled", "cancelled", false);
  }
  if (p.fatal) return failure("provider_error", "fatal by design", false);
  if (Number.isInteger(p.fail) && call.attempt <= p.fail)
    return failure("provider_error", `fails while attempt <= ${p.fail}`, true);
  const deps = {};
  for (const [k, v] of Object.entries(p)) if (k.startsWith("dep_")) deps[k.slice(4)] = v;
  return { ok: true, result: { exec, deps } };
}

socket.on("cancel_task", ({ task_id, reason } = {}) => {
  log.write({ kind: "cancel_task", t: Date.now(), task_id, reason, pid });
  running.get(task_id)?.(false);
});

socket.on("heartbeat", () => {
  if (!stalled) socket.emit("heartbeat_response", { metrics: { in_flight: running.size } });
});

let endStall;
process.on("SIGUSR1", () => {
  if (stalled) return;
  stalled = new Promise((resolve) => (endStall = resolve));
  log.write({ kind: "stall", t: Date.now(), pid }, true);
});
process.on("SIGUSR2", () => {
  if (!stalled) return;
  log.write({ kind: "unstall", t: Date.now(), pid }, true);
  stalled = null;
  endStall();
});

// Orphaned (the soak was killed outright): nobody will read this log or stop this process.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref();

for (const signal of ["SIGTERM", "SIGINT"])
  process.on(signal, () => {
    socket.close();
    log.close();
    setImmediate(() => process.exit(0));
  });
