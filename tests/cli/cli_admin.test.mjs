// `gleitzeit` plugins, components, swap and reload; every command's --help; a wrong URL; a
// hub with tokens; and the live progress bar on a terminal.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { call, pollUntil } from "../interop/js/plugin_harness.mjs";
import {
  EXAMPLES, deadPort, env, gleitzeit, removeTempDirs, show, startEchoHub, tempDir,
} from "./cli_harness.mjs";

let hub;
const cli = (args, opts = {}) => gleitzeit(args, { url: hub.url, ...opts });

before(async () => {
  hub = await startEchoHub();
});

after(async () => {
  await hub?.stop();
  removeTempDirs();
});

test("plugins lists each slot's generation, the queue slot among them", async () => {
  const r = await cli(["plugins"]);
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^SLOT +KIND +GEN +NAME +VERSION +STATE +IN FLIGHT +SWAP PAUSE +LOADED AT +FILE$/);
  const queue = lines.find((l) => l.startsWith("queue "));
  assert.ok(queue, show(r));
  assert.match(queue, /^queue +queue +1 +queue-memory +\S+ +active +0 +\S+ +\/\S+queue-memory\.so$/);
  assert.ok(lines.some((l) => /^provider:provider-echo +provider +1 +provider-echo /.test(l)), show(r));

  const j = await cli(["--json", "plugins"]);
  assert.equal(j.code, 0, show(j));
  const reply = JSON.parse(j.stdout);
  assert.equal(reply.ok, true);
  assert.deepEqual(reply.slots.map((s) => s.slot).sort(),
    ["provider:provider-echo", "queue", "registry", "resolver"]);
});

test("swap replaces the queue plugin (generation 2); a bad file is refused as the hub says", async () => {
  const r = await cli(["swap", "queue", hub.plugins.QUEUE_MEMORY]);
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `swapped queue to ${hub.plugins.QUEUE_MEMORY}`);
  assert.ok(lines.some((l) => /^queue +queue +2 +queue-memory +\S+ +active /.test(l)), show(r));

  const bad = await cli(["swap", "queue", "/nonexistent/queue.so"]);
  assert.equal(bad.code, 1, show(bad));
  assert.match(bad.stderr, /^gleitzeit: plugin_error: .*\/nonexistent\/queue\.so/);
  const slot = await cli(["swap", "bogus", hub.plugins.QUEUE_MEMORY]);
  assert.equal(slot.code, 1, show(slot));
  assert.match(slot.stderr, /^gleitzeit: invalid_argument: swap_plugin needs \{slot, path\}/);
});

test("reload applies the config file again", async () => {
  const r = await cli(["reload"]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^reloaded the config at \d{4}-\d\d-\d\dT/);
  const j = await cli(["--json", "reload"]);
  assert.equal(j.code, 0, show(j));
  const reply = JSON.parse(j.stdout);
  assert.equal(reply.ok, true);
  assert.equal(reply.reload.trigger, "reload_config");
});

test("components lists the in-process provider and a remote one while it is connected", async () => {
  const r = await cli(["components"]);
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.stdout.trimEnd().split("\n"), [
    "COMPONENT      TYPE      LOCAL  VERSION  PROTOCOLS  IN FLIGHT/MAX  LAST HEARTBEAT",
    "provider-echo  provider  yes             echo/v1    0/4",
  ]);

  // A remote provider, as a worker written with the stock JS client registers.
  const worker = await hub.connect();
  try {
    const reply = await call(worker, "register_component", {
      component_type: "provider",
      component_id: "remote-demo",
      version: "2.0.0",
      protocols: [{ id: "demo/v1", methods: [{ name: "hi" }] }],
      max_concurrency: 3,
    });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const listed = await cli(["components"]);
    assert.equal(listed.code, 0, show(listed));
    assert.match(listed.stdout, /^remote-demo +provider +no +2\.0\.0 +demo\/v1 +0\/3( +\S+)?$/m);
    const j = await cli(["--json", "components"]);
    const remote = JSON.parse(j.stdout).components.find((c) => c.component_id === "remote-demo");
    assert.equal(remote.local, false);
  } finally {
    worker.close();
  }
  await pollUntil(async () => !(await cli(["components"])).stdout.includes("remote-demo"), "remote-demo gone");
});

test("--help of every command names its arguments", async () => {
  const expected = {
    run: "Usage: gleitzeit run [OPTIONS] FILE",
    submit: "Usage: gleitzeit submit [OPTIONS] FILE",
    status: "Usage: gleitzeit status [OPTIONS] [ID]",
    results: "Usage: gleitzeit results [OPTIONS] ID",
    cancel: "Usage: gleitzeit cancel [OPTIONS] ID",
    components: "Usage: gleitzeit components [OPTIONS]",
    plugins: "Usage: gleitzeit plugins [OPTIONS]",
    swap: "Usage: gleitzeit swap [OPTIONS] SLOT PATH",
    reload: "Usage: gleitzeit reload [OPTIONS]",
  };
  for (const [command, usage] of Object.entries(expected)) {
    const r = await gleitzeit([command, "--help"]);
    assert.equal(r.code, 0, show(r));
    assert.ok(r.stdout.includes(usage), `${command}: ${r.stdout}`);
  }
  const top = await gleitzeit(["--help"]);
  assert.equal(top.code, 0, show(top));
  for (const o of ["--url", "GLEITZEIT_URL", "--token", "GLEITZEIT_TOKEN", "--json", "--timeout"])
    assert.ok(top.stdout.includes(o), `--help lacks ${o}`);
  for (const command of Object.keys(expected)) assert.match(top.stdout, new RegExp(`^  ${command} `, "m"));

  const none = await gleitzeit([]);
  assert.equal(none.code, 2, show(none));
  const missing = await gleitzeit(["results"]);
  assert.equal(missing.code, 2, show(missing));
  assert.match(missing.stderr, /ID is required/);
});

test("a URL where nothing listens fails fast with the URL and the reason", async () => {
  const url = `http://127.0.0.1:${await deadPort()}`;
  for (const args of [["plugins"], ["run", join(EXAMPLES(), "hello.toml")], ["status", "x"]]) {
    const r = await gleitzeit(["--timeout", "2", ...args], { url });
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `gleitzeit: cannot connect to the hub at ${url}: Connection refused\n`);
    assert.ok(r.ms < 2000, `took ${r.ms} ms`);
  }
  const bad = await gleitzeit(["--url", "https://example.invalid", "plugins"]);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stderr, /--url must be http:\/\/HOST:PORT/);
});

test("a hub with tokens: refused without one, the token's roles decide", async () => {
  const guarded = await startEchoHub(
    `[[auth.tokens]]\ntoken = "admin-secret"\nroles = ["submit", "admin"]\n` +
      `[[auth.tokens]]\ntoken = "client-secret"\nroles = ["submit"]\n`,
  );
  try {
    const url = guarded.url;
    const none = await gleitzeit(["plugins"], { url });
    assert.equal(none.code, 3, show(none));
    assert.equal(none.stderr,
      `gleitzeit: the hub at ${url} refused the connection: unauthorized (no token in the auth payload)\n`);
    const wrong = await gleitzeit(["--token", "nope", "plugins"], { url });
    assert.equal(wrong.code, 3, show(wrong));
    assert.match(wrong.stderr, /refused the connection: unauthorized \(unknown token\)/);

    const admin = await gleitzeit(["plugins"], { url, env: { GLEITZEIT_TOKEN: "admin-secret" } });
    assert.equal(admin.code, 0, show(admin));
    const client = await gleitzeit(["--token", "client-secret", "plugins"], { url });
    assert.equal(client.code, 1, show(client));
    assert.equal(client.stderr, "gleitzeit: unauthorized: list_plugins needs a token with the admin role\n");
    const run = await gleitzeit(["--token", "client-secret", "--json", "run", join(EXAMPLES(), "hello.toml")], { url });
    assert.equal(run.code, 0, show(run));
    assert.equal(JSON.parse(run.stdout).state, "completed");
  } finally {
    await guarded.stop();
  }
});

test("on a terminal, run redraws one progress line with a bar and the counts", { skip: !existsSync("/usr/bin/script") && "no script(1)" }, async () => {
  // script(1) gives the CLI a pseudo-terminal and writes what it printed to a file.
  const dir = tempDir("gleitzeit-cli-tty-");
  const log = join(dir, "typescript");
  const command = [env("GLEITZEIT"), "--url", hub.url, "run", join(EXAMPLES(), "hello.toml")]
    .map((a) => `'${a}'`).join(" ");
  execFileSync("/usr/bin/script", ["-qefc", `stty cols 120; ${command}`, log], {
    stdio: "ignore",
    timeout: 20000,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GLEITZEIT_"))),
  });
  const out = readFileSync(log, "utf8");
  assert.ok(out.includes("\r\x1b[K"), `no redraw in: ${JSON.stringify(out)}`);
  assert.match(out, /hello \[####################\] 4\/4  completed 4  \d+\.\d s/);
  assert.match(out, /together +completed +\{"greeting":"Hello, world!","slept_ms":200\}/);
});
