// Starts the servers under test as real processes on 127.0.0.1, port 0, and stops them.
// Paths come from ctest's environment: SIO_TESTSERVER and GLEITZEITD.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const running = new Set();
const configDirs = new Set(); // the gleitzeitd configs this process wrote, removed at its end
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
  for (const d of configDirs) rmSync(d, { recursive: true, force: true });
});

function start(cmd, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    running.add(proc);
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${cmd} did not report its port: ${out}${err}`)), 10000);
    proc.stderr.on("data", (d) => {
      if (process.env.SHOW_SERVER_STDERR) process.stderr.write(d); // to debug a test by hand
      err += d;
      proc.stderrText = err.slice(-4000);
    });
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m && !proc.port) {
        clearTimeout(timer);
        proc.port = Number(m[1]);
        resolve(handle(proc));
      }
    });
    proc.on("exit", (code) => {
      running.delete(proc);
      clearTimeout(timer);
      if (!proc.port) reject(new Error(`${cmd} exited with ${code}: ${out}${err}`));
    });
  });
}

function handle(proc) {
  return {
    proc,
    port: proc.port,
    url: `http://127.0.0.1:${proc.port}`,
    wsUrl: `ws://127.0.0.1:${proc.port}`,
    /** Stops the server; rejects unless it exits cleanly (code 0), which is also how a
     * sanitizer build reports a leak or a memory error found on the way out. */
    stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((resolve, reject) => {
        proc.once("exit", (code, sig) => {
          if (code === 0 || signal === "SIGKILL") resolve();
          else reject(new Error(`${proc.spawnargs[0]} exited with code ${code} signal ${sig}: ${proc.stderrText}`));
        });
        proc.kill(signal);
      });
    },
  };
}

/** The protocol fixture (tests/fixtures/sio-testserver); `port` 0 picks a free one. */
export function startFixture(port = 0) {
  const bin = process.env.SIO_TESTSERVER;
  if (!bin) throw new Error("SIO_TESTSERVER is not set (run the test through ctest)");
  return start(bin, ["--port", String(port)]);
}

/** gleitzeitd with a config written from `toml` (its [server] port is overridden). */
export function startGleitzeitd(toml = "", port = 0) {
  const bin = process.env.GLEITZEITD;
  if (!bin) throw new Error("GLEITZEITD is not set (run the test through ctest)");
  const dir = mkdtempSync(join(tmpdir(), "gleitzeitd-test-"));
  configDirs.add(dir);
  const config = join(dir, "gleitzeit.toml");
  writeFileSync(config, toml);
  return start(bin, ["--config", config, "--port", String(port)]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
