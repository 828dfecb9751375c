// Step-metric write rate of FencedWriter.steps (batched multi-row INSERT, fenced by the
// attempt's token in the same transaction), per batch size and with concurrent writers.
// Usage: npx tsx packages/db/bench/write-rate.ts [--rows 20000] [--json]
// Uses a throwaway database on DATABASE_URL's server (default: the test server), dropped after.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { claimAttempt, dropDatabase, ensureDatabase, FencedWriter, migrate, openDb, upsertSweep, type StepRow } from "../src/index.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "20000" }, json: { type: "boolean" } } });
const totalRows = Number(values.rows);
const base = new URL(process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test");
base.pathname = `/ptune_bench_${randomBytes(3).toString("hex")}`;
const url = base.toString();

/** Rows as a trainer logs them: a few named metrics per step; row r of the trial's stream. */
const NAMES = ["loss", "lr", "grad_norm", "examples_per_sec"];
function rowsFor(fromRow: number, n: number): StepRow[] {
  return Array.from({ length: n }, (_, i) => {
    const r = fromRow + i;
    return { step: Math.floor(r / NAMES.length), name: NAMES[r % NAMES.length]!, value: Math.sin(r) };
  });
}

await ensureDatabase(url);
await migrate(url);
const db = openDb(url, { max: 8 });
const results: { batch: number; writers: number; rows: number; seconds: number; rowsPerSec: number; batchesPerSec: number }[] = [];
try {
  const configs = [
    { batch: 1, writers: 1 },
    { batch: 10, writers: 1 },
    { batch: 100, writers: 1 },
    { batch: 1000, writers: 1 },
    { batch: 100, writers: 4 },
  ];
  let k = 0;
  for (const { batch, writers } of configs) {
    // Batch size 1 is slow by design; cap its row count so the bench stays short.
    const rowsPerWriter = Math.floor(Math.min(totalRows, batch === 1 ? 2000 : totalRows) / writers / batch) * batch;
    const ids = Array.from({ length: writers }, () => `bench-${k++}`);
    await upsertSweep(db, { name: `bench-${batch}-${writers}`, yaml: "", trials: ids.map((id, seed) => ({ id, model: "m", task: "t", method: "prompt", seed, params: 1, config: {} })) });
    const ws = await Promise.all(ids.map(async (id) => new FencedWriter(db, id, (await claimAttempt(db, id, "bench")).attempt)));
    const t0 = performance.now();
    await Promise.all(
      ws.map(async (w) => {
        for (let r = 0; r < rowsPerWriter; r += batch) await w.steps(rowsFor(r, batch));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const rows = rowsPerWriter * writers;
    results.push({ batch, writers, rows, seconds, rowsPerSec: rows / seconds, batchesPerSec: rows / batch / seconds });
  }
} finally {
  await db.close();
  await dropDatabase(url);
}
if (values.json) console.log(JSON.stringify({ results }));
else {
  console.log("step_metrics write rate (FencedWriter.steps: fenced transaction + one multi-row INSERT per batch)");
  console.log("batch  writers    rows   seconds     rows/s  batches/s");
  for (const r of results) {
    console.log(`${String(r.batch).padStart(5)}  ${String(r.writers).padStart(7)}  ${String(r.rows).padStart(6)}  ${r.seconds.toFixed(2).padStart(8)}  ${Math.round(r.rowsPerSec).toString().padStart(9)}  ${r.batchesPerSec.toFixed(0).padStart(9)}`);
  }
}
