// Finite-difference check of d loss / d prompt through a whole tiny T5 (the v1.1 fixture's weights,
// both FFN variants via v1.0 too), built in float64 from the same model functions the engine uses.
import { checkVjp, crossEntropy, ops, type Tensor } from "@ptune/onnx";
import { describe, expect, it } from "vitest";
import { fixtureModel } from "../../../../tooling/test-env.ts";
import { openCheckpoint } from "../checkpoint/checkpoint.ts";
import { relativePositionBuckets } from "../relative-position.ts";
import { decoder, encoder, encoderInput, lmHead } from "./t5.ts";

describe("T5 prompt gradient vs finite differences (float64)", () => {
  for (const v of ["v1_0", "v1_1"] as const) {
    it(`${v}: d loss / d prompt`, async () => {
      const ckpt = openCheckpoint(fixtureModel(v));
      const c = ckpt.config;
      const [B, T, P, L] = [2, 4, 3, 3];
      const S = P + T;
      const ids = [5, 17, 230, 1, 44, 9, 1, 0];
      const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]; // [B, S]: prompt slots then tokens; last token padded
      const labels = [12, 1, -100, 7, 99, 1];
      const decIds = [0, 12, 1, 0, 7, 99];
      const f = (prompt: Tensor, idsT: Tensor, maskT: Tensor, encB: Tensor, decT: Tensor, decB: Tensor, labT: Tensor) => {
        const g = prompt.graph;
        const made = new Map<string, Tensor>();
        const W = (name: string) => {
          const n = name === "lm_head.weight" && c.tie_word_embeddings ? "shared.weight" : name;
          let t = made.get(n);
          if (!t) made.set(n, (t = g.initializer(n, "float64", ckpt.info(n).shape, Float64Array.from(ckpt.read(n)))));
          return t;
        };
        const enc = encoder(c, W, encoderInput(c, W, idsT, prompt), maskT, encB, "float64");
        const logits = lmHead(c, W, decoder(c, W, decT, decB, enc, maskT, "float64"));
        const { nll, valid } = crossEntropy(logits, labT);
        return ops.div(ops.reduceSum(nll, [0, 1], false), ops.reduceSum(valid, [0, 1], false));
      };
      const r = await checkVjp(
        f,
        [
          { shape: [P, c.d_model] },
          { shape: [B, T], dtype: "int64", data: ids },
          { shape: [B, S], dtype: "int64", data: mask },
          { shape: [S, S], dtype: "int64", data: Array.from(relativePositionBuckets(S, S, true, 32, 128)) },
          { shape: [B, L], dtype: "int64", data: decIds },
          { shape: [L, L], dtype: "int64", data: Array.from(relativePositionBuckets(L, L, false, 32, 128)) },
          { shape: [B, L], dtype: "int64", data: labels },
        ],
        { eps: 1e-6, atol: 1e-8, rtol: 1e-5, seed: 3 },
      );
      ckpt.close();
      expect(r.checked).toBe(P * c.d_model);
      expect(r.ok, r.worst).toBe(true);
    });
  }
});
