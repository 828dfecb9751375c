// Issue 10 at the command line, as real `ptune` processes:
//  - `ptune … | head -1`: a closed pipe ends ptune quietly by SIGPIPE (it crashed with an EPIPE
//    stack trace; process.exit there aborted a run whose sandbox thread was inside onnxruntime);
//  - `ptune db migrate` with a malformed DATABASE_URL never prints its password (it did);
//  - `ptune validate` reports every problem of a sweep at once (file:line:col / model / task),
//    needs no database, and exits non-zero; a good sweep exits 0.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureModel, repoRoot } from "../../../../tooling/test-env.ts";

const cli = path.join(repoRoot, "apps/cli/bin/ptune.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "ptune-cli-safety-"));

function sh(command: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("bash", ["-o", "pipefail", "-c", command], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b) => (stdout += b));
    p.stderr.on("data", (b) => (stderr += b));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const good = path.join(dir, "good.yaml");
writeFileSync(good, `name: good\nmodels:\n  tiny: { checkpoint: ${fixtureModel("v1_1")}, gpu_memory_gb: 1, params: 1000 }\ngrid:\n  model: tiny\n  task: synthetic\n  prompt_length: 4\n`);

describe("ptune at the command line", () => {
  it("output to a closed pipe dies of SIGPIPE, quietly, as coreutils do", async () => {
    // `true` exits at once and ptune starts 0.5 s later: its first write meets a closed pipe
    const r = await sh(
      `(sleep 0.5; exec node ${cli} --help) | true; echo "help \${PIPESTATUS[0]}"; (sleep 0.5; exec node ${cli} validate ${good} --json) | true; echo "validate \${PIPESTATUS[0]}"`,
    );
    expect(r.stderr).toBe(""); // no EPIPE stack trace
    expect(r.stdout).toBe("help 141\nvalidate 141\n"); // 128 + SIGPIPE, what `seq 1 1000000 | head -1` gives
  }, 60_000);

  it("db migrate with a malformed DATABASE_URL does not print the password", async () => {
    for (const url of ["postgres//admin:hunter2secret@db.example/ptune", "postgresql://admin:hunter2 secret@127.0.0.1:1/ptune", "postgresql://admin:hunter2secret@127.0.0.1:1/p%zz"]) {
      const r = await sh(`node ${cli} db migrate`, { DATABASE_URL: url });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stdout + r.stderr).not.toContain("hunter2");
      expect(r.stderr).toMatch(/admin:\*\*\*@/);
    }
  }, 90_000);

  it("validate: every problem at once, no database; a good sweep passes", async () => {
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, `name: bad\nmodels:\n  a: { checkpoint: ${path.join(dir, "missing-a")}, gpu_memory_gb: 1, params: 1 }\n  b: { checkpoint: ${path.join(dir, "missing-b")}, gpu_memory_gb: 1, params: 1 }\ngrid:\n  model: [a, b]\n  task: synthetic\n  prompt_length: [4, 1000]\ntraining: { max_input_length: 7500 }\n`);
    const env = { DATABASE_URL: "", REDIS_URL: "" };
    const r = await sh(`node ${cli} validate ${bad}`, env);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines.some((l) => l.includes("model a") && l.includes("missing-a"))).toBe(true);
    expect(lines.some((l) => l.includes("model b") && l.includes("missing-b"))).toBe(true);
    expect(r.stderr).toMatch(/prompt_length 1000 \+ max_input_length 7500/);
    const syntax = path.join(dir, "syntax.yaml");
    writeFileSync(syntax, "name: s\nmodels: {}\ngrid: { model: nope, task: synthetic }\n");
    const s = await sh(`node ${cli} validate ${syntax}`, env);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/syntax\.yaml:\d+:\d+: /);
    const ok = await sh(`node ${cli} validate ${good} --json`, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, trials: 1, problems: [] });
  }, 90_000);
});
