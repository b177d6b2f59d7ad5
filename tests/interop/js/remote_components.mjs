// Small remote components for the remote_slots test: a queue, a resolver, a registry and a
// persistence store, each a plain socket.io-client that registers for its slot and answers
// that slot's events (docs/events.md, "Remote slots"). Each keeps a log of what it was
// asked, so that a test can check exactly what the hub sent.
import { io } from "socket.io-client";

const PRIORITIES = ["urgent", "high", "normal", "low"];
const ok = (more = {}) => ({ ok: true, ...more });
const refuse = (code, message) => ({ ok: false, error: { code, message } });

/**
 * Connects to `url` and registers as `component_type` with `component_id`. Resolves with
 * {socket, reply, seen} (seen: [event, payload] in arrival order, acked events only).
 * `handlers`: event -> (payload) => reply object.
 */
async function component(url, type, id, handlers) {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  const seen = [];
  for (const [event, handle] of Object.entries(handlers))
    socket.on(event, (payload, ack) => {
      // The progress event task_completed of room "tasks" comes without an ack; the
      // resolver's task_completed asks for one.
      if (typeof ack !== "function") return;
      seen.push([event, payload]);
      let reply;
      try {
        reply = handle(payload);
      } catch (e) {
        reply = refuse("internal", String(e?.message ?? e));
      }
      ack(reply);
    });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const reply = await socket.timeout(10000).emitWithAck("register_component", {
    component_type: type,
    component_id: id,
    version: "1.0.0",
  });
  return { socket, reply, seen, id, close: () => socket.close() };
}

/** A queue: priority order, FIFO within a priority; refuses a task id queued already. */
export async function startQueue(url, id) {
  const buckets = PRIORITIES.map(() => []);
  const ids = new Set();
  let enqueued = 0;
  let dequeued = 0;
  const order = () => buckets.flat();
  const c = await component(url, "queue", id, {
    enqueue_task({ task }) {
      if (ids.has(task.id)) return refuse("invalid_argument", `task '${task.id}' is queued already`);
      ids.add(task.id);
      buckets[PRIORITIES.indexOf(task.priority ?? "normal")].push(task);
      enqueued++;
      return ok();
    },
    request_next_task({ protocols }) {
      for (const b of buckets) {
        const i = b.findIndex((t) => protocols.length === 0 || protocols.includes(t.protocol));
        if (i >= 0) {
          const [task] = b.splice(i, 1);
          ids.delete(task.id);
          dequeued++;
          return ok({ task });
        }
      }
      return ok({ task: null });
    },
    remove_task({ task_id }) {
      for (const b of buckets) {
        const i = b.findIndex((t) => t.id === task_id);
        if (i >= 0) {
          b.splice(i, 1);
          ids.delete(task_id);
          return ok({ removed: true });
        }
      }
      return ok({ removed: false });
    },
    queue_stats: () => ok({ size: ids.size, enqueued_total: enqueued, dequeued_total: dequeued }),
    list_queue: ({ offset, limit }) => ok({ tasks: order().slice(offset, offset + limit).map((t) => t.id) }),
  });
  return { ...c, size: () => ids.size };
}

/** A DAG resolver: refuses unknown, self and duplicate ids; releases dependents; no ${...}. */
export async function startResolver(url, id) {
  const workflows = new Map(); // id -> {tasks: Map(id -> task), state: Map(id -> state)}
  const final = (s) => ["completed", "failed", "skipped"].includes(s);
  return component(url, "resolver", id, {
    analyze_workflow({ workflow }) {
      const tasks = new Map();
      for (const t of workflow.tasks) {
        if (tasks.has(t.id)) return refuse("invalid_workflow", `duplicate task id '${t.id}'`);
        tasks.set(t.id, t);
      }
      for (const t of workflow.tasks)
        for (const d of t.dependencies ?? []) {
          if (d === t.id) return refuse("invalid_workflow", `task '${t.id}' depends on itself`);
          if (!tasks.has(d)) return refuse("invalid_workflow", `task '${t.id}' depends on unknown task '${d}'`);
        }
      // Kahn's order; what is left over is in a cycle.
      const waiting = new Map(workflow.tasks.map((t) => [t.id, (t.dependencies ?? []).length]));
      const order = workflow.tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
      for (let i = 0; i < order.length; i++)
        for (const t of workflow.tasks)
          if ((t.dependencies ?? []).includes(order[i]) && waiting.set(t.id, waiting.get(t.id) - 1).get(t.id) === 0)
            order.push(t.id);
      if (order.length !== tasks.size) return refuse("invalid_workflow", "dependency cycle");
      const state = new Map(workflow.tasks.map((t) => [t.id, (t.dependencies ?? []).length ? "pending" : "ready"]));
      workflows.set(workflow.id, { tasks, state });
      return ok({ execution_order: order, ready_tasks: workflow.tasks.filter((t) => state.get(t.id) === "ready").map((t) => t.id) });
    },
    task_completed({ workflow_id, result }) {
      const w = workflows.get(workflow_id);
      if (!w) return refuse("not_found", `unknown workflow '${workflow_id}'`);
      const ready_tasks = [];
      const skipped = [];
      if (!final(w.state.get(result.task_id))) {
        if (result.error) {
          w.state.set(result.task_id, "failed");
          const skip = (id) => {
            for (const t of w.tasks.values())
              if ((t.dependencies ?? []).includes(id) && !final(w.state.get(t.id))) {
                w.state.set(t.id, "skipped");
                skipped.push(t.id);
                skip(t.id);
              }
          };
          skip(result.task_id);
        } else {
          w.state.set(result.task_id, "completed");
          for (const t of w.tasks.values())
            if (w.state.get(t.id) === "pending" && t.dependencies.every((d) => w.state.get(d) === "completed")) {
              w.state.set(t.id, "ready");
              ready_tasks.push({ ...t, state: "ready" });
            }
        }
      }
      const workflow_finished = [...w.state.values()].every(final);
      return ok({ ready_tasks, skipped, workflow_finished });
    },
    forget_workflow({ workflow_id }) {
      workflows.delete(workflow_id);
      return ok();
    },
  });
}

/** A registry: protocols with their methods, providers; checks method names and required params. */
export async function startRegistry(url, id) {
  const protocols = new Map();
  const providers = new Map();
  const c = await component(url, "registry", id, {
    register_protocol({ protocol }) {
      protocols.set(protocol.id, protocol);
      return ok();
    },
    find_protocol: ({ protocol_id }) => ok({ protocol: protocols.get(protocol_id) ?? null }),
    register_provider({ provider }) {
      providers.set(provider.id, provider);
      return ok();
    },
    unregister_provider({ provider_id }) {
      providers.delete(provider_id);
      return ok();
    },
    validate_call({ protocol, method, params }) {
      const p = protocols.get(protocol);
      if (!p) return refuse("not_found", `unknown protocol '${protocol}'`);
      const m = p.methods.find((x) => x.name === method);
      if (!m) return refuse("not_found", `${protocol} has no method '${method}'`);
      for (const [name, schema] of Object.entries(m.params ?? {}))
        if (schema.required && !(name in params)) return refuse("invalid_argument", `${method}: params.${name} is missing`);
      return ok();
    },
    find_provider({ protocol }) {
      for (const p of providers.values()) if (p.protocols.includes(protocol)) return ok({ provider: p.id });
      return ok({ provider: null });
    },
    track_load: () => ok(),
  });
  return { ...c, protocols, providers };
}

/** A persistence store that keeps every batch in memory, as it came. */
export async function startPersistence(url, id) {
  const batches = [];
  const c = await component(url, "persistence", id, {
    save_batch(batch) {
      batches.push(batch);
      return ok();
    },
    query_data({ query, task_id }) {
      if (query === "unfinished_workflows") return ok({ workflows: [] });
      if (query === "result") {
        const found = batches.flatMap((b) => b.results).filter((r) => r.task_id === task_id);
        return ok({ result: found.at(-1) ?? null });
      }
      return refuse("invalid_argument", `unknown query '${query}'`);
    },
  });
  return { ...c, batches };
}
