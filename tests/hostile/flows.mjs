// Helpers of the workflow cases: a submitting client per case, the events of one workflow up
// to its end, and the exact refusal of a submission.
import assert from "node:assert/strict";
import { client, connected, TOKENS } from "./fixture.mjs";

/** A fresh client with the hostile token (submit, observe, provider) on WebSocket. */
export async function submitter(ctx, opts = {}) {
  return connected(client(ctx.hub, TOKENS.hostile.token, { transports: ["websocket"], ...opts }));
}

/** The one shared hostile client of a file, for requests that leave it connected. */
export async function shared(ctx) {
  if (!ctx.shared) {
    ctx.shared = await submitter(ctx);
    ctx.onClose(() => ctx.shared.close());
  }
  return ctx.shared;
}

export const echoTask = (id, extra = {}) => ({ id, protocol: "echo/v1", method: "echo", ...extra });

/** `payload` is refused with exactly {code, message}. */
export async function refused(ctx, payload, code, message, event = "submit_workflow") {
  const c = await shared(ctx);
  assert.deepEqual(await c.timeout(10000).emitWithAck(event, payload), { ok: false, error: { code, message } });
}

const END = ["workflow_completed", "workflow_failed", "workflow_cancelled"];

/**
 * Submits `workflow` from `c` and resolves, once it ends, with {id, events: [[event, payload]],
 * end}; rejects if the submission is refused, the client is disconnected, or `ms` pass.
 */
export function run(c, workflow, { watch = "all", ms = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    let id;
    const early = [];
    const stop = (err, value) => {
      clearTimeout(timer);
      c.offAny(take);
      c.off("disconnect", gone);
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => stop(new Error(`no end within ${ms} ms; events: ${events.map((e) => e[0]).join(", ")}`)), ms);
    const gone = (reason) => stop(new Error(`the submitter was disconnected (${reason}) after ${events.map((e) => e[0]).join(", ") || "no event"}`));
    const record = (event, p) => {
      if (p?.workflow_id !== id) return;
      events.push([event, p]);
      if (END.includes(event)) stop(null, { id, events, end: p });
    };
    const take = (event, p) => (id === undefined ? early.push([event, p]) : record(event, p));
    c.onAny(take);
    c.on("disconnect", gone);
    c.timeout(ms).emitWithAck("submit_workflow", { watch, workflow }).then((reply) => {
      if (reply.ok !== true) return stop(new Error(`refused: ${JSON.stringify(reply)}`));
      id = reply.workflow_id;
      for (const [event, p] of early.splice(0)) record(event, p);
    }, (e) => stop(e));
  });
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The [event, task_id] pairs of a run, for an exact comparison. */
export const trace = (events) => events.map(([e, p]) => (p.task_id === undefined ? [e] : [e, p.task_id]));
