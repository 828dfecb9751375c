// On-disk cache of built graphs, keyed by checkpoint content hash + graph kind + dtype:
//   <cacheDir>/t5/<checkpoint hash>/weights.<dtype>.bin   frozen weights, written once, streamed
//   <cacheDir>/t5/<checkpoint hash>/weights.<dtype>.json  their offsets (written last: a completion mark)
//   <cacheDir>/t5/<checkpoint hash>/<kind>.g<GRAPH_VERSION>.<dtype>.onnx  graphs referencing the weights
// Graphs and weights share a directory because onnxruntime resolves external data relative to the
// model file. The cache defaults to $PTUNE_CACHE_DIR or ~/.cache/ptune, never the read-only fixtures.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { ExternalDataWriter, saveModel, type FloatDType } from "@ptune/onnx";
import type { Checkpoint } from "../checkpoint/checkpoint.ts";
import type { T5Config } from "../config.ts";
import { buildGraph, graphKey, type GraphSpec, type WeightBinder } from "./build.ts";

/** Bump when the graphs change meaning, so stale cached graphs are rebuilt. */
export const GRAPH_VERSION = 1;

export function cacheRoot(cacheDir?: string): string {
  return path.resolve(cacheDir ?? process.env.PTUNE_CACHE_DIR ?? path.join(homedir(), ".cache", "ptune"));
}

export interface WeightsIndex {
  location: string;
  tensors: Record<string, { offset: number; length: number; shape: number[] }>;
  /** names the graphs use that are stored under another name (tied LM head, shared token embeddings) */
  aliases: Record<string, string>;
}

/**
 * Token embeddings as transformers 5 sees them: `encoder.embed_tokens` / `decoder.embed_tokens` are
 * their own tensors when the file holds them with values different from `shared.weight` (the
 * v1.1 fixture does: untied embeddings are not shared there); otherwise they are `shared.weight`.
 */
function embeddingAliases(ckpt: Checkpoint): Record<string, string> {
  const aliases: Record<string, string> = {};
  if (ckpt.lmHeadTied) aliases["lm_head.weight"] = "shared.weight";
  const shared = ckpt.readRaw("shared.weight");
  for (const n of ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]) {
    if (!ckpt.has(n)) {
      aliases[n] = "shared.weight";
      continue;
    }
    const raw = ckpt.readRaw(n);
    if (Buffer.compare(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength)) === 0) {
      aliases[n] = "shared.weight";
    }
  }
  return aliases;
}

/** Every weight name the graphs may ask for (canonical, before aliases). */
export const GRAPH_WEIGHT_EXTRAS = ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];

/** Writes the checkpoint's weights (float32) into one external-data file, tensor by tensor. */
export function ensureWeightsFile(ckpt: Checkpoint, dir: string, dtype: FloatDType): WeightsIndex {
  const tag = dtype === "float32" ? "fp32" : dtype;
  const indexFile = path.join(dir, `weights.${tag}.json`);
  if (existsSync(indexFile)) return JSON.parse(readFileSync(indexFile, "utf8")) as WeightsIndex;
  if (dtype !== "float32") throw new Error(`weights cache: dtype ${dtype} is not implemented yet (float32 only)`);
  mkdirSync(dir, { recursive: true });
  const location = `weights.${tag}.bin`;
  const tmp = path.join(dir, `${location}.${process.pid}.tmp`);
  const aliases = embeddingAliases(ckpt);
  const w = new ExternalDataWriter(tmp);
  const tensors: WeightsIndex["tensors"] = {};
  try {
    for (const name of [...ckpt.tensors(), ...GRAPH_WEIGHT_EXTRAS]) {
      if (aliases[name] || tensors[name]) continue;
      const data = ckpt.read(name); // one tensor in memory at a time
      const ref = w.append(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      tensors[name] = { offset: ref.offset, length: ref.length, shape: ckpt.info(name).shape };
    }
  } finally {
    w.close();
  }
  renameSync(tmp, path.join(dir, location));
  const index: WeightsIndex = { location, tensors, aliases };
  writeFileSync(`${indexFile}.${process.pid}.tmp`, JSON.stringify(index));
  renameSync(`${indexFile}.${process.pid}.tmp`, indexFile);
  return index;
}

/**
 * Binds the weight names the model asks for to graph tensors, once per stored tensor (aliases
 * resolve first): frozen weights become initializers pointing into the weights file; for model
 * tuning they become graph inputs.
 */
export const bindWeights =
  (index: WeightsIndex, as: "initializers" | "inputs", dtype: FloatDType = "float32"): WeightBinder =>
  (g) => {
    const made = new Map<string, ReturnType<typeof g.input>>();
    return (name) => {
      const n = index.aliases[name] ?? name;
      let t = made.get(n);
      if (!t) {
        const e = index.tensors[n];
        if (!e) throw new Error(`T5 graph: the checkpoint has no tensor '${n}'`);
        const ext = { external: { location: index.location, offset: e.offset, length: e.length } };
        t = as === "inputs" ? g.input(n, dtype, e.shape) : g.initializer(n, dtype, e.shape, ext);
        made.set(n, t);
      }
      return t;
    };
  };

/** Path of the cached graph for `spec`, building and saving it first if needed. */
export function ensureGraph(dir: string, c: T5Config, spec: GraphSpec, bind: WeightBinder, dtype: FloatDType): string {
  const file = path.join(dir, `${graphKey(spec)}.g${GRAPH_VERSION}.${dtype === "float32" ? "fp32" : dtype}.onnx`);
  if (!existsSync(file)) saveModel(buildGraph(c, spec, bind, dtype), file, { docString: `ptune T5 ${graphKey(spec)}` });
  return file;
}
