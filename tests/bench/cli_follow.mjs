// What `gleitzeit` itself costs while it follows a large workflow: `gleitzeit --json run` of a
// flat workflow of echo tasks on gleitzeitd (the shipped slot plugins with persistence-sqlite,
// and provider-echo as the shipped config has it), the CLI's CPU time (bash's `times` for its
// child) beside the hub's over the same run (/proc/<pid>/stat). Goal: the CLI's CPU at most a
// tenth of the hub's (docs/benchmarks.md).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHub, toml } from "./bench_hub.mjs";

const TICK_MS = 10; // /proc counts CPU in clock ticks of 1/100 s (USER_HZ) on Linux

/** User and system CPU ms of process `pid` so far. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}

/** "1m2.345s" as ms. */
const ms = (t) => {
  const m = t.match(/^(\d+)m([\d.]+)s$/);
  if (!m) throw new Error(`cannot read the time '${t}'`);
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
};

/** Runs the CLI on `file` against `url`; {cpu_ms, wall_ms} of the CLI, which must exit 0. */
function follow(gleitzeit, url, file) {
  const t0 = performance.now();
  // `times` prints the shell's own times, then its children's: the CLI's.
  const out = execFileSync("bash", ["-c", '"$0" --json --url "$1" run "$2" >/dev/null || exit 1; times',
    gleitzeit, url, file], { encoding: "utf8", maxBuffer: 1 << 20 });
  const wall = performance.now() - t0;
  const [user, sys] = out.trim().split("\n")[1].trim().split(/\s+/);
  return { cpu_ms: ms(user) + ms(sys), wall_ms: wall };
}

export async function cliFigures({ gleitzeitd, gleitzeit, plugins, quick, log }) {
  const tasks = quick ? 2000 : 10000;
  const dir = mkdtempSync(join(tmpdir(), "gleitzeit-cli-bench-"));
  const hub = await startHub(gleitzeitd, plugins, `[[providers]]\nplugin = "provider-echo"\nfile = ${toml(plugins.echo)}\n`);
  try {
    const file = join(dir, "flat.json");
    const workflow = (n) => ({ name: `flat ${n}`, tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`, protocol: "echo/v1", method: "echo", params: { i } })) });
    writeFileSync(join(dir, "warm.json"), JSON.stringify(workflow(100)));
    follow(gleitzeit, hub.url, join(dir, "warm.json"));
    writeFileSync(file, JSON.stringify(workflow(tasks)));
    const before = cpuMs(hub.pid);
    const cli = follow(gleitzeit, hub.url, file);
    const hubMs = cpuMs(hub.pid) - before;
    log(`gleitzeit --json run of ${tasks} echo tasks: CLI ${cli.cpu_ms.toFixed(0)} ms CPU, hub ${hubMs} ms CPU, ` +
      `${cli.wall_ms.toFixed(0)} ms wall`);
    return { tasks, cli_cpu_ms: cli.cpu_ms, hub_cpu_ms: hubMs, wall_ms: cli.wall_ms };
  } finally {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
