// The step-metric write rate of FencedWriter.steps (fenced transaction + one multi-row INSERT
// per batch), per batch size and number of concurrent writers. Used by bench/write-rate.ts and
// available to `ptune bench orchestrator`. Writes into sweeps/trials named `bench-*` of `db`:
// run it on a throwaway database.
import { randomBytes } from "node:crypto";
import { claimAttempt } from "./attempts.ts";
import type { Db } from "./db.ts";
import { FencedWriter, type StepRow } from "./fenced-writer.ts";
import { upsertSweep } from "./sweeps.ts";

export interface WriteRateResult {
  batch: number;
  writers: number;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  batchesPerSec: number;
}

/** Rows as a trainer logs them: a few named metrics per step; row r of a trial's stream. */
const NAMES = ["loss", "lr", "grad_norm", "examples_per_sec"];
function rowsFor(fromRow: number, n: number): StepRow[] {
  return Array.from({ length: n }, (_, i) => {
    const r = fromRow + i;
    return { step: Math.floor(r / NAMES.length), name: NAMES[r % NAMES.length]!, value: Math.sin(r) };
  });
}

export async function measureWriteRate(
  db: Db,
  opts: { rows?: number; configs?: { batch: number; writers: number }[] } = {},
): Promise<WriteRateResult[]> {
  const totalRows = opts.rows ?? 20_000;
  const configs = opts.configs ?? [
    { batch: 1, writers: 1 },
    { batch: 10, writers: 1 },
    { batch: 100, writers: 1 },
    { batch: 1000, writers: 1 },
    { batch: 100, writers: 4 },
  ];
  const tag = randomBytes(3).toString("hex");
  const results: WriteRateResult[] = [];
  for (const [k, { batch, writers }] of configs.entries()) {
    // Batch size 1 is slow by design; cap its row count so the measurement stays short.
    const rowsPerWriter = Math.floor(Math.min(totalRows, batch === 1 ? 2000 : totalRows) / writers / batch) * batch;
    const ids = Array.from({ length: writers }, (_, w) => `bench-${tag}-${k}-${w}`);
    await upsertSweep(db, {
      name: `bench-${tag}-${k}`,
      yaml: "",
      trials: ids.map((id, seed) => ({ id, model: "bench", task: "bench", method: "prompt", seed, params: 1, config: {} })),
    });
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
  return results;
}
