// `gleitzeit --help` and each command's: what it does and an example; and the bash completion
// the binary makes of itself, driven through bash as a shell would drive it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { env, gleitzeit, removeTempDirs, show, tempDir } from "./cli_harness.mjs";

after(() => removeTempDirs());

const COMMANDS = ["run", "submit", "validate", "exec", "batch", "init", "status", "results", "cancel",
  "components", "plugins", "swap", "reload", "completion"];

test("every command's --help says what it does and gives an example", async () => {
  const top = await gleitzeit(["--help"], { url: null });
  assert.equal(top.code, 0, show(top));
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, "m"), `${c} in gleitzeit --help`);
  assert.match(top.stdout, /Workflow files are YAML \(\.yaml, \.yml: the original Gleitzeit's format\), TOML/);
  for (const c of COMMANDS) {
    const r = await gleitzeit([c, "--help"], { url: null });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`\\nExample:\\n  (\\S+=\\$\\()?(source <\\()?gleitzeit .*${c}`), `${c} --help has an example:\n${r.stdout}`);
  }
});

test("the bash completion completes commands, options, workflow files and directories", async () => {
  const r = await gleitzeit(["completion", "bash"], { url: null });
  assert.equal(r.code, 0, show(r));
  const dir = tempDir("gleitzeit-completion-");
  const script = join(dir, "gleitzeit.bash");
  writeFileSync(script, r.stdout);
  for (const f of ["a.yaml", "b.toml", "c.json", "notes.txt"]) writeFileSync(join(dir, f), "");
  mkdirSync(join(dir, "docs"));
  const complete = (...words) => execFileSync("bash", ["-c",
    'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _gleitzeit; printf "%s\\n" "${COMPREPLY[@]}" | sort',
    script, "gleitzeit", ...words], { cwd: dir, encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(complete("va"), ["validate"]);
  assert.deepEqual(complete("run", "--verb"), ["--verbose"]);
  assert.deepEqual(complete("batch", "--p"), ["--pattern", "--prompt"]);
  assert.deepEqual(complete("run", ""), ["a.yaml", "b.toml", "c.json", "docs"]);
  assert.deepEqual(complete("batch", ""), ["docs"]);
  assert.deepEqual(complete("--json", "exec", "--t"), ["--timeout", "--token"]);
  const bad = await gleitzeit(["completion", "zsh"], { url: null });
  assert.equal(bad.code, 2, show(bad));
  assert.ok(env("GLEITZEIT"));
});
