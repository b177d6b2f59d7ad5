// docs/workflow.schema.json is the model `gleitzeit` sends: every workflow the CLI reads from
// the repo's files (examples/*.toml, tests/compat/*.yaml) validates against it, as ajv (JSON
// Schema 2020-12) reads it, and a workflow the hub would refuse does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { EXAMPLES, gleitzeit, show } from "./cli_harness.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const schema = JSON.parse(readFileSync(join(ROOT, "docs/workflow.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(schema);

/** The workflow `gleitzeit --json validate FILE` would send. */
async function sent(file) {
  const r = await gleitzeit(["--json", "validate", file], { url: "http://127.0.0.1:1" });
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout).workflow;
}

test("every workflow file of the repo, as gleitzeit sends it, is valid under the schema", async () => {
  const files = [
    ...readdirSync(EXAMPLES()).filter((f) => f.endsWith(".toml") && f !== "gleitzeit.toml").map((f) => join(EXAMPLES(), f)),
    ...readdirSync(join(ROOT, "tests/compat")).filter((f) => f.endsWith(".yaml") && f !== "not_a_dependency.yaml")
      .map((f) => join(ROOT, "tests/compat", f)),
  ];
  assert.ok(files.length >= 15, `only ${files.length} files`);
  for (const file of files) {
    const workflow = await sent(file);
    assert.ok(validate(workflow), `${file}: ${JSON.stringify(validate.errors, null, 1)}`);
  }
});

test("what the hub refuses, the schema refuses", () => {
  const ok = { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: { text: "x" } }] };
  assert.ok(validate(ok), JSON.stringify(validate.errors));
  const bad = [
    { tasks: [] },
    { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", priority: "soon" }] },
    { tasks: [{ id: "a", protocol: "echo", method: "echo" }] },
    { tasks: [{ id: "a", method: "echo" }] },
    { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", params: {}, parameters: {} }] },
    { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", timeout: 1, timeout_ms: 1000 }] },
    { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", retry: { jitter: 2 } }] },
    { tasks: [{ id: "a", protocol: "echo/v1", method: "echo", dependecies: ["b"] }] },
    { title: "x", tasks: [{ id: "a", protocol: "echo/v1", method: "echo" }] },
  ];
  for (const w of bad) assert.equal(validate(w), false, JSON.stringify(w));
});
