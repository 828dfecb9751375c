// `npm run chaos`: no trial is ever lost (issue 10), measured. Not part of `npm test`.
//  1. starts its own PostgreSQL (embedded) and Redis (`redis-server`, AOF on) on free ports, and a
//     tiny random model (`ptune models init --preset t5-nano`);
//  2. a clean run: the sweep (synthetic task) on one `ptune worker`, nothing killed — the
//     reference final prompts (database `clean`, Redis db 1; 2 workers);
//  3. the chaos run: the same sweep on 3 `ptune worker` processes (database `chaos`, Redis db 0)
//     while a seeded schedule kill -9s random busy workers, kill -9s the worker of ONE trial three
//     times in a row, SIGTERMs a worker, restarts Redis (kill -9: only the AOF survives) and
//     restarts Postgres; killed/stopped workers are started again;
//  4. prints trials completed / lost / duplicate rows / final prompts identical to the clean run /
//     max time to recover (a kill, or a restarted server's return -> the next checkpoint of an
//     affected trial, any trial for a server; 0 when the affected trial had already ended), and exits non-zero
//     unless every trial completed, none was lost or duplicated and every prompt is identical.
// Bounded: 4-6 minutes on 2 shared cores (deadline 10 min) (CHAOS_TRIALS, CHAOS_STEPS, CHAOS_SEED to change).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rmSync, writeFileSync } from "node:fs";
import pg from "pg";
import { mulberry32 } from "@ptune/onnx/rng";
import { ensureDatabase, migrate } from "@ptune/db";
import { deserializeTrainState } from "@ptune/trainer";
import { scratchDir, startPostgres, startRedis, type PostgresServer, type RedisServer } from "./servers.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = path.join(repoRoot, "apps/cli/bin/ptune.js");
const TRIALS = Number(process.env.CHAOS_TRIALS ?? 6);
const STEPS = Number(process.env.CHAOS_STEPS ?? 8000);
const SEED = Number(process.env.CHAOS_SEED ?? 1);
const DEADLINE_MS = Number(process.env.CHAOS_DEADLINE_S ?? 600) * 1000;

/** the schedule is reproducible from CHAOS_SEED (mulberry32, @ptune/onnx) */
const rng = mulberry32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (l: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${l}\n`);

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (out += b));
    p.on("exit", (code) => resolve({ code, out }));
  });
}

interface WorkerProc {
  id: string;
  proc: ChildProcess;
  log: string[];
}

function startWorkerProc(id: string, env: Record<string, string>, model: string): WorkerProc {
  const proc = spawn(process.execPath, [cli, "worker", "--sizes", model, "--device", "cpu", "--threads", "1", "--id", id, "--lock-ms", "4000", "--stalled-ms", "2000", "--shutdown-ms", "10000"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const w = { id, proc, log: [] as string[] };
  proc.stderr!.on("data", (b) => {
    w.log.push(String(b));
    if (w.log.length > 200) w.log.shift();
  });
  return w;
}
const alive = (w: WorkerProc) => w.proc.exitCode === null && w.proc.signalCode === null;
const exited = (w: WorkerProc, ms = 60_000) => (alive(w) ? Promise.race([new Promise<void>((r) => w.proc.once("exit", () => r())), sleep(ms)]) : Promise.resolve());

function sweepYaml(name: string, modelDir: string): string {
  return `name: ${name}
models:
  nano: { checkpoint: ${modelDir}, gpu_memory_gb: 1 }
grid:
  model: nano
  task: synthetic
  prompt_length: 4
  init: random_uniform
  seed: [${Array.from({ length: TRIALS }, (_, i) => i).join(", ")}]
training:
  steps: ${STEPS}
  batch_size: 4
  eval_every: ${STEPS}
  checkpoint_every: 5
  max_input_length: 24
  max_target_length: 4
`;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** trial id -> final prompt bytes (hex) of its latest checkpoint, and the trial's state. */
async function finalPrompts(url: string): Promise<Map<string, { state: string; step: number | null; prompt: string | null }>> {
  const rows = await query<{ id: string; state: string; ck: Buffer | null }>(url, "SELECT t.id, t.state::text AS state, c.state AS ck FROM trials t LEFT JOIN checkpoints c ON c.trial_id = t.id AND c.kind = 'latest' ORDER BY t.id");
  const out = new Map<string, { state: string; step: number | null; prompt: string | null }>();
  for (const r of rows) {
    if (!r.ck) {
      out.set(r.id, { state: r.state, step: null, prompt: null });
      continue;
    }
    const s = deserializeTrainState(new Uint8Array(r.ck.buffer, r.ck.byteOffset, r.ck.byteLength));
    const p = s.prompt!.data;
    out.set(r.id, { state: r.state, step: s.step, prompt: Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString("hex") });
  }
  return out;
}

async function waitSettled(url: string, what: string, deadline: number): Promise<boolean> {
  for (;;) {
    const rows = await query<{ open: number }>(url, "SELECT count(*) FILTER (WHERE state IN ('queued','running'))::int AS open FROM trials").catch(() => [{ open: -1 }]);
    if (rows[0]!.open === 0) return true;
    if (Date.now() > deadline) {
      say(`${what}: deadline reached with ${rows[0]!.open} trial(s) open`);
      return false;
    }
    await sleep(500);
  }
}

/** Rows that would be duplicates by each table's natural key (the schema forbids most: proven here). */
async function duplicateRows(url: string): Promise<number> {
  const checks = [
    "SELECT count(*)::int AS n FROM (SELECT trial_id, step, name FROM step_metrics GROUP BY 1,2,3 HAVING count(*) > 1) d",
    "SELECT count(*)::int AS n FROM (SELECT trial_id, split, step FROM evaluations GROUP BY 1,2,3 HAVING count(*) > 1) d",
    "SELECT count(*)::int AS n FROM (SELECT trial_id, kind FROM checkpoints GROUP BY 1,2 HAVING count(*) > 1) d",
    "SELECT count(*)::int AS n FROM (SELECT trial_id FROM attempts WHERE outcome = 'completed' GROUP BY 1 HAVING count(*) > 1) d",
    "SELECT count(*)::int AS n FROM (SELECT sweep_id, trial_id FROM sweep_trials GROUP BY 1,2 HAVING count(*) > 1) d",
  ];
  let n = 0;
  for (const sql of checks) n += (await query<{ n: number }>(url, sql))[0]!.n;
  return n;
}

/** ms until an affected trial (or any, when `trialIds` is empty) writes a checkpoint newer than `since`. */
async function recoveryMs(url: string, since: number, trialIds: string[], deadline: number): Promise<number | null> {
  for (;;) {
    const rows = await query<{ t: Date | null; open: number }>(
      url,
      `SELECT (SELECT max(created_at) FROM checkpoints WHERE created_at > to_timestamp($1 / 1000.0) AND (cardinality($2::text[]) = 0 OR trial_id = ANY($2))) AS t,
              (SELECT count(*)::int FROM trials WHERE state IN ('queued','running') AND (cardinality($2::text[]) = 0 OR id = ANY($2))) AS open`,
      [since, trialIds],
    ).catch(() => [{ t: null, open: 1 }]);
    if (rows[0]!.t) return rows[0]!.t.getTime() - since;
    if (rows[0]!.open === 0) return 0; // the affected trials had finished: nothing to recover
    if (Date.now() > deadline) return null;
    await sleep(200);
  }
}

async function runningOn(url: string): Promise<{ trialId: string; workerId: string }[]> {
  return query<{ trialId: string; workerId: string }>(url, `SELECT a.trial_id AS "trialId", a.worker_id AS "workerId" FROM attempts a JOIN trials t ON t.id = a.trial_id AND t.current_attempt = a.number WHERE a.outcome = 'running' AND t.state = 'running'`).catch(() => []);
}

export async function chaos(): Promise<number> {
  const t0 = Date.now();
  const deadline = t0 + DEADLINE_MS;
  const work = scratchDir("ptune-chaos-");
  let pgs: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const workers: WorkerProc[] = [];
  try {
    pgs = await startPostgres({ dir: work, database: "clean" });
    redis = await startRedis({ dir: path.join(work, "redis"), aof: true });
    const base = new URL(pgs.url);
    const urlOf = (db: string) => Object.assign(new URL(base), { pathname: `/${db}` }).toString();
    const cleanUrl = urlOf("clean");
    const chaosUrl = urlOf("chaos");
    for (const u of [cleanUrl, chaosUrl]) {
      await ensureDatabase(u);
      await migrate(u);
    }
    say(`postgres on ${pgs.port}, redis on ${redis.port} (AOF), work dir ${work}`);

    const modelDir = path.join(work, "t5-nano");
    const mi = await run(["models", "init", modelDir, "--preset", "t5-nano", "--seed", "0"]);
    if (mi.code !== 0) throw new Error(`ptune models init failed:\n${mi.out}`);
    const sweepFile = path.join(work, "chaos.yaml");
    writeFileSync(sweepFile, sweepYaml("chaos", modelDir));
    const cache = path.join(work, "cache");

    // 2. the clean run
    const cleanEnv = { DATABASE_URL: cleanUrl, REDIS_URL: `${redis.url}/1`, PTUNE_CACHE_DIR: cache };
    const sub = await run(["submit", sweepFile], cleanEnv);
    if (sub.code !== 0) throw new Error(`submit (clean) failed:\n${sub.out}`);
    const tc = Date.now();
    // two workers: the result does not depend on how many (each trial is deterministic)
    const clean = [startWorkerProc("clean-1", cleanEnv, "nano"), startWorkerProc("clean-2", cleanEnv, "nano")];
    workers.push(...clean);
    if (!(await waitSettled(cleanUrl, "clean run", deadline))) throw new Error(`the clean run did not finish:\n${clean[0]!.log.join("")}`);
    for (const w of clean) w.proc.kill("SIGTERM");
    await Promise.all(clean.map((w) => exited(w)));
    const cleanSeconds = (Date.now() - tc) / 1000;
    const reference = await finalPrompts(cleanUrl);
    say(`clean run: ${reference.size} trials in ${cleanSeconds.toFixed(1)} s`);

    // 3. the chaos run
    const env = { DATABASE_URL: chaosUrl, REDIS_URL: redis.url, PTUNE_CACHE_DIR: cache };
    const sub2 = await run(["submit", sweepFile], env);
    if (sub2.code !== 0) throw new Error(`submit (chaos) failed:\n${sub2.out}`);
    let serial = 0;
    const pool: WorkerProc[] = [];
    const spawnOne = () => {
      const w = startWorkerProc(`w${++serial}`, env, "nano");
      workers.push(w);
      pool.push(w);
      return w;
    };
    for (let i = 0; i < 3; i++) spawnOne();
    const replace = (w: WorkerProc) => {
      pool.splice(pool.indexOf(w), 1);
      spawnOne();
    };
    const random = rng(SEED);
    const recoveries: { fault: string; ms: number | null }[] = [];
    const faults: string[] = [];
    const recordRecovery = async (fault: string, since: number, trials: string[]) => {
      const ms = await recoveryMs(chaosUrl, since, trials, deadline);
      recoveries.push({ fault, ms });
      say(`${fault}: recovered in ${ms === null ? "never (deadline)" : `${(ms / 1000).toFixed(1)} s`}`);
    };
    /** a worker training a trial now (waits up to 30 s for one: workers may still be starting) */
    const busyWorker = async () => {
      const found = await waitFor(async () => {
        const running = await runningOn(chaosUrl);
        const candidates = running.map((r) => ({ r, w: pool.find((w) => w.id === r.workerId && alive(w)) })).filter((x) => x.w);
        return candidates.length ? candidates : undefined;
      }, Math.min(deadline, Date.now() + 30_000));
      if (!found) say("no busy worker within 30 s: fault skipped");
      return found ? found[Math.floor(random() * found.length)]! : null;
    };
    const kill9 = async (label: string) => {
      const c = await busyWorker();
      if (!c) return null;
      const since = Date.now();
      c.w!.proc.kill("SIGKILL");
      await exited(c.w!);
      faults.push(`${label} ${c.w!.id} (trial ${c.r.trialId.slice(0, 8)})`);
      say(`kill -9 ${c.w!.id} running trial ${c.r.trialId.slice(0, 8)} (${label})`);
      replace(c.w!);
      return { since, trialId: c.r.trialId };
    };

    const schedule = ["kill9", "redis", "victim", "postgres", "sigterm", "kill9"];
    for (const step of schedule) {
      if (Date.now() > deadline) break;
      await sleep(1_500 + random() * 2_000);
      const open = (await query<{ n: number }>(chaosUrl, "SELECT count(*)::int AS n FROM trials WHERE state IN ('queued','running')").catch(() => [{ n: 1 }]))[0]!.n;
      if (open === 0) break;
      if (step === "kill9") {
        const k = await kill9("random kill -9");
        if (k) await recordRecovery("kill -9", k.since, [k.trialId]);
      } else if (step === "victim") {
        // the same trial, killed wherever it runs, three times in a row
        const first = await busyWorker();
        if (!first) continue;
        const victim = first.r.trialId;
        for (let i = 0; i < 3 && Date.now() < deadline; i++) {
          const on = await waitFor(async () => (await runningOn(chaosUrl)).find((r) => r.trialId === victim && pool.some((w) => w.id === r.workerId && alive(w))), deadline);
          if (!on) break;
          // let it write a checkpoint on this attempt first, so each kill lands mid-training
          await sleep(700);
          const w = pool.find((x) => x.id === on.workerId)!;
          const since = Date.now();
          w.proc.kill("SIGKILL");
          await exited(w);
          faults.push(`kill -9 #${i + 1} of trial ${victim.slice(0, 8)} on ${w.id}`);
          say(`kill -9 #${i + 1} of trial ${victim.slice(0, 8)} on ${w.id}`);
          replace(w);
          await recordRecovery(`kill -9 #${i + 1} of the same trial`, since, [victim]);
        }
      } else if (step === "sigterm") {
        const c = await busyWorker();
        if (!c) continue;
        const since = Date.now();
        c.w!.proc.kill("SIGTERM");
        await exited(c.w!, 30_000);
        faults.push(`SIGTERM ${c.w!.id}`);
        say(`SIGTERM ${c.w!.id}: exited ${c.w!.proc.exitCode ?? c.w!.proc.signalCode} after ${((Date.now() - since) / 1000).toFixed(1)} s`);
        replace(c.w!);
        await recordRecovery("SIGTERM", since, [c.r.trialId]);
      } else if (step === "redis") {
        await redis.restart(2_000);
        const since = Date.now(); // recovery counts from the server's return: the outage itself is 2 s
        faults.push("Redis kill -9 + restart (2 s down)");
        say("Redis killed -9 and restarted after 2 s (AOF)");
        await recordRecovery("Redis restart", since, []);
      } else if (step === "postgres") {
        await pgs.restart(3_000);
        const since = Date.now(); // from the server's return (a checkpoint may commit while it shuts down)
        faults.push("Postgres stop + restart (3 s down)");
        say("Postgres stopped and restarted after 3 s");
        await recordRecovery("Postgres restart", since, []);
      }
    }
    const settled = await waitSettled(chaosUrl, "chaos run", deadline);
    const result = await finalPrompts(chaosUrl);
    const duplicates = await duplicateRows(chaosUrl);
    const completed = [...result.values()].filter((r) => r.state === "completed").length;
    const lost = result.size - completed;
    let identical = 0;
    for (const [id, r] of result) if (r.prompt !== null && r.prompt === reference.get(id)?.prompt && r.step === STEPS) identical++;
    const attempts = await query<{ n: number; failed: number }>(chaosUrl, "SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'failed')::int AS failed FROM attempts");
    const known = recoveries.filter((r) => r.ms !== null).map((r) => r.ms!);
    const maxRecover = known.length ? Math.max(...known) / 1000 : 0;
    const summary = {
      trials: result.size,
      completed,
      lost,
      duplicateRows: duplicates,
      promptsIdenticalToClean: `${identical}/${result.size}`,
      maxRecoverySeconds: Number(maxRecover.toFixed(1)),
      unrecovered: recoveries.filter((r) => r.ms === null).length,
      faults: faults.length,
      attempts: attempts[0]!.n,
      failedAttempts: attempts[0]!.failed,
      cleanRunSeconds: Number(cleanSeconds.toFixed(1)),
      totalSeconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
      seed: SEED,
    };
    console.log(`chaos: ${faults.length} faults (seed ${SEED}; schedule ${schedule.join(", ")}${faults.length < schedule.length + 2 ? "; the sweep ended before the schedule did" : ""}): ${faults.join("; ")}`);
    console.log(`trials completed: ${completed}/${result.size}`);
    console.log(`trials lost: ${lost}`);
    console.log(`duplicate rows: ${duplicates}`);
    console.log(`final prompts identical to a clean run: ${identical}/${result.size}`);
    console.log(`max time to recover: ${maxRecover.toFixed(1)} s (${recoveries.length} faults measured${summary.unrecovered ? `, ${summary.unrecovered} never recovered` : ""})`);
    console.log(`attempts: ${summary.attempts} (${summary.failedAttempts} failed); clean run ${summary.cleanRunSeconds} s; total ${summary.totalSeconds} s`);
    console.log(JSON.stringify(summary));
    const ok = settled && lost === 0 && duplicates === 0 && identical === result.size && summary.unrecovered === 0;
    if (!ok) for (const w of workers.slice(-3)) say(`log of ${w.id}:\n${w.log.join("").slice(-3000)}`);
    return ok ? 0 : 1;
  } finally {
    for (const w of workers) if (alive(w)) w.proc.kill("SIGKILL");
    await redis?.stop().catch(() => undefined);
    await pgs?.stop().catch(() => undefined);
    if (!process.env.CHAOS_KEEP) rmSync(work, { recursive: true, force: true }); // CHAOS_KEEP=1 keeps logs and data
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, deadline: number): Promise<T | undefined> {
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await sleep(100);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  chaos().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`chaos bench failed: ${(e as Error).stack ?? e}`);
      process.exit(2);
    },
  );
}
