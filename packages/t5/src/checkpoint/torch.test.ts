// PyTorch checkpoints: every format torch.save writes (fixtures made by
// packages/t5/test/fixtures/torch/make_torch_fixtures.py with torch 1.13) loads tensors
// byte-identical to the safetensors originals, and every malformed file fails with one clear line.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel, repoRoot } from "../../../../tooling/test-env.ts";
import { openCheckpoint } from "./checkpoint.ts";
import { fromFloat32 } from "./dtype.ts";
import { SafetensorsFile } from "./safetensors.ts";
import { TorchFile } from "./torch.ts";

const fx = path.join(repoRoot, "packages/t5/test/fixtures/torch");
const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-torch-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reference = (v: "v1_0" | "v1_1") => new SafetensorsFile(path.join(fixtureModel(v), "model.safetensors"));
const bytes = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
/** The reference tensor's bytes in `dtype` (torch's .half()/.bfloat16() round to nearest even, as fromFloat32 does). */
const want = (ref: SafetensorsFile, name: string, dtype: "F32" | "F16" | "BF16") => bytes(fromFloat32(dtype, ref.readFloat32(name)));

describe("every PyTorch format loads the same tensors as the safetensors", () => {
  const cases = [
    { dir: "v1_0-zip", v: "v1_0", dtype: "F32" },
    { dir: "v1_0-legacy", v: "v1_0", dtype: "F32" },
    { dir: "v1_1-f16-sharded", v: "v1_1", dtype: "F16" },
    { dir: "v1_1-bf16", v: "v1_1", dtype: "BF16" },
  ] as const;
  for (const c of cases) {
    it(`${c.dir} through openCheckpoint`, () => {
      const ck = openCheckpoint(path.join(fx, c.dir));
      const ref = reference(c.v);
      try {
        expect(ck.tensors().length).toBeGreaterThan(40);
        for (const name of ck.tensors()) {
          const refName = ref.tensors.has(name) ? name : "shared.weight"; // v1.0: lm_head is tied
          expect(ck.info(name)).toEqual({ dtype: c.dtype, shape: ref.info(refName).shape });
          expect(bytes(ck.readRaw(name)).equals(want(ref, refName, c.dtype)), name).toBe(true);
        }
        expect(ck.files.every((f) => f.endsWith(".bin"))).toBe(true);
      } finally {
        ck.close();
        ref.close();
      }
    });
  }

  it("the content hash does not depend on the file format (same weights, same engine cache)", () => {
    const [a, b] = [openCheckpoint(path.join(fx, "v1_0-zip")), openCheckpoint(fixtureModel("v1_0"))];
    const c = openCheckpoint(path.join(fx, "v1_0-legacy"));
    expect(a.contentHash).toBe(b.contentHash);
    expect(c.contentHash).toBe(b.contentHash);
    for (const x of [a, b, c]) x.close();
  });

  it("tied names share one storage: the same bytes at the same offset", () => {
    const f = new TorchFile(path.join(fx, "v1_0-zip/pytorch_model.bin"));
    const names = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"];
    const at = names.map((n) => f.tensors.get(n)!.begin);
    expect(new Set(at).size).toBe(1);
    expect(f.format).toBe("zip");
    f.close();
  });

  it("views into one storage (non-zero storage offset) read their own slice", () => {
    const f = new TorchFile(path.join(fx, "v1_1-bf16/pytorch_model.bin"));
    const a = f.tensors.get("encoder.block.0.layer.1.DenseReluDense.wi_0.weight")!;
    const b = f.tensors.get("encoder.block.0.layer.1.DenseReluDense.wi_1.weight")!;
    expect(b.begin).toBe(a.end); // wi_1 starts where wi_0 ends in the shared storage
    f.close();
  });

  it("ZIP64 records, the legacy format and pickle protocol 4, tensor by tensor", () => {
    const ref = reference("v1_1");
    for (const file of ["zip64.bin", "small-legacy.bin", "small-proto4.bin"]) {
      const f = new TorchFile(path.join(fx, file));
      expect(f.tensors.size).toBe(3);
      for (const name of f.tensors.keys()) expect(bytes(f.readRaw(name)).equals(want(ref, name, "F32")), `${file} ${name}`).toBe(true);
      expect(f.format).toBe(file === "small-legacy.bin" ? "legacy" : "zip");
      f.close();
    }
    ref.close();
  });

  it("a directory with safetensors AND .bin reads the safetensors (transformers' preference)", () => {
    const dir = path.join(tmp, "both");
    mkdirSync(dir);
    for (const f of ["config.json", "model.safetensors"]) copyFileSync(path.join(fixtureModel("v1_0"), f), path.join(dir, f));
    copyFileSync(path.join(fx, "v1_0-zip/pytorch_model.bin"), path.join(dir, "pytorch_model.bin"));
    const ck = openCheckpoint(dir);
    expect(ck.files).toEqual([path.join(dir, "model.safetensors")]);
    ck.close();
  });
});

describe("malformed PyTorch checkpoints fail with one clear line", () => {
  const bad = (name: string) => path.join(fx, "malformed", name);

  it("a global outside the allow-list (os.system), in both formats", () => {
    for (const f of ["evil-zip.bin", "evil-legacy.bin"]) {
      expect(() => new TorchFile(bad(f))).toThrow(/refuses global 'posix\.system': a state dict needs only torch's tensor rebuild functions, storages and collections.OrderedDict/);
    }
  });

  it("a truncated zip", () => {
    const p = path.join(tmp, "truncated-zip.bin");
    const whole = readFileSync(path.join(fx, "v1_0-zip/pytorch_model.bin"));
    writeFileSync(p, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(() => new TorchFile(p)).toThrow(/truncated-zip.bin: not a complete zip archive \(no end-of-central-directory record; the file is truncated or damaged — download it again\)/);
  });

  it("a truncated legacy file", () => {
    const p = path.join(tmp, "truncated-legacy.bin");
    const whole = readFileSync(path.join(fx, "small-legacy.bin"));
    writeFileSync(p, whole.subarray(0, whole.length - 100));
    expect(() => new TorchFile(p)).toThrow(/truncated-legacy.bin: storage data should end at byte \d+ but the file has \d+ bytes \(truncated — download it again\)/);
    writeFileSync(p, whole.subarray(0, 300));
    expect(() => new TorchFile(p)).toThrow(/truncated-legacy.bin: file ends at byte 300 inside a pickle \(truncated — download it again\)/);
  });

  it("a storage missing from the archive", () => {
    expect(() => new TorchFile(bad("missing-storage.bin"))).toThrow(/missing-storage.bin: storage '1' is missing from the archive \(no entry 'small\/data\/1'; the file is damaged\)/);
  });

  it("a non-contiguous tensor", () => {
    expect(() => new TorchFile(bad("non-contiguous.bin"))).toThrow(/tensor 't' is not contiguous \(shape \[4,8\], stride \[1,64\]\); save it with .contiguous\(\)/);
  });

  it("not a checkpoint at all", () => {
    const p = path.join(tmp, "junk.bin");
    writeFileSync(p, "hello world");
    expect(() => new TorchFile(p)).toThrow(/junk.bin: not a PyTorch checkpoint \(neither a zip archive nor a pickle; 11 bytes\)/);
  });

  it("a bad shard index", () => {
    const dir = path.join(tmp, "bad-index");
    mkdirSync(dir);
    const src = path.join(fx, "v1_1-f16-sharded");
    copyFileSync(path.join(src, "config.json"), path.join(dir, "config.json"));
    const idx = path.join(dir, "pytorch_model.bin.index.json");
    writeFileSync(idx, "{ not json");
    expect(() => openCheckpoint(dir)).toThrow(/pytorch_model.bin.index.json: .*JSON/);
    writeFileSync(idx, JSON.stringify({ weight_map: { "shared.weight": "pytorch_model-00001-of-00002.bin" } }));
    expect(() => openCheckpoint(dir)).toThrow(/pytorch_model.bin.index.json: weight_map\['shared.weight'\] names 'pytorch_model-00001-of-00002.bin', which does not exist/);
    copyFileSync(path.join(src, "pytorch_model-00001-of-00002.bin"), path.join(dir, "pytorch_model-00001-of-00002.bin"));
    writeFileSync(idx, JSON.stringify({ weight_map: { "lm_head.weight": "pytorch_model-00001-of-00002.bin" } }));
    expect(() => openCheckpoint(dir)).toThrow(/pytorch_model-00001-of-00002.bin: missing tensor 'lm_head.weight' \(listed there by pytorch_model.bin.index.json\)/);
  });
});
