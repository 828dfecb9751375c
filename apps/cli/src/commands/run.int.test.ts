// `ptune run` end to end, as the README's first command uses it: the real CLI process, an embedded
// PostgreSQL in a folder of its own, a preset model created on first use, local workers, the
// result table as JSON. A second run of the same sweep finds every trial done and trains nothing.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../../tooling/test-env.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ptune-run-"));
// As root the embedded server runs as `postgres`, which must be able to enter the data dir's parents.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sweep = `
name: run-e2e
pack: 2
models:
  nano: { checkpoint: ./models/t5-nano, preset: t5-nano, gpu_memory_gb: 0.5 }
grid:
  model: [nano]
  task: [synthetic]
  prompt_length: [4]
  init: [random_uniform, sampled_vocab]
include:
  - { model: nano, method: model_tuning }
training: { batch_size: 4, steps: 12, eval_every: 6, checkpoint_every: 6, max_input_length: 64, max_target_length: 8 }
`;

function ptune(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PTUNE_CACHE_DIR: path.join(dir, "cache") };
  delete env.DATABASE_URL; // local mode: the embedded PostgreSQL
  delete env.REDIS_URL;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(repoRoot, "apps/cli/bin/ptune.js"), ...args], { env, cwd: dir });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("ptune run (local mode)", () => {
  it("creates the model, trains every trial and prints the results; a rerun trains nothing", async () => {
    const file = path.join(dir, "sweep.yaml");
    writeFileSync(file, sweep);
    const pg = path.join(dir, "pg");
    const first = await ptune(["run", file, "--data-dir", pg, "--interval", "1", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(path.join(dir, "models/t5-nano/model.safetensors"))).toBe(true);
    expect(existsSync(path.join(pg, "PG_VERSION"))).toBe(true);
    const out = JSON.parse(first.stdout.trim().split("\n").at(-1)!);
    expect(out.sweep).toBe("run-e2e");
    expect(out.trials).toHaveLength(3);
    for (const t of out.trials) {
      expect(t.state).toBe("completed");
      expect(t.best_score).toEqual(expect.any(Number));
      expect(Number(t.params)).toBeGreaterThan(0);
    }
    expect(out.trials.map((t: { method: string }) => t.method).sort()).toEqual(["model_tuning", "prompt_tuning", "prompt_tuning"]);

    const again = await ptune(["run", file, "--data-dir", pg, "--interval", "1"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/3 trials \(0 new, 3 already known\)/);
    expect(again.stdout).toMatch(/3\/3 trials finished \(0 failed\)/);
  }, 300_000);

  it("fails with one clear line for a sweep file that does not exist", async () => {
    const r = await ptune(["run", path.join(dir, "missing.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^ptune run: .*missing\.yaml: file not found$/); // no made-up position (issue 11)
  });
});
