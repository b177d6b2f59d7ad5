// The workflows the soak's clients submit. Each shape stresses another part of the hub:
// chains and fan-out/fan-in pass results along with ${...} (the checker verifies that a
// dependent saw the result that was recorded), retries fail N times first, timeouts let a
// task or the whole workflow run out of time, cancels are cancelled while they run, and echo
// runs on the in-process provider-echo, whose slot the faults swap.

// Every task may be retried: a stall or a kill costs attempts, and a workflow should still
// mostly complete so that the results are worth checking. The timeout is short so that a
// stalled provider's calls come back to the queue within seconds.
const RETRY = { max_attempts: 4, backoff: "fixed", base_delay_ms: 200, jitter: 0 };
const TIMEOUT_MS = 4000;

function work(id, params, extra = {}) {
  return { id, protocol: "soak/v1", method: "work", params, timeout_ms: TIMEOUT_MS, retry: RETRY, ...extra };
}

/** The params that make a task take the results of `deps`: dep_<id> = ${<id>.result.exec}. */
function depParams(deps) {
  return Object.fromEntries(deps.map((d) => [`dep_${d}`, `\${${d}.result.exec}`]));
}

function chain(r, n = r.int(3, 6), ms = () => r.int(10, 150)) {
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const deps = i ? [`t${i - 1}`] : [];
    tasks.push(work(`t${i}`, { ms: ms(), ...depParams(deps) }, { dependencies: deps }));
  }
  return tasks;
}

const shapes = {
  chain: (r) => ({ tasks: chain(r) }),

  fan(r) {
    const k = r.int(3, 8);
    const branches = Array.from({ length: k }, (_, i) => `b${i}`);
    const tasks = [work("root", { ms: r.int(10, 100) })];
    for (const b of branches) tasks.push(work(b, { ms: r.int(10, 200), ...depParams(["root"]) }, { dependencies: ["root"] }));
    tasks.push(work("join", { ms: r.int(10, 50), ...depParams(branches) }, { dependencies: branches }));
    // Now and then one branch fails for good: with on_failure continue the others still
    // run, the join is skipped and the workflow ends failed.
    if (r.next() < 0.25) {
      tasks[1].params.fatal = true;
      return { tasks, on_failure: r.next() < 0.5 ? "continue" : "fail_fast" };
    }
    return { tasks };
  },

  retry(r) {
    const tasks = chain(r, r.int(2, 3));
    // fail = 3 of 4 attempts completes; fail = 4 uses them all and the workflow fails.
    r.pick(tasks).params.fail = r.int(1, 4);
    return { tasks };
  },

  timeout(r) {
    if (r.next() < 0.5) {
      // A task slower than its timeout, twice: it fails with timeout.
      const tasks = chain(r, 2);
      tasks[1].params.ms = 2500;
      tasks[1].timeout_ms = 600;
      tasks[1].retry = { ...RETRY, max_attempts: 2 };
      return { tasks };
    }
    // The whole workflow runs out of time in the middle of its chain.
    return { tasks: chain(r, 4, () => 500), timeout_ms: 1200 };
  },

  // Long enough that the cancel usually lands while a task runs or waits in the queue.
  cancel: (r) => ({ tasks: chain(r, 6, () => 300), cancelAfterMs: r.int(50, 2000) }),

  echo(r, id) {
    return {
      tasks: [
        { id: "say", protocol: "echo/v1", method: "echo", params: { said: id, n: r.int(0, 1e6) }, timeout_ms: TIMEOUT_MS, retry: RETRY },
        { id: "wait", protocol: "echo/v1", method: "delay", params: { ms: r.int(10, 200) }, dependencies: ["say"], timeout_ms: TIMEOUT_MS, retry: RETRY },
      ],
    };
  },
};

export const SHAPE_WEIGHTS = { chain: 3, fan: 2, retry: 2, timeout: 1, cancel: 2, echo: 1 };

/** A workflow of shape `name` with id `id`: {workflow, cancelAfterMs?}. */
export function makeWorkflow(r, name, id) {
  const { tasks, cancelAfterMs, ...rest } = shapes[name](r, id);
  return { workflow: { id, name: `soak ${name}`, metadata: { shape: name }, tasks, ...rest }, cancelAfterMs };
}

/**
 * What a provider-echo task must return for its params (the checker's reference for echo/v1,
 * whose in-process provider keeps no log): echo returns its params, delay {slept_ms}.
 */
export function echoExpected(task) {
  if (task.method === "echo") return task.params;
  if (task.method === "delay") return { slept_ms: task.params.ms };
  return undefined;
}
