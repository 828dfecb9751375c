// On-disk cache of built graphs, keyed by checkpoint content hash + graph kind + dtype:
//   <cacheDir>/t5/<checkpoint hash>/weights.<precision>.bin   frozen weights, written once, streamed
//   <cacheDir>/t5/<checkpoint hash>/weights.<precision>.json  offsets + stored dtypes (written last: a completion mark)
//   <cacheDir>/t5/<checkpoint hash>/<kind>[.winputs].g<GRAPH_VERSION>.<precision>.onnx  graphs referencing the weights
// A precision (fp32 | fp16 | bf16) stores each tensor in the dtype model/t5.ts `storedDtype` gives it.
// Graphs and weights share a directory because onnxruntime resolves external data relative to the
// model file. The cache defaults to $PTUNE_CACHE_DIR or ~/.cache/ptune, never the read-only fixtures.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { ExternalDataWriter, saveModel, type FloatDType } from "@ptune/onnx";
import type { Checkpoint } from "../checkpoint/checkpoint.ts";
import { fromFloat32 } from "../checkpoint/dtype.ts";
import type { T5Config } from "../config.ts";
import { storedDtype, type Precision } from "../model/t5.ts";
import { buildGraph, graphKey, type BuildOptions, type GraphSpec, type WeightBinder } from "./build.ts";

/** Bump when the graphs change meaning, so stale cached graphs are rebuilt. */
export const GRAPH_VERSION = 2;

/** safetensors dtype names of the stored float dtypes. */
const ST: Record<string, "F32" | "F16" | "BF16"> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

export function cacheRoot(cacheDir?: string): string {
  return path.resolve(cacheDir ?? process.env.PTUNE_CACHE_DIR ?? path.join(homedir(), ".cache", "ptune"));
}

export interface WeightsIndex {
  location: string;
  /** dtype: as stored (absent in fp32 indexes written before half precision: float32) */
  tensors: Record<string, { offset: number; length: number; shape: number[]; dtype?: FloatDType }>;
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

/** Writes the checkpoint's weights, each in its stored dtype for `precision`, into one external-data file. */
export function ensureWeightsFile(ckpt: Checkpoint, dir: string, precision: Precision = "fp32"): WeightsIndex {
  const tag = precision;
  const indexFile = path.join(dir, `weights.${tag}.json`);
  if (existsSync(indexFile)) return JSON.parse(readFileSync(indexFile, "utf8")) as WeightsIndex;
  mkdirSync(dir, { recursive: true });
  const location = `weights.${tag}.bin`;
  const tmp = path.join(dir, `${location}.${process.pid}.tmp`);
  const aliases = embeddingAliases(ckpt);
  const w = new ExternalDataWriter(tmp);
  const tensors: WeightsIndex["tensors"] = {};
  try {
    for (const name of [...ckpt.tensors(), ...GRAPH_WEIGHT_EXTRAS]) {
      if (aliases[name] || tensors[name]) continue;
      const dtype = storedDtype(name, precision);
      const info = ckpt.info(name);
      // one tensor in memory at a time; a checkpoint already in the stored dtype is copied as is
      const bytes = info.dtype === ST[dtype] ? ckpt.readRaw(name) : fromFloat32(ST[dtype], ckpt.read(name));
      const ref = w.append(bytes);
      tensors[name] = { offset: ref.offset, length: ref.length, shape: info.shape, dtype };
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
 * resolve first): frozen weights become initializers pointing into the weights file (in their
 * stored dtype); for model tuning and tuned-weight evaluation they become float32 graph inputs.
 */
export const bindWeights =
  (index: WeightsIndex, as: "initializers" | "inputs"): WeightBinder =>
  (g) => {
    const made = new Map<string, ReturnType<typeof g.input>>();
    return (name) => {
      const n = index.aliases[name] ?? name;
      let t = made.get(n);
      if (!t) {
        const e = index.tensors[n];
        if (!e) throw new Error(`T5 graph: the checkpoint has no tensor '${n}'`);
        const ext = { external: { location: index.location, offset: e.offset, length: e.length } };
        t = as === "inputs" ? g.input(n, "float32", e.shape) : g.initializer(n, e.dtype ?? "float32", e.shape, ext);
        made.set(n, t);
      }
      return t;
    };
  };

/**
 * Path of the cached graph for `spec`, building and saving it first if needed. `variant` names a
 * second build of the same kind (e.g. "winputs": weights as inputs); `tag` the precision.
 */
export function ensureGraph(dir: string, c: T5Config, spec: GraphSpec, bind: WeightBinder, tag: string, opts: BuildOptions & { variant?: string } = {}): string {
  const scale = opts.lossScale && opts.lossScale !== 1 ? `.ls${opts.lossScale}` : "";
  const file = path.join(dir, `${graphKey(spec)}${opts.variant ? `.${opts.variant}` : ""}.g${GRAPH_VERSION}.${tag}${scale}.onnx`);
  if (!existsSync(file)) saveModel(buildGraph(c, spec, bind, opts), file, { docString: `ptune T5 ${graphKey(spec)}` });
  return file;
}
