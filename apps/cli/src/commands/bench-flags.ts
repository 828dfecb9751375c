// The flags the engine benches share (`ptune bench engine`, `bench memory`, and the shape flags of
// `bench gpu`): one definition each, with its help line, and one mapping to the bench options.
import { z } from "zod";
import { intFlag } from "../flag-schema.ts";

/** Batch shape of a prompt-tuning step. */
export const shapeFlags = {
  batch: intFlag("batch", 1),
  "input-len": intFlag("input-len", 1),
  "target-len": intFlag("target-len", 1),
  "prompt-len": intFlag("prompt-len", 1),
};
type Shape = { batch: number; inputLen: number; targetLen: number; promptLen: number };
export const shapeHelp = (d: Shape) => ({
  batch: `examples per step (default: ${d.batch})`,
  "input-len": `input tokens per example (default: ${d.inputLen})`,
  "target-len": `target tokens per example (default: ${d.targetLen})`,
  "prompt-len": `soft-prompt length (default: ${d.promptLen})`,
});
/** Parsed values of a group of flags (each optional). */
type Values<F extends Record<string, z.ZodType>> = { [K in keyof F]?: z.output<F[K]> };
type ShapeValues = Values<typeof shapeFlags>;
/** The shape flags as bench options (unset ones stay unset, or take `d`'s). */
export function shapeOf(v: ShapeValues): Partial<Shape>;
export function shapeOf(v: ShapeValues, d: Shape): Shape;
export function shapeOf(v: ShapeValues, d?: Shape): Partial<Shape> {
  return { batch: v.batch ?? d?.batch, inputLen: v["input-len"] ?? d?.inputLen, targetLen: v["target-len"] ?? d?.targetLen, promptLen: v["prompt-len"] ?? d?.promptLen };
}

/** How the engine runs: threads, provider, precision, weight binding, graph cache. */
export const engineFlags = {
  threads: intFlag("threads", 1),
  device: z.enum(["cpu", "cuda"], { message: "--device must be cpu or cuda" }).optional(),
  dtype: z.enum(["fp32", "fp16", "bf16"], { message: "--dtype must be fp32, fp16 or bf16" }).optional(),
  "weight-binding": z.enum(["inputs", "frozen"], { message: "--weight-binding must be inputs or frozen" }).optional(),
  "cache-dir": z.string().optional(),
};
export const engineHelp = {
  threads: "onnxruntime intra-op threads (default: onnxruntime's)",
  device: "cpu or cuda (default: cpu)",
  dtype: "fp32, fp16 or bf16 frozen weights (default: fp32)",
  "weight-binding": "inputs (one copy of the weights, bound once; the CPU default) or frozen (initializers, prepacked on the CPU; the CUDA default)",
  "cache-dir": "where built graphs go (default: PTUNE_CACHE_DIR or ~/.cache/ptune)",
};
export const engineOf = (v: Values<typeof engineFlags>) => ({
  threads: v.threads,
  device: v.device,
  dtype: v.dtype,
  weightBinding: v["weight-binding"],
  cacheDir: v["cache-dir"],
});
