// On-disk cache of built graphs, keyed by checkpoint content hash + graph identity (build.ts graphKey):
//   <cacheDir>/t5/<checkpoint hash>/<graphKey>.g<GRAPH_VERSION>.onnx     a graph (structure only when weights are inputs)
//   <cacheDir>/t5/<checkpoint hash>/ckpt-<i>.safetensors     the checkpoint's file i (a hard link: no bytes copied)
//   <cacheDir>/t5/<checkpoint hash>/weights.<precision>.{bin,json}      converted weights, only when needed
// Frozen graphs (`weights: "frozen"`, the CUDA EP's) keep the weights as initializers whose external
// data is the checkpoint's own safetensors bytes wherever the stored dtype is the compute dtype
// (safetensors stores raw little-endian tensors at known offsets, onnx/docs/ExternalData.md reads
// location/offset/length): no second copy on disk. Only tensors that need a real conversion
// (a dtype change: fp32 checkpoint, fp16 compute) go to one converted weights file. onnxruntime
// resolves external data relative to the model file and (1.29) refuses a path whose canonical form
// leaves the model's directory, symlinks included; hence hard links beside the graphs. Where a
// hard link is impossible (another filesystem, a file we may not link), those tensors are copied
// into the converted file instead: correct, one copy on disk, and `ptune bench memory` shows it.
// Graphs with weights as inputs (the CPU EP's, model tuning, tuned views) have no weight bytes at all.
// The cache defaults to $PTUNE_CACHE_DIR or ~/.cache/ptune, never the read-only fixtures.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { ExternalDataWriter, saveModel, type FloatDType, type Tensor } from "@ptune/onnx";
import type { Checkpoint } from "../checkpoint/checkpoint.ts";
import { fromFloat32 } from "../checkpoint/dtype.ts";
import type { T5Config } from "../config.ts";
import { storedDtype, type Precision } from "../model/t5.ts";
import { roleOf, weightsOf, type WeightRole } from "../model/weights.ts";
import { buildGraph, graphKey, type GraphId, type WeightBinder } from "./build.ts";

/** Bump when the graphs change meaning, so stale cached graphs are rebuilt. */
export const GRAPH_VERSION = 4;

/** safetensors dtype names of the stored float dtypes. */
const ST: Record<string, "F32" | "F16" | "BF16"> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

export function cacheRoot(cacheDir?: string): string {
  return path.resolve(cacheDir ?? process.env.PTUNE_CACHE_DIR ?? path.join(homedir(), ".cache", "ptune"));
}

/** The weights the graphs ask for: canonical names with shapes, and the names that resolve to another. */
export interface WeightTable {
  shapes: Record<string, number[]>;
  /** each canonical name's role in the weight tree (decides its stored dtype) */
  roles: Record<string, WeightRole>;
  /** names the graphs use that are stored under another name (tied LM head, shared token embeddings) */
  aliases: Record<string, string>;
}


/**
 * Token embeddings as transformers 5 sees them: `encoder.embed_tokens` / `decoder.embed_tokens` are
 * their own tensors when the file holds them with values different from `shared.weight` (the
 * v1.1 fixture does: untied embeddings are not shared there); otherwise they are `shared.weight`.
 */
export function weightTable(ckpt: Checkpoint): WeightTable {
  const aliases: Record<string, string> = {};
  if (ckpt.lmHeadTied) aliases["lm_head.weight"] = "shared.weight"; // tied head: one tensor
  const tree = weightsOf(ckpt.config);
  // every weight name the graphs may ask for besides the checkpoint's canonical tensors
  const extras = [tree.encoder.embedTokens.name, tree.decoder.embedTokens.name];
  const shared = ckpt.readRaw(tree.shared.name);
  for (const n of extras) {
    if (!ckpt.has(n)) {
      aliases[n] = tree.shared.name;
      continue;
    }
    const raw = ckpt.readRaw(n);
    if (Buffer.compare(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength)) === 0) {
      aliases[n] = tree.shared.name;
    }
  }
  const shapes: Record<string, number[]> = {};
  const roles: Record<string, WeightRole> = {};
  for (const n of [...ckpt.tensors(), ...extras]) {
    if (aliases[n]) continue;
    shapes[n] = ckpt.info(n).shape;
    roles[n] = roleOf(ckpt.config, n);
  }
  return { shapes, roles, aliases };
}

/** Where each frozen weight's bytes are for the graphs of one precision (external data, relative to the cache dir). */
export interface WeightsIndex {
  tensors: Record<string, { location: string; offset: number; length: number; dtype: FloatDType }>;
}

/**
 * The external data of the frozen graphs of `precision`: the checkpoint's own bytes (through
 * symlinks in `dir`) for each tensor stored in its compute dtype; the rest converted, one tensor
 * in memory at a time, into `weights.<precision>.bin` (only written when some tensor needs it).
 */
export function ensureWeightsIndex(ckpt: Checkpoint, table: WeightTable, dir: string, precision: Precision): WeightsIndex {
  const indexFile = path.join(dir, `weights.${precision}.json`);
  if (existsSync(indexFile)) return JSON.parse(readFileSync(indexFile, "utf8")) as WeightsIndex;
  mkdirSync(dir, { recursive: true });
  const links = new Map<string, string | null>();
  /** the checkpoint file's name in `dir` (a hard link), or null when it cannot be linked */
  const link = (file: string): string | null => {
    if (links.has(file)) return links.get(file)!;
    let name: string | null = `ckpt-${links.size}.safetensors`;
    // link then rename: a concurrent engine never sees a half-made entry
    const tmpLink = path.join(dir, `${name}.${process.pid}.tmp`);
    try {
      if (existsSync(tmpLink)) unlinkSync(tmpLink);
      linkSync(path.resolve(file), tmpLink);
      renameSync(tmpLink, path.join(dir, name));
    } catch {
      name = null;
    }
    links.set(file, name);
    return name;
  };
  const converted = `weights.${precision}.bin`;
  const tmp = path.join(dir, `${converted}.${process.pid}.tmp`);
  let w: ExternalDataWriter | undefined;
  const tensors: WeightsIndex["tensors"] = {};
  try {
    for (const name of Object.keys(table.shapes)) {
      const dtype = storedDtype(table.roles[name], precision);
      const same = ckpt.info(name).dtype === ST[dtype];
      const loc = same ? ckpt.location(name) : undefined;
      const linked = loc ? link(loc.file) : null;
      if (loc && linked) {
        tensors[name] = { location: linked, offset: loc.offset, length: loc.length, dtype };
      } else {
        const bytes = same ? ckpt.readRaw(name) : fromFloat32(ST[dtype], ckpt.read(name));
        const ref = (w ??= new ExternalDataWriter(tmp)).append(bytes);
        tensors[name] = { location: converted, offset: ref.offset, length: ref.length, dtype };
      }
    }
  } finally {
    w?.close();
  }
  if (w) renameSync(tmp, path.join(dir, converted));
  const index: WeightsIndex = { tensors };
  writeFileSync(`${indexFile}.${process.pid}.tmp`, JSON.stringify(index));
  renameSync(`${indexFile}.${process.pid}.tmp`, indexFile);
  return index;
}

/**
 * Binds the weight names the model asks for to graph tensors, once per stored tensor (aliases
 * resolve first), in the dtype `storedDtype(role, precision)` gives: initializers pointing at
 * `index` (frozen graphs), or graph inputs named by the canonical tensor name.
 */
export const bindWeights =
  (table: WeightTable, precision: Precision, index?: WeightsIndex): WeightBinder =>
  (g) => {
    const made = new Map<string, Tensor>();
    return (name) => {
      const n = table.aliases[name] ?? name;
      let t = made.get(n);
      if (!t) {
        const shape = table.shapes[n];
        if (!shape) throw new Error(`T5 graph: the checkpoint has no tensor '${n}'`);
        const dtype = storedDtype(table.roles[n], precision);
        const e = index?.tensors[n];
        t = e ? g.initializer(n, dtype, shape, { external: { location: e.location, offset: e.offset, length: e.length } }) : g.input(n, dtype, shape);
        made.set(n, t);
      }
      return t;
    };
  };

/** Path of the cached graph `id`, building and saving it first if needed. */
export function ensureGraph(dir: string, c: T5Config, id: GraphId, bind: WeightBinder): string {
  const file = path.join(dir, `${graphKey(id)}.g${GRAPH_VERSION}.onnx`);
  if (!existsSync(file)) saveModel(buildGraph(c, id, bind), file, { docString: `ptune T5 ${graphKey(id)}` });
  return file;
}
