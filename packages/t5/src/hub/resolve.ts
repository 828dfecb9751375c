// hf: references to local directories. A model resolves to its cached snapshot when the snapshot
// holds a complete checkpoint (no network: a worker pinned to a commit or a branch already fetched
// runs offline); otherwise, unless HF_HUB_OFFLINE=1, the files a T5 checkpoint needs are downloaded
// into the same cache, under a per-repo lock so concurrent workers on one host download once.
// `pullModel` always asks the hub (a branch moves on: `ptune models pull` refreshes it).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { cachedSnapshot, linkSnapshotFile, repoCacheDir, writeRef } from "./cache.ts";
import { downloadBlob, fileMetadata, listFiles, type OnProgress } from "./download.ts";
import { hubEnv, type HubEnv } from "./env.ts";
import { withLock } from "./lock.ts";
import { HubError, isHubRef, parseHubRef, repoFolderName, type HubRef } from "./ref.ts";

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  onProgress?: OnProgress;
  /** One line per event ("downloading …", "waiting for …"). */
  log?: (line: string) => void;
}

/** Files besides the weights that a T5 checkpoint directory may use (tokenizer from either file). */
const MODEL_SIDE_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model"];
const WEIGHT_LAYOUTS = [
  ["model.safetensors", "model.safetensors.index.json"],
  ["pytorch_model.bin", "pytorch_model.bin.index.json"],
] as const;

const shardsOf = (indexFile: string): string[] => {
  try {
    const j = JSON.parse(readFileSync(indexFile, "utf8")) as { weight_map?: Record<string, string> };
    return [...new Set(Object.values(j.weight_map ?? {}))];
  } catch (e) {
    throw new HubError(`${indexFile}: ${(e as Error).message}`);
  }
};

/** True when `dir` holds config.json and one complete weight layout (what openCheckpoint needs). */
export function isCompleteModelDir(dir: string): boolean {
  if (!existsSync(path.join(dir, "config.json"))) return false;
  for (const [single, index] of WEIGHT_LAYOUTS) {
    if (existsSync(path.join(dir, single))) return true;
    const ip = path.join(dir, index);
    if (existsSync(ip)) return shardsOf(ip).every((s) => existsSync(path.join(dir, s)));
  }
  return false;
}

/** Downloads `files` of one revision into the cache; returns the snapshot directory. */
async function fetchFiles(env: HubEnv, ref: HubRef, files: string[], opts: ResolveOptions): Promise<{ commit: string; dir: string }> {
  const repo = repoCacheDir(env.cacheDir, ref);
  let commit: string | undefined;
  for (const file of files) {
    // names come from the server (file list, shard index): never let one escape the snapshot
    if (path.isAbsolute(file) || file.split("/").some((p) => p === ".." || p === "" || p === ".")) {
      throw new HubError(`${ref.text}: refusing the file name '${file}' (not a plain relative path inside the repository)`);
    }
    const meta = await fileMetadata(env, ref, file);
    if (commit && meta.commit !== commit) throw new HubError(`${ref.text}: the revision moved to ${meta.commit} while downloading (was ${commit}); run the command again`);
    commit = meta.commit;
    const blob = path.join(repo, "blobs", meta.etag);
    if (!existsSync(blob)) opts.log?.(`downloading ${ref.repoId}/${file} (${(meta.size / 1e6).toFixed(1)} MB)`);
    await downloadBlob(env, meta, blob, file, opts.onProgress);
    linkSnapshotFile(repo, commit, file, meta.etag);
  }
  if (!commit) throw new HubError(`${ref.text}: nothing to download`);
  writeRef(repo, ref.revision, commit);
  return { commit, dir: path.join(repo, "snapshots", commit) };
}

const lockFile = (env: HubEnv, ref: HubRef) => path.join(env.cacheDir, ".locks", repoFolderName(ref), "ptune-pull.lock");

/** Asks the hub for the revision's files and downloads what a T5 checkpoint needs. */
export async function pullModel(refText: string, opts: ResolveOptions = {}): Promise<string> {
  const ref = parseHubRef(refText);
  if (ref.kind !== "model") throw new HubError(`'${refText}' names a dataset; a model is hf:<org>/<name>[@<revision>]`);
  const env = hubEnv(opts.env);
  if (env.offline) throw new HubError(`${ref.text}: HF_HUB_OFFLINE=1 forbids downloading; unset it to pull`);
  return withLock(lockFile(env, ref), () => pullLocked(env, ref, opts), (holder) => opts.log?.(`waiting for ${holder} to finish downloading ${ref.repoId}`));
}

/** pullModel's work; the caller holds the repo's lock. */
async function pullLocked(env: HubEnv, ref: HubRef, opts: ResolveOptions): Promise<string> {
  const { files } = await listFiles(env, ref);
  const have = new Set(files);
  const wanted = MODEL_SIDE_FILES.filter((f) => have.has(f));
  if (!have.has("config.json")) throw new HubError(`${ref.text}: the repository has no config.json; not a transformers checkpoint`);
  const layout = WEIGHT_LAYOUTS.flat().find((f) => have.has(f));
  if (!layout) throw new HubError(`${ref.text}: no ${WEIGHT_LAYOUTS.flat().join(", ")} in the repository (files: ${files.slice(0, 12).join(", ")}${files.length > 12 ? ", …" : ""}); ptune reads PyTorch and safetensors weights`);
  let snap = await fetchFiles(env, ref, [...wanted, layout], opts);
  if (layout.endsWith(".index.json")) snap = await fetchFiles(env, ref, shardsOf(path.join(snap.dir, layout)), opts);
  return snap.dir;
}

const offlineMiss = (env: HubEnv, ref: HubRef, what: string) =>
  new HubError(`${ref.text}: ${what} in the Hugging Face cache ${env.cacheDir}, and HF_HUB_OFFLINE=1 forbids downloading; run \`ptune models pull ${ref.text}\` on a connected machine (or point HF_HUB_CACHE at a cache that has it)`);

/** `ref` parsed, refused with one line when it names the other kind (a dataset where a model is expected, or back). */
function refOfKind(ref: string, kind: HubRef["kind"]): HubRef {
  const r = parseHubRef(ref);
  if (r.kind === kind) return r;
  throw new HubError(
    kind === "model"
      ? `'${ref}' names a dataset where a model is expected (hf:<org>/<name>[@<revision>])`
      : `'${ref}' names a model where a dataset is expected (hf:datasets/<org>/<name>[/<config>][@<revision>])`,
  );
}

/** The usable cached folder of `r`: a model's complete checkpoint snapshot, a dataset's config folder. */
function cachedDir(env: HubEnv, r: HubRef): string | undefined {
  const snap = cachedSnapshot(env.cacheDir, r);
  if (!snap) return undefined;
  const dir = r.kind === "dataset" && r.subdir ? path.join(snap.dir, r.subdir) : snap.dir;
  return (r.kind === "model" ? isCompleteModelDir(dir) : existsSync(dir)) ? dir : undefined;
}

/**
 * Where `ref` is on this machine, never touching the network: a local path as given; an `hf:`
 * reference's cached folder (what resolveModelRef / resolveDatasetRef would return offline), or
 * undefined when it is not cached yet. A malformed reference, or one of the other kind, throws.
 */
export function cachedRefDir(ref: string, kind: HubRef["kind"], envIn?: NodeJS.ProcessEnv): string | undefined {
  if (!isHubRef(ref)) return ref;
  return cachedDir(hubEnv(envIn), refOfKind(ref, kind));
}

/**
 * A checkpoint directory for `ref`: a local path is returned as given; `hf:<org>/<name>[@rev]` is
 * the cached snapshot, downloaded first when missing (unless offline).
 */
export async function resolveModelRef(ref: string, opts: ResolveOptions = {}): Promise<string> {
  if (!isHubRef(ref)) return ref;
  const r = refOfKind(ref, "model");
  const env = hubEnv(opts.env);
  const hit = cachedDir(env, r);
  if (hit) return hit;
  const snap = cachedSnapshot(env.cacheDir, r);
  if (env.offline) throw offlineMiss(env, r, snap ? `snapshot ${snap.commit} lacks config.json or its weights` : `revision '${r.revision}' is not`);
  return withLock(lockFile(env, r), () => {
    // a worker that waited for another's download finds the snapshot complete: no request at all
    const now = cachedDir(env, r);
    return now ? Promise.resolve(now) : pullLocked(env, r, opts);
  }, (holder) => opts.log?.(`waiting for ${holder} to finish downloading ${r.repoId}`));
}

/**
 * A data directory for `hf:datasets/<org>/<name>[/<config>][@rev]`: online, the revision's files
 * under <config>/ are listed and the missing ones downloaded; offline, the cached snapshot is used.
 */
export async function resolveDatasetRef(ref: string, opts: ResolveOptions = {}): Promise<string> {
  if (!isHubRef(ref)) return ref;
  const r = refOfKind(ref, "dataset");
  const env = hubEnv(opts.env);
  const sub = (dir: string) => (r.subdir ? path.join(dir, r.subdir) : dir);
  if (env.offline) {
    const hit = cachedDir(env, r);
    if (!hit) throw offlineMiss(env, r, cachedSnapshot(env.cacheDir, r) ? `config folder '${r.subdir}' is not` : `revision '${r.revision}' is not`);
    return hit;
  }
  const cached = cachedSnapshot(env.cacheDir, r);
  return withLock(lockFile(env, r), async () => {
    let files: string[];
    try {
      ({ files } = await listFiles(env, r));
    } catch (e) {
      // huggingface_hub falls back to the cache when the hub cannot be reached; so do we.
      if (e instanceof HubError && e.message.includes("cannot reach") && cached && existsSync(sub(cached.dir))) {
        opts.log?.(`${e.message}; using the cached snapshot ${cached.commit}`);
        return sub(cached.dir);
      }
      throw e;
    }
    const wanted = files.filter((f) => (r.subdir ? f.startsWith(`${r.subdir}/`) : true) && /\.(parquet|jsonl|jsonl\.gz|json|tsv)$/.test(f));
    if (wanted.length === 0) throw new HubError(`${ref}: no data files${r.subdir ? ` under '${r.subdir}/'` : ""} at revision '${r.revision}' (folders: ${[...new Set(files.map((f) => f.split("/")[0]))].slice(0, 20).join(", ")})`);
    return sub((await fetchFiles(env, r, wanted, opts)).dir);
  }, (holder) => opts.log?.(`waiting for ${holder} to finish downloading ${r.repoId}`));
}
