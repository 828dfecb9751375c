// hf: references against a local server that answers like the hub (test/hub/fake-hub.ts), with real files:
// the tiny T5 as the paper's checkpoints ship it (pytorch_model.bin only), a gated repo, a renamed
// repo, and a dataset with Parquet conversions.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureModel, repoRoot } from "../../../../tooling/test-env.ts";
import { openCheckpoint } from "../checkpoint/checkpoint.ts";
import { startFakeHub, type FakeHub } from "../../test/hub/fake-hub.ts";
import { parseHubRef } from "./ref.ts";
import { pullModel, resolveDatasetRef, resolveModelRef } from "./resolve.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-hub-"));
const C1 = "1".repeat(40);
const C2 = "2".repeat(40);
const read = (p: string) => new Uint8Array(readFileSync(p));
const bin = read(path.join(repoRoot, "packages/t5/test/fixtures/torch/v1_0-zip/pytorch_model.bin"));
const modelFiles = {
  "config.json": read(path.join(fixtureModel("v1_0"), "config.json")),
  "tokenizer.json": read(path.join(fixtureModel("v1_0"), "tokenizer.json")),
  "pytorch_model.bin": bin,
  "flax_model.msgpack": new Uint8Array(10), // not needed: never downloaded
};
const parquet = (n: number) => new Uint8Array(Array.from({ length: 1000 + n }, (_, i) => (i * 7 + n) & 255));
let hub: FakeHub;
let n = 0;
/** A fresh, empty cache and the environment pointing at the fake hub. */
const freshEnv = (extra: Record<string, string> = {}) => ({ HF_HUB_CACHE: path.join(tmp, `cache${n++}`), HF_ENDPOINT: hub.url, HF_HOME: path.join(tmp, "home"), ...extra });

beforeAll(async () => {
  hub = await startFakeHub([
    { kind: "model", repoId: "google/t5-tiny-lm-adapt", refs: { main: C1 }, files: { [C1]: modelFiles }, renamedFrom: "old-org/t5-tiny" },
    { kind: "model", repoId: "evil/escape", refs: { main: C2 }, files: { [C2]: { "config.json": modelFiles["config.json"], "model.safetensors.index.json": new TextEncoder().encode(JSON.stringify({ weight_map: { "shared.weight": "../../../../outside.safetensors" } })) } } },
    { kind: "model", repoId: "google/gated", refs: { main: C2 }, files: { [C2]: modelFiles }, token: "hf_secret" },
    {
      kind: "dataset", repoId: "aps/super_glue", refs: { "refs/convert/parquet": C2 },
      files: { [C2]: { "boolq/validation/0000.parquet": parquet(0), "boolq/validation/0001.parquet": parquet(1), "rte/train/0000.parquet": parquet(2), "README.md": new Uint8Array(3) } },
    },
  ]);
});
afterAll(async () => {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("parseHubRef", () => {
  it("models, datasets, revisions; bad refs fail with the expected form", () => {
    expect(parseHubRef("hf:google/t5-base-lm-adapt")).toMatchObject({ kind: "model", repoId: "google/t5-base-lm-adapt", revision: "main" });
    expect(parseHubRef("hf:datasets/aps/super_glue/boolq@refs/convert/parquet")).toMatchObject({ kind: "dataset", repoId: "aps/super_glue", subdir: "boolq", revision: "refs/convert/parquet" });
    expect(() => parseHubRef("hf:t5-base")).toThrow(/'hf:t5-base': a model needs exactly <org>\/<name> \(expected hf:<org>\/<name>\[@<revision>\]/);
    expect(() => parseHubRef("hf:a/b@")).toThrow(/bad revision ''/);
  });
});

describe("models from the hub", () => {
  it("downloads into the standard cache layout (refs, blobs, relative symlinks) and opens as a checkpoint", async () => {
    const env = freshEnv();
    const dir = await resolveModelRef("hf:google/t5-tiny-lm-adapt", { env });
    const repo = path.join(env.HF_HUB_CACHE, "models--google--t5-tiny-lm-adapt");
    expect(dir).toBe(path.join(repo, "snapshots", C1));
    expect(readFileSync(path.join(repo, "refs", "main"), "utf8")).toBe(C1);
    const link = path.join(dir, "pytorch_model.bin");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    expect(Buffer.from(read(link)).equals(Buffer.from(bin))).toBe(true);
    expect(readlinkSync(path.join(dir, "config.json"))).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/); // git sha1 ETag, weak marker dropped
    expect(() => statSync(path.join(dir, "flax_model.msgpack"))).toThrow();
    const ck = openCheckpoint(dir);
    expect(ck.files).toEqual([link]);
    ck.close();
  });

  it("a cached model resolves without the network, online or with HF_HUB_OFFLINE=1, and nothing in the cache changes", async () => {
    const env = freshEnv();
    const dir = await resolveModelRef("hf:google/t5-tiny-lm-adapt", { env });
    const before = hub.counts.get("HEAD resolve");
    const mtime = lstatSync(path.join(dir, "config.json")).mtimeMs;
    expect(await resolveModelRef("hf:google/t5-tiny-lm-adapt", { env })).toBe(dir);
    expect(await resolveModelRef(`hf:google/t5-tiny-lm-adapt@${C1}`, { env: { ...env, HF_HUB_OFFLINE: "1" } })).toBe(dir);
    expect(hub.counts.get("HEAD resolve")).toBe(before);
    expect(lstatSync(path.join(dir, "config.json")).mtimeMs).toBe(mtime);
  });

  it("reads a cache written by another tool (hand-made layout, as huggingface_hub writes it)", async () => {
    const env = { ...freshEnv(), HF_HUB_OFFLINE: "1", HF_ENDPOINT: "http://127.0.0.1:1" };
    const repo = path.join(env.HF_HUB_CACHE, "models--google--t5-base-lm-adapt");
    const commit = "a".repeat(40);
    mkdirSync(path.join(repo, "refs"), { recursive: true });
    mkdirSync(path.join(repo, "blobs"));
    mkdirSync(path.join(repo, "snapshots", commit), { recursive: true });
    writeFileSync(path.join(repo, "refs", "main"), commit);
    for (const [f, b] of Object.entries(modelFiles)) {
      writeFileSync(path.join(repo, "blobs", `etag-${f}`), b);
      symlinkSync(`../../blobs/etag-${f}`, path.join(repo, "snapshots", commit, f));
    }
    expect(await resolveModelRef("hf:google/t5-base-lm-adapt", { env })).toBe(path.join(repo, "snapshots", commit));
  });

  it("offline and not cached: one line saying what to run", async () => {
    const env = freshEnv({ HF_HUB_OFFLINE: "1" });
    const calls = [...hub.counts.values()].reduce((a, b) => a + b, 0);
    await expect(resolveModelRef("hf:google/t5-tiny-lm-adapt", { env })).rejects.toThrow(
      new RegExp(`hf:google/t5-tiny-lm-adapt: revision 'main' is not in the Hugging Face cache ${env.HF_HUB_CACHE}, and HF_HUB_OFFLINE=1 forbids downloading; run \`ptune models pull hf:google/t5-tiny-lm-adapt\``),
    );
    expect([...hub.counts.values()].reduce((a, b) => a + b, 0)).toBe(calls); // not one request
  });

  it("a dropped download resumes with Range from the .incomplete file, and the checksum is checked", async () => {
    const env = freshEnv();
    hub.dropNext = 1;
    await expect(pullModel("hf:google/t5-tiny-lm-adapt", { env })).rejects.toThrow(/pytorch_model.bin: download interrupted after \d+ of \d+ bytes \(.*\); run the same command again to resume from [0-9a-f]{64}.incomplete/);
    const blobs = path.join(env.HF_HUB_CACHE, "models--google--t5-tiny-lm-adapt", "blobs");
    const partial = readFileSync(path.join(blobs, `${(await import("node:crypto")).createHash("sha256").update(bin).digest("hex")}.incomplete`));
    expect(partial.length).toBe(bin.length >> 1);
    hub.ranges.length = 0;
    const dir = await pullModel("hf:google/t5-tiny-lm-adapt", { env });
    expect(hub.ranges).toEqual([`bytes=${bin.length >> 1}-`]);
    expect(Buffer.from(read(path.join(dir, "pytorch_model.bin"))).equals(Buffer.from(bin))).toBe(true);

    const env2 = freshEnv();
    hub.corrupt = true;
    try {
      await expect(pullModel("hf:google/t5-tiny-lm-adapt", { env: env2 })).rejects.toThrow(/pytorch_model.bin: sha256 of the download is [0-9a-f]{64}, but the hub's ETag says [0-9a-f]{64}; the partial file was discarded/);
    } finally {
      hub.corrupt = false;
    }
  });

  it("two workers on one host download once (lock), both get the snapshot", async () => {
    const env = freshEnv();
    const before = hub.counts.get("GET cdn") ?? 0;
    const [a, b] = await Promise.all([resolveModelRef("hf:google/t5-tiny-lm-adapt", { env }), resolveModelRef("hf:google/t5-tiny-lm-adapt", { env })]);
    expect(a).toBe(b);
    expect((hub.counts.get("GET cdn") ?? 0) - before).toBe(1);
  });

  it("two worker processes on one host download once (the lock is a file, not process state)", async () => {
    const env = { ...process.env, ...freshEnv() };
    const before = hub.counts.get("GET cdn") ?? 0;
    const child = path.join(repoRoot, "packages/t5/test/hub/resolve-child.ts");
    const run = () => new Promise<{ out: string; err: string }>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", child, "hf:google/t5-tiny-lm-adapt"], { env, cwd: repoRoot }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve({ out, err })));
    });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.out).toBe(b.out);
    expect(a.out).toBe(path.join(env.HF_HUB_CACHE, "models--google--t5-tiny-lm-adapt", "snapshots", C1));
    expect((hub.counts.get("GET cdn") ?? 0) - before).toBe(1);
    expect([a.err, b.err].filter((e) => e.includes("downloading google/t5-tiny-lm-adapt/pytorch_model.bin")).length).toBe(1);
  });

  it("gated repos need HF_TOKEN; a renamed repo follows the hub's relative redirect", async () => {
    await expect(resolveModelRef("hf:google/gated", { env: freshEnv() })).rejects.toThrow(/hf:google\/gated: file list: HTTP 401 \(GatedRepo\) — the repository is private or gated; accept its terms on the hub and set HF_TOKEN/);
    expect(await resolveModelRef("hf:google/gated", { env: freshEnv({ HF_TOKEN: "hf_secret" }) })).toMatch(new RegExp(`models--google--gated/snapshots/${C2}$`));
    const env = freshEnv();
    const home = env.HF_HOME;
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, "token"), "hf_secret\n"); // huggingface-cli login's token file
    expect(await resolveModelRef("hf:google/gated", { env })).toMatch(/snapshots/);
    rmSync(path.join(home, "token"));
    await expect(resolveModelRef("hf:nobody/nothing", { env: freshEnv() })).rejects.toThrow(/hf:nobody\/nothing: file list: HTTP 404, repository not found/);
  });

  it("a file name from the server that would leave the snapshot is refused", async () => {
    await expect(resolveModelRef("hf:evil/escape", { env: freshEnv() })).rejects.toThrow("hf:evil/escape: refusing the file name '../../../../outside.safetensors' (not a plain relative path inside the repository)");
  });

  it("cannot reach the endpoint: says how to work offline", async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r)); // a port nobody listens on
    await expect(resolveModelRef("hf:google/t5-tiny-lm-adapt", { env: { ...freshEnv(), HF_ENDPOINT: `http://127.0.0.1:${port}` } })).rejects.toThrow(
      new RegExp(`file list: cannot reach http://127.0.0.1:${port} \\(ECONNREFUSED\\); set HF_HUB_OFFLINE=1 to use only the local cache`),
    );
  });
});

describe("datasets from the hub", () => {
  it("hf:datasets/<org>/<name>/<config>@refs/convert/parquet downloads that config's files only", async () => {
    const env = freshEnv();
    const dir = await resolveDatasetRef("hf:datasets/aps/super_glue/boolq@refs/convert/parquet", { env });
    const repo = path.join(env.HF_HUB_CACHE, "datasets--aps--super_glue");
    expect(dir).toBe(path.join(repo, "snapshots", C2, "boolq"));
    expect(readFileSync(path.join(repo, "refs", "refs", "convert", "parquet"), "utf8")).toBe(C2);
    expect(readlinkSync(path.join(dir, "validation", "0001.parquet"))).toMatch(/^\.\.\/\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    expect(Buffer.from(read(path.join(dir, "validation", "0001.parquet"))).equals(Buffer.from(parquet(1)))).toBe(true);
    expect(() => statSync(path.join(repo, "snapshots", C2, "rte"))).toThrow();
    // offline, the cached config folder is used; a config never fetched is a clear error
    const off = { ...env, HF_HUB_OFFLINE: "1" };
    expect(await resolveDatasetRef("hf:datasets/aps/super_glue/boolq@refs/convert/parquet", { env: off })).toBe(dir);
    await expect(resolveDatasetRef("hf:datasets/aps/super_glue/rte@refs/convert/parquet", { env: off })).rejects.toThrow(/config folder 'rte' is not in the Hugging Face cache/);
    // online but the hub unreachable: the cached config folder, as huggingface_hub does
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const logs: string[] = [];
    expect(await resolveDatasetRef("hf:datasets/aps/super_glue/boolq@refs/convert/parquet", { env: { ...env, HF_ENDPOINT: `http://127.0.0.1:${port}` }, log: (l) => logs.push(l) })).toBe(dir);
    expect(logs[0]).toMatch(new RegExp(`cannot reach .*; using the cached snapshot ${C2}`));
    await expect(resolveDatasetRef("hf:datasets/aps/super_glue/cb@refs/convert/parquet", { env })).rejects.toThrow(/no data files under 'cb\/' at revision 'refs\/convert\/parquet' \(folders: boolq, rte, README.md\)/);
  });
});
