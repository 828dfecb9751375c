import path from "node:path";
import { describe, expect, it } from "vitest";
import { openCheckpoint, T5Tokenizer } from "@ptune/t5";
import { fixtureModel, goldenDir } from "../../../tooling/test-env.ts";
import { nearestNeighbours } from "./neighbours.ts";

describe("nearestNeighbours", () => {
  it("finds a prompt slot's own token first, ranks by cosine (scale-invariant), names tokens", () => {
    const ckpt = openCheckpoint(fixtureModel("v1_1"));
    const emb = ckpt.read("shared.weight");
    const d = ckpt.config.d_model;
    const tok = T5Tokenizer.fromFile(path.join(goldenDir, "tokenizer", "tokenizer.json"));
    const ids = [17, 400, 999];
    const prompt = new Float32Array(ids.length * d);
    ids.forEach((id, i) => emb.subarray(id * d, (id + 1) * d).forEach((x, j) => (prompt[i * d + j] = x * (i + 2)))); // scaled copies
    const nn = nearestNeighbours({ data: prompt, len: 3 }, emb, 5, tok);
    expect(nn.length).toBe(3);
    nn.forEach((list, i) => {
      expect(list.length).toBe(5);
      expect(list[0].id).toBe(ids[i]);
      expect(list[0].similarity).toBeCloseTo(1, 6);
      expect(list[0].token).toBe(tok.idToPiece(ids[i]));
      for (let k = 1; k < 5; k++) expect(list[k].similarity).toBeLessThanOrEqual(list[k - 1].similarity);
    });
  });

  it("matches a brute-force sort on a small table", () => {
    const d = 3;
    const emb = new Float32Array([1, 0, 0, 0, 1, 0, 1, 1, 0, -1, 0, 0, 0.9, 0.1, 0]);
    const nn = nearestNeighbours({ data: new Float32Array([1, 0.2, 0]), len: 1 }, emb, 3);
    expect(nn[0].map((n) => n.id)).toEqual([4, 0, 2]);
    expect(() => nearestNeighbours({ data: new Float32Array(5), len: 2 }, emb, 1)).toThrow(/disagree on d_model/);
    void d;
  });
});
