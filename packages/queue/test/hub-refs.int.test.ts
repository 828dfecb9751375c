// Issue 12 items 2-3 through the REAL worker path: a sweep whose model is `hf:<org>/<name>` and whose
// task data is `hf:datasets/<org>/<name>/<config>@refs/convert/parquet`, both served by a local
// hub-like HTTP server (packages/t5/test/hub/fake-hub.ts; only the network is simulated: the files
// are the tiny v1.1 fixture as a sharded f16 PyTorch checkpoint with spiece.model, see modelFiles,
// and RTE Parquet shards written here). The worker reads HF_HUB_CACHE / HF_ENDPOINT / HF_HUB_OFFLINE from
// its process environment: each sandbox thread is a worker_threads Worker whose process.env is a
// copy of the parent's when the thread starts (Node's default `env`), so the test sets them before
// starting a worker and every worker here is stopped before the next changes them.
//  1. two workers (one trial each) start on an empty cache at once: both trials complete with their
//     evaluations, and every file was downloaded ONCE (the per-repo lock, @ptune/t5 hub/lock.ts);
//  2. HF_HUB_OFFLINE=1, a fresh database: the same sweep trains from the cache with ZERO requests,
//     and submit counts the model's parameters from the cached snapshot;
//  3. offline with a reference that is not cached: the trial fails with one line that says so.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { attemptsOfTrial, getTrial, openDb, trialsOfSweep, type Db } from "@ptune/db";
import { parseSweep, queueNameFor } from "@ptune/sweep";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { goldenDir, repoRoot } from "../../../tooling/test-env.ts";
import { startFakeHub, type FakeHub } from "../../t5/test/hub/fake-hub.ts";
import { createBackend, type Backend } from "../src/backend.ts";
import { enqueueSweep } from "../src/enqueue.ts";
import { countT5Parameters } from "../src/model-params.ts";
import { startWorker, type WorkerHandle } from "../src/worker-daemon.ts";
import { freshDatabase, isolatedBackend, testCacheDir, uniq, waitFor } from "./helpers.ts";

const MODEL_COMMIT = "1".repeat(40);
const DATA_COMMIT = "2".repeat(40);
const MODEL_REPO = "ptune-test/t5-tiny-v1_1-f16-sharded";
const DATA_REPO = "ptune-test/super_glue";
const sharded = path.join(repoRoot, "packages/t5/test/fixtures/torch/v1_1-f16-sharded");

/**
 * The model repository as google/t5-*-lm-adapt and t5-v1_1-xxl ship: a sharded PyTorch checkpoint
 * (here f16), its index, and the tokenizer as spiece.model only (no tokenizer.json). Real files:
 * the tiny v1.1 fixture and its SentencePiece model.
 */
function modelFiles(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(sharded)) files[f] = readFileSync(path.join(sharded, f));
  for (const f of ["spiece.model", "tokenizer_config.json"]) files[f] = readFileSync(path.join(goldenDir, "tokenizer", f));
  return files;
}

/** RTE as the hub's `refs/convert/parquet` exports it: rte/<split>/0000.parquet, 0001.parquet, … */
function rteShard(from: number, n: number): Uint8Array {
  const subjects = ["The cat", "A dog", "The old man", "Our team", "The river", "A student", "The city", "My sister"];
  const verbs = ["sleeps", "runs", "reads", "wins", "floods", "studies", "grows", "sings"];
  const rows = Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const s = subjects[i % subjects.length]!;
    const v = verbs[(i * 3) % verbs.length]!;
    const entails = i % 2 === 0;
    return { premise: `${s} ${v} every day.`, hypothesis: entails ? `${s} ${v}.` : `${s} never ${v}.`, idx: i, label: entails ? 0n : 1n };
  });
  const str = (name: string) => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }) as const;
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "premise", data: rows.map((r) => r.premise) },
      { name: "hypothesis", data: rows.map((r) => r.hypothesis) },
      { name: "idx", data: rows.map((r) => r.idx) },
      { name: "label", data: rows.map((r) => r.label) },
    ],
    schema: [{ name: "schema", num_children: 4 }, str("premise"), str("hypothesis"), { name: "idx", type: "INT32", repetition_type: "OPTIONAL" }, { name: "label", type: "INT64", repetition_type: "OPTIONAL" }],
  }));
}

const dataFiles = (): Record<string, Uint8Array> => ({
  "rte/train/0000.parquet": rteShard(0, 12),
  "rte/train/0001.parquet": rteShard(12, 12),
  "rte/validation/0000.parquet": rteShard(100, 8),
  // another config of the same repository: never downloaded for rte
  "boolq/validation/0000.parquet": rteShard(200, 2),
});

// prompt tuning and model tuning (openCheckpoint on the cached .bin shards), one trial per worker
const sweepYaml = (name: string, modelRef: string, methods = "prompt_tuning, model_tuning") => `
name: ${name}
models:
  tiny: { checkpoint: "${modelRef}", gpu_memory_gb: 1 }
tasks:
  rte: { data_dir: "hf:datasets/${DATA_REPO}/rte@refs/convert/parquet" }
grid:
  model: tiny
  task: rte
  method: [${methods}]
  prompt_length: 4
  init: random_uniform
  seed: 0
training:
  steps: 4
  batch_size: 4
  eval_every: 2
  checkpoint_every: 2
  max_input_length: 32
  max_target_length: 4
`;

const HF_VARS = ["HF_HUB_CACHE", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_HOME", "HF_TOKEN"] as const;
const savedEnv = Object.fromEntries(HF_VARS.map((k) => [k, process.env[k]]));
const setHubEnv = (vars: Partial<Record<(typeof HF_VARS)[number], string>>) => {
  for (const k of HF_VARS) delete process.env[k];
  Object.assign(process.env, vars);
};

let hub: FakeHub;
let tmp: string;
let hfCache: string;
let dbs: { url: string; drop(): Promise<void>; db: Db }[] = [];
beforeAll(async () => {
  hub = await startFakeHub([
    { kind: "model", repoId: MODEL_REPO, refs: { main: MODEL_COMMIT }, files: { [MODEL_COMMIT]: modelFiles() } },
    { kind: "dataset", repoId: DATA_REPO, refs: { "refs/convert/parquet": DATA_COMMIT }, files: { [DATA_COMMIT]: dataFiles() } },
  ]);
  tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-hub-int-"));
  hfCache = path.join(tmp, "hf-hub");
});
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
afterAll(async () => {
  setHubEnv({});
  for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
  for (const d of dbs) {
    await d.db.close();
    await d.drop();
  }
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** What the sandbox threads write to stderr (BullMQ pipes each thread's stderr into this process's). */
function captureStderr(): { stop(): string } {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    chunks.push(String(chunk));
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  } as typeof process.stderr.write;
  const restore = () => void (process.stderr.write = write);
  cleanup.push(async () => restore());
  return { stop: () => (restore(), chunks.join("")) };
}

async function newDb() {
  const f = await freshDatabase();
  const d = { ...f, db: openDb(f.url) };
  dbs.push(d);
  return d;
}

function openBackend(): Backend {
  const iso = isolatedBackend("redis");
  const backend = createBackend(iso.config);
  cleanup.push(() => iso.drop(), () => backend.close());
  return backend;
}

function worker(backend: Backend, databaseUrl: string, workerId: string, log: string[]): WorkerHandle {
  const h = startWorker({
    log: (l) => void log.push(`${workerId}: ${l}`),
    backend, databaseUrl, sizes: ["tiny"], queueName: queueNameFor, device: "cpu", concurrency: 1, workerId,
    cacheDir: testCacheDir, threads: 1, lockDuration: 10_000, stalledInterval: 5_000,
  });
  cleanup.push(() => h.stop());
  return h;
}

async function submit(d: { db: Db }, backend: Backend, yaml: string) {
  const spec = parseSweep(yaml, "sweep.yaml");
  const s = await enqueueSweep({ db: d.db, backend, spec, yamlText: yaml, policy: { attempts: 1, backoffMs: 200, keepCompleted: 100 } });
  return trialsOfSweep(d.db, s.sweepId);
}

const settled = (db: Db, id: string) =>
  waitFor(`trial ${id}`, async () => {
    const r = await getTrial(db, id);
    return r && ["completed", "failed", "cancelled"].includes(r.state) ? r : undefined;
  }, 170_000, 250);

async function evaluationsOf(db: Db, trialId: string) {
  const r = await db.pool.query("SELECT split, step, metrics FROM evaluations WHERE trial_id = $1 ORDER BY split, step", [trialId]);
  return r.rows as { split: string; step: number; metrics: Record<string, number> }[];
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
/** LFS files (.bin, .parquet) come from the CDN, the others from /resolve/ (fake-hub.ts isLfs). */
const isLfs = (f: string) => /\.(bin|safetensors|parquet)$/.test(f);

it("hf: model and hf: dataset: two workers download once; offline, a second run trains from the cache with zero requests; an uncached ref offline fails in one line", async () => {
  // ---- 1. online, empty cache, two workers at once ----
  setHubEnv({ HF_HUB_CACHE: hfCache, HF_ENDPOINT: hub.url });
  const online = await newDb();
  const backend = openBackend();
  const modelRef = `hf:${MODEL_REPO}`;
  const trials = await submit(online, backend, sweepYaml(uniq("hub"), modelRef));
  expect(trials).toHaveLength(2);
  // nothing was cached at submit: the parameter count is unknown (0), never fetched by submit
  expect(total(hub.counts)).toBe(0);
  const log: string[] = [];
  const stderr = captureStderr();
  worker(backend, online.url, "worker-a", log);
  worker(backend, online.url, "worker-b", log);
  for (const t of trials) {
    const row = await settled(online.db, t.id);
    expect(row.state, `${row.error ?? ""}\n${log.join("\n")}`).toBe("completed");
    const ev = await evaluationsOf(online.db, t.id);
    expect(ev.map((e) => [e.split, e.step])).toEqual([["dev", 2], ["dev", 4]]);
    for (const e of ev) expect(e.metrics.accuracy).toBeGreaterThanOrEqual(0);
  }
  // the premise of "downloaded once": each worker ran one of the trials, so both resolved the refs
  const ran = await Promise.all(trials.map(async (t) => (await attemptsOfTrial(online.db, t.id)).map((a) => a.workerId)));
  expect(ran.flat().sort()).toEqual(["worker-a", "worker-b"]);
  // every file the trials need was fetched exactly once: 2 .bin shards + 3 rte Parquet shards from
  // the CDN, config.json, the shard index and the tokenizer files from /resolve/. The model is asked
  // for once (the worker that waited on the lock finds the snapshot complete: resolveModelRef); a
  // dataset reference online asks the hub for its file list on every resolve (a moved branch is
  // seen), so each worker lists it and HEADs its files, and downloads nothing the other fetched.
  const model = Object.keys(modelFiles());
  const data = Object.keys(dataFiles()).filter((f) => f.startsWith("rte/"));
  expect(Object.fromEntries(hub.counts), log.join("\n")).toEqual({
    "GET cdn": model.filter(isLfs).length + data.length,
    "GET resolve": model.filter((f) => !isLfs(f)).length,
    "GET api": 1 + 2,
    "HEAD resolve": model.length + 2 * data.length,
  });
  // the worker says what it downloads (one line per file, from whichever worker fetched it)
  const said = stderr.stop().split("\n").filter((l) => l.includes(": downloading "));
  expect(said.filter((l) => l.includes(`downloading ${MODEL_REPO}/`)).length, said.join("\n")).toBe(model.length);
  expect(said.filter((l) => l.includes(`downloading ${DATA_REPO}/rte/`)).length, said.join("\n")).toBe(data.length);
  expect(said.every((l) => /^\[worker \S+\] worker-[ab]: downloading /.test(l)), said.join("\n")).toBe(true);
  const snapshot = path.join(hfCache, `models--${MODEL_REPO.replace("/", "--")}`, "snapshots", MODEL_COMMIT);
  expect(readdirSync(snapshot).sort()).toEqual(model.sort());
  await Promise.all(cleanup.reverse().map((f) => f()));
  cleanup = [];

  // ---- 2. offline, the same cache, a fresh database: zero requests ----
  setHubEnv({ HF_HUB_CACHE: hfCache, HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: "1" });
  const before = JSON.stringify([...hub.counts]);
  const offline = await newDb();
  const backend2 = openBackend();
  const trials2 = await submit(offline, backend2, sweepYaml(uniq("hub-offline"), modelRef));
  // submit counts the parameters from the cached snapshot (model-params.ts), still without a request
  const params = await offline.db.pool.query("SELECT DISTINCT params FROM trials WHERE id = ANY($1)", [trials2.map((t) => t.id)]);
  expect(params.rows.map((r) => Number(r.params))).toEqual([countT5Parameters(snapshot)]);
  const log2: string[] = [];
  worker(backend2, offline.url, "worker-offline", log2);
  for (const t of trials2) {
    const row = await settled(offline.db, t.id);
    expect(row.state, `${row.error ?? ""}\n${log2.join("\n")}`).toBe("completed");
    expect((await evaluationsOf(offline.db, t.id)).map((e) => e.step)).toEqual([2, 4]);
  }
  // the same trials as online (same identity), trained from the same cached files: same scores
  expect(trials2.map((t) => t.id).sort()).toEqual(trials.map((t) => t.id).sort());
  for (const t of trials) expect(await evaluationsOf(offline.db, t.id)).toEqual(await evaluationsOf(online.db, t.id));
  expect(JSON.stringify([...hub.counts])).toBe(before);

  // ---- 3. offline, a model that is not in the cache: one clear line on the trial ----
  const missing = `hf:${MODEL_REPO}-missing`;
  const [bad] = await submit(offline, backend2, sweepYaml(uniq("hub-missing"), missing, "prompt_tuning"));
  const row = await settled(offline.db, bad!.id);
  expect(row.state).toBe("failed");
  expect(row.error).toBe(
    `${missing}: revision 'main' is not in the Hugging Face cache ${hfCache}, and HF_HUB_OFFLINE=1 forbids downloading; run \`ptune models pull ${missing}\` on a connected machine (or point HF_HUB_CACHE at a cache that has it)`,
  );
  expect(JSON.stringify([...hub.counts])).toBe(before);
});
