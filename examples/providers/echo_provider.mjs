#!/usr/bin/env node
// A remote provider of echo/v1 for gleitzeitd, in Node with npm socket.io-client 4.
//
// It connects to the hub, registers as a provider (register_component), answers
// execute_method calls through their acks, stops a call on cancel_task and answers each
// heartbeat with heartbeat_response. docs/events.md ("Components") is the contract; copy
// this file to write a provider of your own protocol.
//
// Methods of echo/v1:
//   echo  {any object}                         -> the params, unchanged
//   delay {ms: integer >= 0}                   -> {slept_ms: ms}, after sleeping ms
//   fail  {message: string, retryable?: bool}  -> fails with that message (retryable unless retryable: false, as provider-echo)
import { parseArgs } from "node:util";
import { io } from "socket.io-client";

const PROTOCOL = "echo/v1";

const usage = `usage: node echo_provider.mjs [--url URL] [--token TOKEN] [--component-id ID]
                              [--max-concurrency N]

Serve echo/v1 (echo, delay, fail) to a gleitzeitd hub as a remote provider.

  --url URL            the hub's address (default: http://127.0.0.1:6680)
  --token TOKEN        a token with the provider role (default: $GLEITZEIT_TOKEN; none is
                       needed when the hub has no [[auth.tokens]])
  --component-id ID    the name the hub knows this provider by, unique among connected
                       components (default: echo-provider-js-<pid>)
  --max-concurrency N  calls the hub may send at once (default: 8)
  -h, --help           show this help and exit`;

function readArgs() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:6680" },
        token: { type: "string", default: process.env.GLEITZEIT_TOKEN },
        "component-id": { type: "string", default: `echo-provider-js-${process.pid}` },
        "max-concurrency": { type: "string", default: "8" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`${usage}\n\necho_provider: ${e.message}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const maxConcurrency = Number(values["max-concurrency"]);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    const got = values["max-concurrency"];
    console.error(`echo_provider: --max-concurrency must be an integer >= 1, got ${got}`);
    process.exit(2);
  }
  const componentId = values["component-id"];
  return { url: values.url, token: values.token, componentId, maxConcurrency };
}

// The registration tells the hub what this provider serves. The params schemas are those of
// docs/events.md (type, required, minimum, ...): the hub refuses a workflow whose task does
// not fit them before anything runs, so a caller's typo never reaches this process.
const SPEC = {
  id: PROTOCOL,
  description: "Answers calls without doing work: an example of a remote provider.",
  methods: [
    { name: "echo", description: "Returns its params object unchanged.", params: {} },
    {
      name: "delay",
      description: "Sleeps ms milliseconds, then returns {slept_ms: ms}.",
      params: { ms: { type: "integer", required: true, minimum: 0 } },
    },
    {
      name: "fail",
      description: "Fails with the given message; retryable unless retryable is false (as provider-echo).",
      params: {
        message: { type: "string", required: true },
        retryable: { type: "boolean", required: false },
      },
    },
  ],
};

const failure = (message, code = "provider_error", retryable = false) => ({
  ok: false,
  error: { code, message, retryable },
});

const args = readArgs();
// task_id -> the function that ends its call early; task_id is the hub's idempotency key.
const running = new Map();
let handledTotal = 0;
let registeredOnce = false;

// The client reconnects by itself after a drop (Socket.IO reconnection); "connect" then fires
// again and the provider registers again. WebSocket only: when this process dies the hub sees
// its TCP connection close at once and requeues its calls; over long-polling it would wait
// for a ping timeout first.
const socket = io(args.url, {
  transports: ["websocket"],
  auth: args.token ? { token: args.token } : {},
  reconnectionDelay: 500,
  reconnectionDelayMax: 5000,
});

function giveUp(why) {
  console.error(`echo_provider: ${why}`);
  socket.close();
  process.exit(1);
}

socket.on("connect", register);
// socket.io-client reconnects by itself after every drop but one: the server disconnecting
// this socket on purpose. A provider wants to be back in that case too.
socket.on("disconnect", (reason) => {
  if (reason === "io client disconnect") return; // our own close(), on SIGTERM or SIGINT
  console.error(`echo_provider: disconnected from ${args.url} (${reason}); connecting again`);
  if (reason === "io server disconnect") socket.connect();
});

function register() {
  const registration = {
    component_type: "provider",
    component_id: args.componentId,
    version: "1.0.0",
    capabilities: ["cancel"],
    protocols: [SPEC],
    max_concurrency: args.maxConcurrency,
  };
  socket.timeout(10000).emit("register_component", registration, (err, reply) => {
    if (err) return giveUp(`no answer to register_component within 10 s`);
    if (reply?.ok) {
      registeredOnce = true;
      console.log(`registered as ${reply.component_id}`);
      return;
    }
    const message = `${reply?.error?.code}: ${reply?.error?.message}`;
    // After a reconnect the hub may not have noticed yet that the old connection is gone;
    // it frees the id when it does.
    if (registeredOnce && message.includes("held by another connection")) {
      setTimeout(register, 2000);
      return;
    }
    giveUp(`the hub refused the registration: ${message}`);
  });
}

socket.on("connect_error", (e) => {
  // A refused CONNECT (a bad token) is final; a hub that cannot be reached is retried by the
  // client, but only once this provider has been registered: a wrong --url should say so.
  if (!socket.active) {
    const reason = e.data?.reason ?? "no reason given";
    giveUp(`the hub at ${args.url} refused the connection: ${e.message} (${reason})`);
  }
  if (!registeredOnce) giveUp(`cannot connect to ${args.url}: ${e.message}`);
});

socket.on("execute_method", async (call, ack) => {
  let stop;
  const cancelled = new Promise((resolve) => (stop = resolve));
  running.set(call.task_id, stop);
  try {
    ack(await execute(call.method, call.params ?? {}, cancelled));
  } catch (e) {
    ack(failure(String(e))); // a bug here must still answer the call, or it waits for its timeout
  } finally {
    if (running.get(call.task_id) === stop) running.delete(call.task_id);
    handledTotal += 1;
  }
});

async function execute(method, params, cancelled) {
  switch (method) {
    case "echo":
      return { ok: true, result: params };
    case "delay": {
      // Checked here too: a ${...} reference is checked only once it is substituted.
      if (!Number.isInteger(params.ms) || params.ms < 0)
        return failure("delay: params.ms must be an integer >= 0", "invalid_argument");
      let timer;
      const slept = new Promise((resolve) => (timer = setTimeout(() => resolve(true), params.ms)));
      if (await Promise.race([slept, cancelled])) return { ok: true, result: { slept_ms: params.ms } };
      clearTimeout(timer);
      return failure("cancelled", "cancelled");
    }
    case "fail":
      if (typeof params.message !== "string")
        return failure("fail: params.message must be a string", "invalid_argument");
      return failure(params.message, "provider_error", params.retryable !== false);
    default:
      return failure(`${PROTOCOL} has no method '${method}'`, "invalid_argument");
  }
}

// The hub sends cancel_task at a task's timeout and when its workflow is cancelled; whatever
// this call would still answer is ignored by then.
socket.on("cancel_task", ({ task_id, reason } = {}) => {
  console.error(`echo_provider: cancel_task ${task_id} (${reason})`);
  running.get(task_id)?.(false);
});

socket.on("heartbeat", () => {
  const metrics = { in_flight: running.size, handled_total: handledTotal };
  socket.emit("heartbeat_response", { metrics });
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    // A clean disconnect: the hub requeues what is still running here at once. Exit on the
    // next turn, once the socket has written its DISCONNECT.
    socket.close();
    setImmediate(() => process.exit(0));
  });
}
