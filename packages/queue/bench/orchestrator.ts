// `ptune bench orchestrator` (npm run bench:orchestrator): how fast the orchestration layer is.
//  1. validate + expand a 10,000-trial sweep (@ptune/sweep) and enqueue it (enqueueSweep: DB
//     upsert of the sweep and its trials + one job per trial). Goal: < 2 s in all;
//  2. queue overhead per no-op job through the sandboxed worker thread (concurrency 1 and 4);
//  3. @ptune/db's step-metric write rate (measureWriteRate: FencedWriter.steps per batch size
//     and number of writers).
// Everything runs in throwaway namespaces (a database, a Redis key prefix / PG schema) dropped after.
import { dropDatabase, ensureDatabase, migrate, openDb } from "@ptune/db";
import { measureWriteRate, type WriteRateResult } from "@ptune/db/bench";
import { parseSweep } from "@ptune/sweep";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { createBackend, type BackendConfig } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import { benchSweepYaml } from "./bench-sweep.ts";
import { noopOverhead } from "./queue-timing.ts";

export interface BenchOrchestratorOptions {
  /** queue in PostgreSQL (the --local mode) instead of Redis */
  local?: boolean;
  redisUrl: string;
  /** the server to create the throwaway database on (any database URL of it) */
  databaseUrl: string;
  noopJobs?: number;
  /** rows per configuration of the DB write-rate measurement */
  writeRateRows?: number;
  log?: (line: string) => void;
}

export interface BenchOrchestratorResult {
  backend: "redis" | "postgres";
  trials: number;
  /** parse (zod validation) + expand */
  parseExpandMs: number;
  /** enqueueSweep split: expand (again, inside enqueueSweep), database upsert, queue adds */
  enqueue: { expandMs: number; dbMs: number; queueMs: number };
  totalMs: number;
  goalMs: number;
  /** the same sweep submitted again (everything known: DB lookups, no-op adds) */
  resubmitMs: number;
  noop: { jobs: number; concurrency: number; msPerJob: number; jobsPerSec: number }[];
  dbWriteRate: WriteRateResult[];
}

export const ENQUEUE_GOAL_MS = 2_000;

export async function benchOrchestrator(opts: BenchOrchestratorOptions): Promise<BenchOrchestratorResult> {
  const log = opts.log ?? (() => undefined);
  const tag = `ptune_bench_${Date.now().toString(36)}_${randomBytes(2).toString("hex")}`;
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${tag}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  try {
    await migrate(databaseUrl);
    const config: BackendConfig = opts.local ? { postgresUrl: databaseUrl, schema: "bench_queue" } : { redisUrl: opts.redisUrl, prefix: tag };
    const yaml = benchSweepYaml(tag);
    const db = openDb(databaseUrl);
    const backend = createBackend(config);
    let result: Omit<BenchOrchestratorResult, "noop" | "dbWriteRate">;
    try {
      const t0 = performance.now();
      const spec = parseSweep(yaml, "bench.yaml");
      const s = await enqueueSweep({ db, backend, spec, yamlText: yaml });
      const totalMs = performance.now() - t0;
      const parseExpandMs = totalMs - s.ms.db - s.ms.queue;
      log(`validate+expand: ${s.trials.total} trials in ${parseExpandMs.toFixed(0)} ms`);
      log(`enqueue: database ${s.ms.db.toFixed(0)} ms, queue ${s.ms.queue.toFixed(0)} ms (${Object.keys(s.queued).length} queues)`);
      log(`total validate+expand+enqueue: ${totalMs.toFixed(0)} ms (goal < ${ENQUEUE_GOAL_MS} ms)`);
      const t1 = performance.now();
      await enqueueSweep({ db, backend, spec, yamlText: yaml });
      const resubmitMs = performance.now() - t1;
      log(`re-submit (all known): ${resubmitMs.toFixed(0)} ms`);
      result = {
        backend: backend.kind,
        trials: s.trials.total,
        parseExpandMs,
        enqueue: { expandMs: s.ms.expand, dbMs: s.ms.db, queueMs: s.ms.queue },
        totalMs,
        goalMs: ENQUEUE_GOAL_MS,
        resubmitMs,
      };
      for (const q of Object.keys(s.queued)) await backend.queue(q).obliterate({ force: true });
    } finally {
      await backend.close();
      await db.close();
    }

    const noop: BenchOrchestratorResult["noop"] = [];
    const n = opts.noopJobs ?? 500;
    for (const concurrency of [1, 4]) {
      const r = await noopOverhead(config, n, concurrency);
      noop.push({ jobs: n, concurrency, ...r });
      log(`no-op jobs (sandboxed worker thread, concurrency ${concurrency}): ${r.msPerJob.toFixed(2)} ms/job, ${r.jobsPerSec.toFixed(0)} jobs/s`);
    }

    const wdb = openDb(databaseUrl, { max: 8 });
    let dbWriteRate: WriteRateResult[];
    try {
      dbWriteRate = await measureWriteRate(wdb, { rows: opts.writeRateRows ?? 20_000 });
    } finally {
      await wdb.close();
    }
    for (const r of dbWriteRate) log(`db step-metric writes (batch ${r.batch}, ${r.writers} writer(s)): ${Math.round(r.rowsPerSec)} rows/s, ${r.batchesPerSec.toFixed(0)} batches/s`);
    return { ...result, noop, dbWriteRate };
  } finally {
    await dropDatabase(databaseUrl);
  }
}

// Run directly: `npx tsx packages/queue/bench/orchestrator.ts` (REDIS_URL / DATABASE_URL, or the local servers).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchOrchestrator({
    local: process.argv.includes("--local"),
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    log: console.log,
  });
  console.log(JSON.stringify(r));
}
