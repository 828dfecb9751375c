// A directory holding only pytorch_model.bin works wherever a checkpoint directory does: the
// engine built from it matches the PyTorch golden values exactly as the safetensors original does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goldenFile, repoRoot } from "../../../../tooling/test-env.ts";
import { checkParity } from "../parity/check-parity.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-torch-parity-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
const fx = path.join(repoRoot, "packages/t5/test/fixtures/torch");

describe("engine parity from PyTorch checkpoints", () => {
  for (const dir of ["v1_0-zip", "v1_0-legacy"]) {
    it(dir, async () => {
      const rows = await checkParity(path.join(fx, dir), goldenFile("v1_0"), { atol: 1e-4, rtol: 1e-3, engine: { cacheDir } });
      const failed = rows.filter((r) => !r.skipped && !r.ok);
      expect(failed.map((r) => `${r.key}: ${r.maxAbs}`)).toEqual([]);
      expect(rows.find((r) => r.key === "loss")!.maxAbs).toBeLessThan(1e-6);
    });
  }
});
