// A local HTTP server on 127.0.0.1 that answers like the Hugging Face hub's resolve and API
// endpoints, serving real files (tests only; the network is the one thing simulated). Behaviour
// follows huggingface_hub's expectations (file_download.py): HEAD on /resolve/ returns X-Repo-Commit
// and, for LFS files, a 302 to a CDN URL with X-Linked-Etag (sha256) and X-Linked-Size; small files
// answer 200 with a git-sha1 ETag; the CDN honours Range; a renamed repo answers a relative 307.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRepo {
  kind: "model" | "dataset";
  repoId: string;
  /** revision (branch, tag or refs/convert/parquet) -> commit */
  refs: Record<string, string>;
  /** commit -> file path -> contents */
  files: Record<string, Record<string, Uint8Array>>;
  /** Requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Old id that redirects (relative) to this one. */
  renamedFrom?: string;
}

export interface FakeHub {
  url: string;
  /** Count of requests by "METHOD path-kind" (e.g. "GET cdn"). */
  counts: Map<string, number>;
  /** Next N CDN GETs without a Range header stop after half the bytes (a dropped connection). */
  dropNext: number;
  /** Serve wrong bytes for the CDN (checksum test). */
  corrupt: boolean;
  ranges: string[];
  close(): Promise<void>;
}

const isLfs = (name: string) => /\.(bin|safetensors|parquet)$/.test(name);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Uint8Array) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

export async function startFakeHub(repos: FakeRepo[]): Promise<FakeHub> {
  const blobs = new Map<string, Uint8Array>();
  for (const r of repos) for (const files of Object.values(r.files)) for (const b of Object.values(files)) blobs.set(sha256(b), b);
  const hub: FakeHub = { url: "", counts: new Map(), dropNext: 0, corrupt: false, ranges: [], close: async () => {} };
  const count = (k: string) => hub.counts.set(k, (hub.counts.get(k) ?? 0) + 1);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, "http://x");
    const p = decodeURIComponent(url.pathname);
    // CDN: /cdn/<sha256>
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(p);
    if (cdn) {
      count(`${req.method} cdn`);
      let b = blobs.get(cdn[1]!);
      if (!b) return void res.writeHead(404).end();
      if (hub.corrupt) b = b.map((x) => x ^ 1);
      const range = req.headers.range;
      if (range) {
        hub.ranges.push(range);
        const from = Number(/^bytes=(\d+)-$/.exec(range)![1]);
        res.writeHead(206, { "content-length": b.length - from, "content-range": `bytes ${from}-${b.length - 1}/${b.length}` });
        return void res.end(Buffer.from(b.subarray(from)));
      }
      if (hub.dropNext > 0) {
        hub.dropNext--;
        res.writeHead(200, { "content-length": b.length });
        res.write(Buffer.from(b.subarray(0, b.length >> 1)), () => res.destroy());
        return;
      }
      res.writeHead(200, { "content-length": b.length });
      return void res.end(Buffer.from(b));
    }
    const api = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p);
    const resolve = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const kind = api ? (api[1] === "models" ? "model" : "dataset") : resolve?.[1] ? "dataset" : "model";
    const id = api ? api[2] : resolve ? decodeURIComponent(resolve[2]!) : undefined;
    const renamed = repos.find((r) => r.kind === kind && r.renamedFrom === id);
    if (renamed && resolve) {
      count(`${req.method} redirect`);
      return void res.writeHead(307, { location: url.pathname.replace(id!, renamed.repoId) }).end();
    }
    const repo = repos.find((r) => r.kind === kind && r.repoId === id);
    if (!repo) return void res.writeHead(404, { "x-error-code": "RepoNotFound" }).end();
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) return void res.writeHead(401, { "x-error-code": "GatedRepo" }).end();
    const rev = api ? api[3]! : decodeURIComponent(resolve![3]!);
    const commit = repo.refs[rev] ?? (repo.files[rev] ? rev : undefined);
    if (!commit) return void res.writeHead(404, { "x-error-code": "RevisionNotFound" }).end();
    const files = repo.files[commit]!;
    if (api) {
      count("GET api");
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ id: repo.repoId, sha: commit, siblings: Object.keys(files).map((rfilename) => ({ rfilename })) }));
    }
    const name = decodeURIComponent(resolve![4]!);
    const b = files[name];
    count(`${req.method} resolve`);
    if (!b) return void res.writeHead(404, { "x-error-code": "EntryNotFound", "x-repo-commit": commit }).end();
    if (isLfs(name)) {
      const sha = sha256(b);
      return void res.writeHead(302, { location: `${hub.url}/cdn/${sha}`, "x-repo-commit": commit, "x-linked-etag": `"${sha}"`, "x-linked-size": String(b.length), etag: `"${gitSha1(b)}"` }).end();
    }
    res.writeHead(200, { "x-repo-commit": commit, etag: `W/"${gitSha1(b)}"`, "content-length": b.length });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(b));
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return hub;
}
