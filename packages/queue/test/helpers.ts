// Test helpers: unique namespaces on the real Redis/Postgres of the machine, polling.
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { testDatabaseUrl, testRedisUrl } from "../../../tooling/test-env.ts";
import type { BackendConfig } from "../src/backend.ts";

export const uniq = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;

/** A backend config in its own namespace, and how to remove it afterwards. */
export function isolatedBackend(kind: "redis" | "postgres"): { config: BackendConfig; drop(): Promise<void> } {
  if (kind === "redis") {
    const prefix = uniq("ptunetest");
    return {
      config: { redisUrl: testRedisUrl, prefix },
      async drop() {
        const r = new Redis(testRedisUrl);
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== "0");
        await r.quit();
      },
    };
  }
  const schema = uniq("ptunetest");
  return {
    config: { postgresUrl: testDatabaseUrl, schema },
    async drop() {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fresh migrated database on the test server; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { dropDatabase, ensureDatabase, migrate } = await import("@ptune/db");
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${uniq("ptune_q")}`;
  const url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  return { url, drop: () => dropDatabase(url) };
}

/** A tiny sweep on the golden fixture model and the synthetic task (few steps, frequent checkpoints). */
export function tinySweepYaml(name: string, modelDir: string, o: { steps?: number; checkpointEvery?: number; seeds?: number[]; model?: string; preset?: string } = {}): string {
  const model = o.model ?? "tiny";
  const preset = o.preset ? `, preset: ${o.preset}` : "";
  return `
name: ${name}
models:
  ${model}: { checkpoint: ${modelDir}, gpu_memory_gb: 1, params: 200000${preset} }
grid:
  model: ${model}
  task: synthetic
  prompt_length: 4
  init: random_uniform
  seed: [${(o.seeds ?? [0]).join(", ")}]
training:
  steps: ${o.steps ?? 6}
  batch_size: 4
  eval_every: ${o.steps ?? 6}
  checkpoint_every: ${o.checkpointEvery ?? 2}
  max_input_length: 24
  max_target_length: 4
`;
}

/** Built graphs/weights cache shared by the tests (keyed by checkpoint content, so safe to reuse). */
export const testCacheDir = path.join(os.tmpdir(), "ptune-queue-test-cache");

/** The prompt bytes of a trial's latest checkpoint (null when it has none). */
export async function latestPrompt(db: import("@ptune/db").Db, trialId: string): Promise<{ step: number; bytes: Buffer } | null> {
  const { loadLatestCheckpoint } = await import("@ptune/db");
  const { deserializeTrainState } = await import("@ptune/trainer");
  const c = await loadLatestCheckpoint(db, trialId);
  if (!c) return null;
  const s = deserializeTrainState(c.state);
  const p = s.prompt!.data;
  return { step: s.step, bytes: Buffer.from(p.buffer, p.byteOffset, p.byteLength) };
}
