// Talking to the hub the way huggingface_hub does (file_download.py `get_hf_file_metadata`,
// `http_get`): HEAD <endpoint>/[datasets/]<repo>/resolve/<revision>/<file> following only relative
// redirects (a renamed repo), never the CDN's, so the hub's headers come back: X-Repo-Commit (the
// commit), X-Linked-Etag else ETag (the blob name: sha256 for LFS files, git sha1 otherwise),
// X-Linked-Size else Content-Length, Location (where to GET). The GET writes
// blobs/<etag>.incomplete, resumes it with `Range: bytes=<have>-`, and the content is checked
// against the ETag before the blob is renamed into place.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, renameSync, statSync, truncateSync, writeSync } from "node:fs";
import path from "node:path";
import type { HubEnv } from "./env.ts";
import { HubError, type HubRef } from "./ref.ts";

export interface FileMeta {
  commit: string;
  etag: string;
  size: number;
  location: string;
}

export interface Progress {
  file: string;
  done: number;
  total: number;
}
export type OnProgress = (p: Progress) => void;

const USER_AGENT = "ptune/0.1 (huggingface_hub-compatible; node)";

const headersFor = (env: HubEnv, extra: Record<string, string> = {}): Record<string, string> => ({
  "user-agent": USER_AGENT,
  ...(env.token && { authorization: `Bearer ${env.token}` }),
  ...extra,
});

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");
const repoUrlPrefix = (env: HubEnv, ref: HubRef) => `${env.endpoint}/${ref.kind === "dataset" ? "datasets/" : ""}${ref.repoId}`;
export const resolveUrl = (env: HubEnv, ref: HubRef, file: string) => `${repoUrlPrefix(env, ref)}/resolve/${encodeURIComponent(ref.revision)}/${encodePath(file)}`;

/** huggingface_hub `_normalize_etag`: drop a weak marker and the quotes. */
const normalizeEtag = (e: string | null) => (e ? e.replace(/^W\//, "").replace(/^"|"$/g, "") : undefined);

function httpError(res: Response, what: string, env: HubEnv): HubError {
  const code = res.headers.get("x-error-code");
  if (res.status === 401 || res.status === 403 || code === "GatedRepo") {
    return new HubError(`${what}: HTTP ${res.status}${code ? ` (${code})` : ""} — the repository is private or gated; accept its terms on the hub and set HF_TOKEN${env.token ? " (the token given was refused)" : ""}`);
  }
  if (res.status === 404) {
    const why = code === "RepoNotFound" ? "repository not found" : code === "RevisionNotFound" ? "revision not found" : code === "EntryNotFound" ? "file not found in this revision" : "not found";
    return new HubError(`${what}: HTTP 404, ${why}`);
  }
  return new HubError(`${what}: HTTP ${res.status} ${res.statusText}`);
}

async function request(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new HubError(`${what}: cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (e as Error).message}); set HF_HUB_OFFLINE=1 to use only the local cache`);
  }
}

/** HEAD of one file: its commit, etag, size and download location. */
export async function fileMetadata(env: HubEnv, ref: HubRef, file: string): Promise<FileMeta> {
  let url = resolveUrl(env, ref, file);
  const what = `${ref.text}: ${file}`;
  for (let hops = 0; ; hops++) {
    const res = await request(url, { method: "HEAD", redirect: "manual", headers: headersFor(env, { "accept-encoding": "identity" }) }, what);
    const loc = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && loc) {
      // huggingface_hub `_request_wrapper(follow_relative_redirects=True)`: a relative Location
      // (renamed repo, resolve cache) is followed; an absolute one (the CDN) is where to GET.
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) && hops < 10) {
        url = new URL(loc, url).toString();
        continue;
      }
    } else if (!res.ok) throw httpError(res, what, env);
    const commit = res.headers.get("x-repo-commit");
    const etag = normalizeEtag(res.headers.get("x-linked-etag") ?? res.headers.get("etag"));
    const size = Number(res.headers.get("x-linked-size") ?? res.headers.get("content-length"));
    if (!commit || !etag) throw new HubError(`${what}: the server at ${env.endpoint} did not send X-Repo-Commit and ETag headers (is HF_ENDPOINT a Hugging Face hub?)`);
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new HubError(`${what}: X-Repo-Commit '${commit}' is not a commit hash`);
    if (!/^[A-Za-z0-9._-]+$/.test(etag)) throw new HubError(`${what}: ETag '${etag}' cannot name a blob`);
    if (!Number.isSafeInteger(size) || size < 0) throw new HubError(`${what}: no file size in the response`);
    return { commit, etag, size, location: loc ? new URL(loc, url).toString() : url };
  }
}

/** GET JSON from the hub API (file listings). */
export async function hubJson(env: HubEnv, apiPath: string, what: string): Promise<unknown> {
  const res = await request(`${env.endpoint}${apiPath}`, { headers: headersFor(env) }, what);
  if (!res.ok) throw httpError(res, what, env);
  return res.json();
}

/** Files of one revision: `GET /api/<models|datasets>/<repo>/revision/<rev>` -> {sha, siblings}. */
export async function listFiles(env: HubEnv, ref: HubRef): Promise<{ commit: string; files: string[] }> {
  const j = (await hubJson(env, `/api/${ref.kind}s/${ref.repoId}/revision/${encodeURIComponent(ref.revision)}`, `${ref.text}: file list`)) as { sha?: unknown; siblings?: unknown };
  if (typeof j.sha !== "string" || !Array.isArray(j.siblings)) throw new HubError(`${ref.text}: the hub's file list has no 'sha' and 'siblings'`);
  return { commit: j.sha, files: j.siblings.map((s) => (s as { rfilename: string }).rfilename).filter((f) => typeof f === "string") };
}

/** What an ETag promises about the content: sha256 (LFS) or git's blob sha1. */
function checksumFor(etag: string, size: number) {
  if (/^[0-9a-f]{64}$/.test(etag)) return { algo: "sha256", prefix: "" };
  if (/^[0-9a-f]{40}$/.test(etag)) return { algo: "sha1", prefix: `blob ${size}\0` };
  return undefined;
}

async function hashFile(file: string, algo: string, prefix: string): Promise<string> {
  const h = createHash(algo);
  h.update(prefix);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Downloads one file into blobs/<etag> (resuming a previous .incomplete), checked against its ETag. */
export async function downloadBlob(env: HubEnv, meta: FileMeta, blob: string, file: string, onProgress?: OnProgress): Promise<void> {
  if (existsSync(blob)) return;
  mkdirSync(path.dirname(blob), { recursive: true });
  const incomplete = `${blob}.incomplete`;
  let have = existsSync(incomplete) ? statSync(incomplete).size : 0;
  if (have > meta.size) {
    truncateSync(incomplete, 0);
    have = 0;
  }
  const what = `${file}`;
  if (have < meta.size || meta.size === 0) {
    const res = await request(meta.location, { headers: headersFor(env, have > 0 ? { range: `bytes=${have}-` } : {}) }, what);
    if (!res.ok) throw httpError(res, what, env);
    if (have > 0 && res.status !== 206) have = 0; // the server ignored Range: start over
    const fd = openSync(incomplete, have > 0 ? "a" : "w");
    try {
      let done = have;
      onProgress?.({ file, done, total: meta.size });
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          writeSync(fd, chunk);
          done += chunk.byteLength;
          onProgress?.({ file, done, total: meta.size });
        }
      } catch (e) {
        const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
        throw new HubError(`${what}: download interrupted after ${done} of ${meta.size} bytes (${cause}); run the same command again to resume from ${path.basename(incomplete)}`);
      }
    } finally {
      closeSync(fd);
    }
  }
  const got = statSync(incomplete).size;
  if (got !== meta.size) throw new HubError(`${what}: downloaded ${got} bytes, expected ${meta.size} (connection dropped?); run the same command again to resume`);
  const sum = checksumFor(meta.etag, meta.size);
  if (sum) {
    const actual = await hashFile(incomplete, sum.algo, sum.prefix);
    if (actual !== meta.etag) {
      truncateSync(incomplete, 0);
      throw new HubError(`${what}: ${sum.algo} of the download is ${actual}, but the hub's ETag says ${meta.etag}; the partial file was discarded, run the command again`);
    }
  }
  renameSync(incomplete, blob);
}
