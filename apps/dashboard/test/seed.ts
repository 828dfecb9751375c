// A migrated throw-away database holding one sweep in mid-flight, written through @ptune/db's
// real write path (upsertSweep, claimAttempt, FencedWriter, heartbeatWorker): completed trials
// with loss curves and dev evaluations, running trials, queued ones and a failed one.
import { claimAttempt, dropDatabase, ensureDatabase, FencedWriter, heartbeatWorker, migrate, openDb, upsertSweep, type Db } from "@ptune/db";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";

/** A sweep whose trials all ended (seeded beside the main one). */
export const FINISHED_SWEEP = "e2e-finished";

export const MODELS = [
  { name: "small", params: 76961152 },
  { name: "base", params: 247577856 },
];

/** Deterministic jitter in [0, 1) from a counter (the classic shader hash; reproducible). */
function jitterFrom(seed: number) {
  let k = seed * 1000;
  return () => {
    const x = Math.sin(++k * 12.9898) * 43758.5453;
    return x - Math.floor(x);
  };
}

export interface Seeded {
  db: Db;
  url: string;
  sweep: string;
  trialIds: string[];
  drop(): Promise<void>;
}

export async function seedDashboardDb(tag: string, seed = 1): Promise<Seeded> {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_dash_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  const db = openDb(url, { max: 4 });
  const rand = jitterFrom(seed);
  const trials = [];
  for (const m of MODELS)
    for (const task of ["boolq", "rte"])
      for (const promptLength of [20, 100])
        for (const s of [0, 1])
          trials.push({ id: `${m.name}-${task}-${promptLength}-${s}`, model: m.name, task, method: "prompt_tuning", promptLength, init: "class_label", seed: s, params: m.params, metric: "accuracy", config: { note: "dashboard test" } });
  const sweep = "e2e-sweep";
  await upsertSweep(db, { name: sweep, yaml: "name: e2e-sweep\n", trials });

  for (const t of trials) {
    const small = t.model === "small";
    const running = !small && t.seed === 0 && t.task === "boolq";
    const failed = !small && t.seed === 1 && t.task === "rte" && t.promptLength === 20;
    if (!small && !running && !failed) continue; // stays queued
    const { attempt } = await claimAttempt(db, t.id, "worker-a");
    const w = new FencedWriter(db, t.id, attempt);
    const last = running ? 120 : 200;
    const steps = [];
    for (let step = 0; step <= last; step += 5) steps.push({ step, name: "loss", value: 0.4 + 2.6 * Math.exp(-step / 60) + (rand() - 0.5) * 0.1 });
    await w.steps(steps);
    const target = 60 + (t.promptLength === 100 ? 6 : 0) + (t.task === "boolq" ? 8 : 0);
    for (const step of [50, 100, 150, 200].filter((s) => s <= last)) {
      await w.evaluation({ split: "dev", step, metrics: { accuracy: Math.round((target - 12 * Math.exp(-step / 80) + rand() * 3) * 100) / 100 } });
    }
    if (failed) await w.finish({ state: "failed", error: "out of memory (test)" });
    else if (!running) await w.finish({ state: "completed" });
  }
  await heartbeatWorker(db, { id: "worker-a", host: "gpu-host-1", devices: [{ kind: "cuda", name: "NVIDIA H100" }], sizes: ["small", "base"], state: "busy", trialId: trials.find((t) => t.model === "base")!.id });
  // a worker that died an hour ago: it has aged out of the dashboard's list
  await heartbeatWorker(db, { id: "worker-dead", host: "gpu-host-2", devices: [], sizes: ["small"], state: "busy", trialId: null });
  await db.pool.query("UPDATE workers SET heartbeat_at = now() - interval '1 hour' WHERE id = 'worker-dead'");
  // a second sweep over the small model's trials only, all of which ended: finished, not active
  await upsertSweep(db, { name: FINISHED_SWEEP, yaml: `name: ${FINISHED_SWEEP}\n`, trials: trials.filter((t) => t.model === "small") });
  return {
    db,
    url,
    sweep,
    trialIds: trials.map((t) => t.id),
    async drop() {
      await db.close();
      await dropDatabase(url);
    },
  };
}
