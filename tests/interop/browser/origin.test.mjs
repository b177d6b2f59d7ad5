// Issue 20: a web page the user happens to open must not drive the hub on 127.0.0.1. A real
// browser (Debian's chromium, headless) loads page.html from a Node server on another port,
// so the page's origin is foreign to the hub, and the page tries the hub over WebSocket and
// over long-polling with the official socket.io-client browser build, then POSTs what
// happened back to its own server.
//
// A browser gives a page no status code of a refused request, and a polling answer without
// Access-Control-Allow-Origin fails in the page just like a 403 does. So beside what the page
// saw, the hub's own count of Engine.IO sessions (gleitzeit_sessions_total in /metrics) must
// not move for a refused page: the refusal has to come before any session exists.
//
// Case B is the control: with the page's origin allowed and a valid token, the same browser
// and page connect over both transports and get the echo back, so a refusal in A and C is
// the hub's doing and not a browser that never connects at all.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGleitzeitd } from "../js/harness.mjs";

const REPORT_MS = 20000; // the page's two attempts are bounded by 2 x (4 s + 3 s) in page.html
const here = dirname(fileURLToPath(import.meta.url));
const PAGE = readFileSync(join(here, "page.html"));
// socket.io-client exports package.json but not dist/: find the browser build beside it.
const CLIENT_JS = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve("socket.io-client/package.json")), "dist/socket.io.min.js"));

const TOKEN = "secret";
const tokens = `
[[auth.tokens]]
token = "${TOKEN}"
roles = ["submit", "observe"]
`;

// Every browser started here runs in its own process group; whatever happens, the group is
// killed (here, in the test's finally, and on exit).
const browsers = new Set();
process.on("exit", () => {
  for (const b of browsers) if (b.pid) killGroup(b);
});
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function killGroup(proc) {
  try {
    process.kill(-proc.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The foreign origin: serves page.html at /, the client at /socket.io.min.js, and takes the
 * page's report at POST /report. */
async function startPageServer() {
  let deliver;
  const report = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(PAGE);
    } else if (req.method === "GET" && path === "/socket.io.min.js") {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" });
      res.end(CLIENT_JS);
    } else if (req.method === "POST" && path === "/report") {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        res.writeHead(204).end();
        try {
          deliver(JSON.parse(body));
        } catch (e) {
          deliver({ page_error: `unreadable report: ${e.message}: ${body}` });
        }
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  const page = {
    origin: `http://127.0.0.1:${port}`,
    port,
    report,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(page.close);
  return page;
}

/** Loads `url` in headless chromium until the page reports (or REPORT_MS passes, or the browser
 * exits), then kills the browser's whole process group. Resolves with the report. */
async function inBrowser(url, report) {
  const bin = process.env.CHROMIUM || "chromium";
  if (bin.endsWith("NOTFOUND")) throw new Error("chromium is not installed (run packaging/install-build-deps)");
  // Everything of this run lives in one throwaway directory: the profile and, through HOME,
  // what chromium would put in the user's home (its crash handler's database).
  const run = mkdtempSync(join(tmpdir(), "gleitzeit-chromium-"));
  const home = join(run, "home");
  mkdirSync(home);
  const proc = spawn(
    bin,
    [
      "--headless=new",
      "--no-sandbox", // root in a container: the setuid/namespace sandbox cannot start
      "--disable-gpu",
      "--disable-dev-shm-usage",
      `--user-data-dir=${join(run, "profile")}`, // no state between runs or cases
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-proxy-server",
      url,
    ],
    {
      detached: true, // its own process group, killed as one
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CACHE_HOME: join(home, ".cache") },
    },
  );
  browsers.add(proc);
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => {
    proc.once("exit", (code, sig) => resolve({ code, sig }));
    proc.once("error", (e) => resolve({ error: e.message })); // e.g. not installed: no "exit"
  });
  let timer;
  try {
    return await Promise.race([
      report,
      exited.then(({ code, sig, error }) => {
        const how = error ? `did not start: ${error}` : `exited (code ${code}, signal ${sig})`;
        throw new Error(`chromium ${how} before the page reported:\n${stderr}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the page did not report within ${REPORT_MS} ms; chromium said:\n${stderr}`)),
          REPORT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (proc.pid) killGroup(proc);
    await exited;
    browsers.delete(proc);
    killLeftovers(run);
    rmSync(run, { recursive: true, force: true });
  }
}

/** A process still naming this run's directory in its command line escaped the process group
 * (chromium's crash handler starts a session of its own): kill each by its id. */
function killLeftovers(run) {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1");
    } catch {
      continue;
    }
    if (cmdline.includes(run)) {
      try {
        process.kill(Number(entry), "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
}

async function sessionsOpened(hub) {
  const res = await fetch(`${hub.url}/metrics`);
  assert.equal(res.status, 200, "GET /metrics without an Origin");
  const m = (await res.text()).match(/^gleitzeit_sessions_total (\d+)$/m);
  assert.ok(m, "gleitzeit_sessions_total in /metrics");
  return Number(m[1]);
}

/** One case: the page server first (the hub's config names its port), then the hub, then the
 * browser. Returns the page's results by transport and the sessions the hub opened meanwhile. */
async function attempt(config, { token } = {}) {
  const page = await startPageServer();
  const hub = await startGleitzeitd(config(page));
  cleanups.push(() => hub.stop());
  const before = await sessionsOpened(hub);
  const query = new URLSearchParams({ hub: hub.url });
  if (token) query.set("token", token);
  const report = await inBrowser(`${page.origin}/?${query}`, page.report);
  assert.equal(report.page_error, undefined, `the page failed: ${report.page_error}`);
  assert.equal(report.origin, page.origin);
  const opened = (await sessionsOpened(hub)) - before;
  const byTransport = Object.fromEntries(report.results.map((r) => [r.transport, r]));
  await hub.stop();
  await page.close();
  return { byTransport, opened };
}

// What socket.io-client says when the transport itself fails: the hub's refusal before any
// session. "unauthorized" would mean the hub let the page in and only the token check held.
const transportError = { websocket: "websocket error", polling: "xhr poll error" };

function assertRefused({ byTransport, opened }) {
  // One comparison, so that a failure shows both transports and the count at once.
  const seen = { sessions_opened: opened };
  const expected = { sessions_opened: 0 };
  for (const transport of ["websocket", "polling"]) {
    const r = byTransport[transport] ?? {};
    seen[transport] = { outcome: r.outcome, message: r.message, echo: r.echo };
    expected[transport] = { outcome: "connect_error", message: transportError[transport], echo: undefined };
  }
  assert.deepEqual(seen, expected, `the hub let the foreign page in: ${JSON.stringify(byTransport)}`);
}

test("A: no tokens, default allowed_origins: a foreign page is refused over both transports", async () => {
  assertRefused(await attempt(() => ""));
});

test("B (control): the page's origin allowed and a valid token: both transports connect and echo", async () => {
  const { byTransport, opened } = await attempt(
    (page) => `[server]\nallowed_origins = ["${page.origin}"]\n${tokens}`,
    { token: TOKEN });
  assert.deepEqual({ ...byTransport, sessions_opened: opened }, {
    websocket: { transport: "websocket", outcome: "connected", echo: "hello over websocket" },
    polling: { transport: "polling", outcome: "connected", echo: "hello over polling" },
    sessions_opened: 2, // one Engine.IO session per transport
  });
});

test("C: tokens, the page's origin not in allowed_origins: refused even with a valid token", async () => {
  // Near misses only: the page's port under another host name, the page's host without its port.
  assertRefused(await attempt(
    (page) => `[server]\nallowed_origins = ["http://localhost:${page.port}", "http://127.0.0.1"]\n${tokens}`,
    { token: TOKEN }));
});
