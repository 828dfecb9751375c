// Prints the step-metric write rate of FencedWriter.steps (src/write-rate.ts).
// Usage: npx tsx packages/db/bench/write-rate.ts [--rows 20000] [--json]
// Uses a throwaway database on DATABASE_URL's server (default: the test server), dropped after.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { dropDatabase, ensureDatabase, migrate, openDb } from "../src/index.ts";
import { measureWriteRate } from "../src/bench.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "20000" }, json: { type: "boolean" } } });
const base = new URL(process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test");
base.pathname = `/ptune_bench_${randomBytes(3).toString("hex")}`;
const url = base.toString();

await ensureDatabase(url);
await migrate(url);
const db = openDb(url, { max: 8 });
let results;
try {
  results = await measureWriteRate(db, { rows: Number(values.rows) });
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
