#!/usr/bin/env node
// The chaos soak (issue 18): gleitzeitd with persistence-sqlite on a small tmpfs, remote
// providers in Node and Python, clients submitting workflows of mixed shapes, and faults at
// random from a seed: the hub killed and started again, providers killed and stalled, every
// slot swapped, the config reloaded, clients dropped, the disk filled. At the end the hub is
// restarted once more, cleanly, and asked for every workflow it acknowledged; then the
// independent checker (check.mjs) reads the logs and those answers, prints one line of
// figures, writes the report, and its exit status is the soak's (non-zero on a violation).
//
//   node tests/soak/soak.mjs [--minutes M | --seconds S] [--seed N] [--build DIR]
//                            [--report FILE] [--skip KIND,...] [--keep] [--verbose]
//
// `make soak` runs it for SOAK_MINUTES (10); ctest's soak.smoke for 60 s. The logs stay in
// the run's directory when a check fails (or with --keep); its path is printed.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import { Faults } from "./faults.mjs";
import { Client, Provider, killAll } from "./fleet.mjs";
import { Hub, binaryPaths, hubConfig, sampleResources, stageWhole, writeConfig } from "./hub.mjs";
import { JsonLog, readLogs, rng, sleep } from "./jsonl.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(HERE, "../..");
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: process.env.SOAK_MINUTES || "10" },
      seconds: { type: "string" },
      seed: { type: "string", default: process.env.SOAK_SEED || String(1 + Math.floor(Math.random() * 2 ** 31)) },
      build: { type: "string", default: join(ROOT, "build") },
      report: { type: "string" },
      keep: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      // The state grows by about 4 MB a minute under the soak's load; a tmpfs that the
      // state itself fills would make every minute after a full-disk fault.
      "tmpfs-mb": { type: "string" },
      // Fault kinds to leave out (comma-separated), to tell one finding from the others.
      skip: { type: "string", default: process.env.SOAK_SKIP || "" },
    },
  });
  const seconds = values.seconds ? Number(values.seconds) : Number(values.minutes) * 60;
  if (!(seconds > 0)) throw new Error(`the soak needs a positive duration, got ${values.seconds ?? values.minutes} min`);
  const tmpfsMb = Number(values["tmpfs-mb"] ?? Math.max(64, 32 + Math.ceil(seconds / 60) * 8));
  return { ...values, seconds, tmpfsMb, seed: Number(values.seed) >>> 0 };
}

const opts = options();
const say = (text) => opts.verbose && process.stderr.write(`soak: ${text}\n`);

/** The run's directory: logs/ (kept on failure), stage/ (binaries), state/ (the tmpfs), dropin/, tmp/ (the hub's). */
function layout() {
  const root = mkdtempSync(join(tmpdir(), "gleitzeit-soak-"));
  chmodSync(root, 0o700);
  const dirs = { root, logs: join(root, "logs"), stage: join(root, "stage"), state: join(root, "state"), dropin: join(root, "dropin"), tmp: join(root, "tmp") };
  for (const d of ["logs", "stage", "state", "dropin", "tmp"]) mkdirSync(dirs[d]);
  for (const d of ["clients", "providers"]) mkdirSync(join(dirs.logs, d));
  return dirs;
}

/**
 * A tmpfs of `mb` MB on the state directory, so that a full disk can be made (and undone)
 * without touching the machine's own disks. Needs root (CAP_SYS_ADMIN); without it the
 * soak runs on a plain directory and injects no full disk, and says so.
 */
function mountTmpfs(dir, mb) {
  if (process.getuid?.() !== 0) return { tmpfs: false, why: "not root" };
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
    return { tmpfs: true, size_mb: mb };
  } catch (e) {
    return { tmpfs: false, why: String(e.stderr || e.message).trim() };
  }
}

function unmount(dir) {
  for (const args of [[dir], ["-l", dir]])
    try {
      execFileSync("umount", args, { stdio: "pipe" });
      return;
    } catch {
      // busy: the lazy unmount below detaches it anyway
    }
}

/** The admin connection the faults use (no tokens: every role); it follows the hub's restarts. */
function adminSocket(hub) {
  return io(hub.url, { transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 500, randomizationFactor: 0 });
}

/** The workflows some client has an acknowledgement for, from the clients' logs. */
function acknowledged(logs) {
  const ids = [];
  for (const records of Object.values(logs))
    for (const r of records) if (r.kind === "submit_ack" && r.reply?.ok === true) ids.push(r.wf);
  return ids;
}

/**
 * Asks the hub for each acknowledged workflow until all are terminal or `ms` passed, and
 * writes each one's last answer to final.jsonl: {wf, t, reply}. `concurrency` queries at once.
 */
async function collectFinal(hub, ids, file, ms, concurrency = 16) {
  const socket = io(hub.url, { transports: ["websocket"], auth: { observer_rooms: false } });
  const last = new Map();
  const pending = new Set(ids);
  const deadline = Date.now() + ms;
  try {
    while (pending.size && Date.now() < deadline) {
      const batch = [...pending];
      for (let i = 0; i < batch.length; i += concurrency)
        await Promise.all(
          batch.slice(i, i + concurrency).map(async (wf) => {
            const reply = await socket.timeout(10000).emitWithAck("query_status", { workflow_id: wf }).catch((e) => ({ lost: String(e.message) }));
            if (reply.lost) return;
            last.set(wf, { wf, t: Date.now(), reply });
            if (reply.ok && TERMINAL.has(reply.workflow?.state)) pending.delete(wf);
          }),
        );
      if (pending.size) await sleep(500);
    }
  } finally {
    socket.close();
  }
  const out = new JsonLog(file);
  for (const wf of ids) out.write(last.get(wf) ?? { wf, t: Date.now(), reply: { lost: "no answer" } });
  out.close();
  return pending.size;
}

/**
 * How often the hub's event log holds task_completed for each task (it should be once),
 * read from the state file with Python's sqlite3 once the hub is down: db.jsonl,
 * {wf, task, completed_events}.
 */
function tallyDatabase(stateDir, file) {
  const size = (f) => (existsSync(f) ? statSync(f).size : 0);
  const db = join(stateDir, "gleitzeit.db");
  const script = [
    "import json,sqlite3,sys",
    "c=sqlite3.connect(sys.argv[1])",
    "q=\"SELECT json_extract(json,'$.workflow_id'),json_extract(json,'$.task_id'),count(*) FROM events WHERE json_extract(json,'$.event')='task_completed' GROUP BY 1,2\"",
    "for wf,task,n in c.execute(q): print(json.dumps({'wf':wf,'task':task,'completed_events':n}))",
  ].join("\n");
  try {
    writeFileSync(file, execFileSync("/usr/bin/python3", ["-c", script, db], { maxBuffer: 1 << 28 }));
  } catch (e) {
    writeFileSync(file, "");
    say(`cannot read the state file: ${e.message}`);
  }
  return size(db) + size(`${db}-wal`);
}

/** Runs check.mjs on the logs; resolves with its exit code. Its line goes to our stdout. */
function runChecker(logs, report) {
  const proc = spawn(process.execPath, [join(HERE, "check.mjs"), "--logs", logs, "--report", report], { stdio: "inherit" });
  return new Promise((resolve) => proc.on("exit", (code) => resolve(code ?? 1)));
}

async function startFleet(hub, dirs, r) {
  const providerLogs = join(dirs.logs, "providers");
  const providers = [new Provider("js", "js-1", providerLogs), new Provider("js", "js-2", providerLogs), new Provider("py", "py-1", providerLogs)];
  const registered = await Promise.all(providers.map((p) => p.start(hub.url)));
  if (!registered.every(Boolean)) throw new Error(`not every provider registered: ${providers.map((p) => `${p.name}: ${p.proc?.stderrTail}`).join("; ")}`);
  const clients = ["c1", "c2", "c3"].map((name) => new Client(name, join(dirs.logs, "clients"), r.int(1, 2 ** 31)));
  for (const c of clients) c.start(hub.url);
  return { providers, clients };
}

async function stopFleet(fleet) {
  await Promise.all([...(fleet?.clients ?? []), ...(fleet?.providers ?? [])].map((x) => x.stop()));
}

/** The hub, staged and started on the run's state; an exit nobody asked for restarts it. */
async function startHub(dirs, run, faultLog) {
  Object.assign(run, mountTmpfs(dirs.state, opts.tmpfsMb));
  if (!run.tmpfs) process.stderr.write(`soak: no tmpfs for the state (${run.why}); a plain directory, and no full-disk faults\n`);
  const config = (staged) => hubConfig({ staged, stateDir: dirs.state, dropin: dirs.dropin });
  const staged = await stageWhole(binaryPaths(opts.build), dirs.stage, config);
  const configPath = join(dirs.root, "gleitzeit.toml");
  writeConfig(configPath, config(staged));
  const hub = new Hub({
    staged,
    configPath,
    logDir: dirs.logs,
    tmpDir: dirs.tmp,
    onUnplannedExit: (exit) => {
      faultLog.write({ t: Date.now(), kind: "hub_exit_unplanned", ...exit }, true);
      say(`the hub exited on its own: ${exit.code ?? exit.signal}`);
      hub.start().catch((e) => faultLog.write({ t: Date.now(), kind: "hub_start_failed", error: e.message }, true));
    },
  });
  await hub.start();
  return hub;
}

/**
 * The end: no more submissions, one last clean restart, every acknowledged workflow's final
 * answer from the hub, then everything stopped and the state file tallied.
 */
async function finish(s, dirs, run) {
  for (const c of s.fleet.clients) c.send({ cmd: "drain" });
  for (const p of s.fleet.providers) if (!p.proc || p.proc.exitCode !== null) await p.start(s.hub.url);
  run.final_stop = await s.hub.stop();
  await s.hub.start();
  const ids = acknowledged(readLogs(join(dirs.logs, "clients")));
  run.unfinished_at_deadline = await collectFinal(s.hub, ids, join(dirs.logs, "final.jsonl"), Math.max(60000, opts.seconds * 200));
  await stopFleet(s.fleet);
  s.fleet = null;
  s.stopSampling();
  run.last_stop = await s.hub.stop();
  run.failed_starts = s.hub.failedStarts;
  run.state_bytes = tallyDatabase(dirs.state, join(dirs.logs, "db.jsonl"));
}

/** Stops whatever still runs, in any case: clients and providers, the hub, the tmpfs. */
async function cleanup(s, dirs, run) {
  s.stopSampling();
  s.admin?.close();
  await stopFleet(s.fleet).catch(() => {});
  if (s.hub?.proc) await s.hub.stop(5000);
  killAll();
  if (run.tmpfs) unmount(dirs.state);
}

async function main() {
  const dirs = layout();
  const run = { seed: opts.seed, seconds: opts.seconds, dir: dirs.root, started: new Date().toISOString(), skipped: opts.skip || undefined };
  process.stderr.write(`soak: seed ${opts.seed}, ${opts.seconds} s, logs in ${dirs.logs}\n`);
  const r = rng(opts.seed);
  const faultLog = new JsonLog(join(dirs.logs, "faults.jsonl"));
  const resources = new JsonLog(join(dirs.logs, "resources.jsonl"));
  const s = { hub: null, fleet: null, admin: null, stopSampling: () => {} };
  const interrupted = (code) => () => {
    process.stderr.write(`soak: interrupted; stopping everything; logs kept in ${dirs.logs}\n`);
    cleanup(s, dirs, run).finally(() => process.exit(code));
  };
  process.once("SIGINT", interrupted(130));
  process.once("SIGTERM", interrupted(143));
  try {
    s.hub = await startHub(dirs, run, faultLog);
    s.stopSampling = sampleResources(s.hub, resources);
    s.fleet = await startFleet(s.hub, dirs, r);
    s.admin = adminSocket(s.hub);
    say(`hub on port ${s.hub.port}; chaos for ${opts.seconds} s`);
    const faults = new Faults({
      r, hub: s.hub, ...s.fleet, admin: () => s.admin, log: faultLog, staged: s.hub.staged,
      configPath: s.hub.configPath, stateDir: dirs.state, dropin: dirs.dropin, tmpfs: run.tmpfs,
      gapMs: [1000, 6000], skip: opts.skip.split(",").filter(Boolean),
      // A few kills in any run, and in a long one incarnations of up to 2.5 minutes.
      hubLifeMs: Math.min(150, Math.max(15, opts.seconds / 4)) * 1000,
    });
    await faults.run(Date.now() + opts.seconds * 1000);
    say("faults over; the last restart");
    await finish(s, dirs, run);
  } catch (e) {
    run.error = String(e?.stack ?? e);
    process.stderr.write(`soak: ${run.error}\n`);
  } finally {
    await cleanup(s, dirs, run);
    faultLog.close();
    resources.close();
    writeFileSync(join(dirs.logs, "run.json"), JSON.stringify(run, null, 1));
  }
  const report = resolve(opts.report ?? join(opts.build, "soak-report.json"));
  mkdirSync(dirname(report), { recursive: true });
  const code = await runChecker(dirs.logs, report);
  if (code === 0 && !opts.keep && !run.error) rmSync(dirs.root, { recursive: true, force: true });
  else process.stderr.write(`soak: logs kept in ${dirs.logs}\n`);
  process.exit(run.error && code === 0 ? 1 : code);
}

main();
