// A Hugging Face T5 checkpoint directory: config.json + model.safetensors, or shards listed in
// model.safetensors.index.json ({"weight_map": {tensor: file}}), the layout `save_pretrained` writes;
// or the same with PyTorch files (pytorch_model.bin / pytorch_model.bin.index.json, read by torch.ts
// without executing the pickle), which is all the paper's LM-adapted checkpoints ship.
// Opening validates everything the model needs (names, shapes, float dtypes) so a bad checkpoint
// fails once, up front, with the file and tensor named; tensors are then read one at a time.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { readT5Config, type T5Config } from "../config.ts";
import { isFloatDtype, type Dtype } from "./dtype.ts";
import { SafetensorsError, SafetensorsFile, type TensorInfo } from "./safetensors.ts";
import { expectedT5Tensors, SHARED_ALIASES } from "./t5-tensors.ts";
import type { TensorFile } from "./tensor-file.ts";
import { TorchFile, TorchFormatError } from "./torch.ts";

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export interface Checkpoint {
  readonly dir: string;
  readonly config: T5Config;
  /** true when lm_head.weight is shared.weight (tie_word_embeddings, T5 v1.0). */
  readonly lmHeadTied: boolean;
  /** The weight files (safetensors or PyTorch .bin) backing the tensors. */
  readonly files: string[];
  /**
   * sha256 (hex) of the normalised config and, for every tensor the model uses (canonical name,
   * dtype, shape), its bytes if <= 64 KiB, else three 16 KiB windows (start, middle, end).
   * Cheap (~tens of MB read even for XXL), stable across copies/mtimes and shard layouts.
   * Limit: two checkpoints differing only outside the sampled windows of a large tensor collide.
   */
  readonly contentHash: string;
  /** Canonical tensor names T5 needs, in model order (lm_head.weight included; tied -> shared). */
  tensors(): string[];
  has(name: string): boolean;
  info(name: string): { dtype: Dtype; shape: number[] };
  /** float32 values (F16/BF16 converted). Accepts canonical names, aliases and any name in the files. */
  read(name: string): Float32Array;
  readRaw(name: string): Uint8Array;
  /** Where a tensor's raw little-endian bytes are in its safetensors file (absolute byte offset). */
  location(name: string): { file: string; offset: number; length: number };
  close(): void;
}

interface Located { file: TensorFile; name: string; info: TensorInfo }

/** Weight layouts in the order transformers' from_pretrained prefers them (safetensors first). */
const LAYOUTS = [
  { single: "model.safetensors", index: "model.safetensors.index.json", open: (p: string): TensorFile => new SafetensorsFile(p) },
  { single: "pytorch_model.bin", index: "pytorch_model.bin.index.json", open: (p: string): TensorFile => new TorchFile(p) },
] as const;

function openFiles(dir: string): { files: TensorFile[]; table: Map<string, Located>; where: string } {
  const table = new Map<string, Located>();
  for (const layout of LAYOUTS) {
    const single = path.join(dir, layout.single);
    if (existsSync(single)) {
      const f = layout.open(single);
      for (const [n, info] of f.tensors) table.set(n, { file: f, name: n, info });
      return { files: [f], table, where: single };
    }
    const index = path.join(dir, layout.index);
    if (existsSync(index)) return { ...openSharded(dir, index, layout.open), where: index };
  }
  const present = existsSync(dir) ? readdirSync(dir).join(", ") : "(directory missing)";
  throw new CheckpointError(`${dir}: no model weights (found: ${present || "nothing"}); expected ${LAYOUTS.flatMap((l) => [l.single, l.index]).join(", ")} as Hugging Face's save_pretrained writes them`);
}

/** Shards listed in an index ({"weight_map": {tensor: file}}), the same for safetensors and .bin. */
function openSharded(dir: string, index: string, open: (p: string) => TensorFile): { files: TensorFile[]; table: Map<string, Located> } {
  const table = new Map<string, Located>();
  let weightMap: Record<string, string>;
  try {
    const j = JSON.parse(readFileSync(index, "utf8")) as { weight_map?: unknown };
    if (typeof j.weight_map !== "object" || j.weight_map === null || Object.values(j.weight_map).some((v) => typeof v !== "string")) {
      throw new Error("field 'weight_map' must map tensor names to file names");
    }
    weightMap = j.weight_map as Record<string, string>;
  } catch (e) {
    throw new CheckpointError(`${index}: ${(e as Error).message}`);
  }
  const byFile = new Map<string, TensorFile>();
  const files: TensorFile[] = [];
  try {
    for (const [tensor, rel] of Object.entries(weightMap)) {
      if (rel.includes("..") || path.isAbsolute(rel)) throw new CheckpointError(`${index}: weight_map['${tensor}'] = '${rel}' must be a file inside ${dir}`);
      let f = byFile.get(rel);
      if (!f) {
        const p = path.join(dir, rel);
        if (!existsSync(p)) throw new CheckpointError(`${index}: weight_map['${tensor}'] names '${rel}', which does not exist`);
        f = open(p);
        byFile.set(rel, f);
        files.push(f);
      }
      const info = f.tensors.get(tensor);
      if (!info) throw new CheckpointError(`${f.path}: missing tensor '${tensor}' (listed there by ${path.basename(index)})`);
      table.set(tensor, { file: f, name: tensor, info });
    }
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
  return { files, table };
}

/** Opens and validates a T5 checkpoint directory. Throws CheckpointError / T5ConfigError / SafetensorsError with one clear line. */
export function openCheckpoint(dir: string): Checkpoint {
  const config = readT5Config(dir);
  const { files, table, where } = openFiles(dir);
  try {
    return build(dir, config, files, table, where);
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
}

function build(dir: string, config: T5Config, files: TensorFile[], table: Map<string, Located>, where: string): Checkpoint {
  // shared.weight may be saved under an embed_tokens alias only.
  const sharedAlias = SHARED_ALIASES.find((n) => table.has(n));
  const resolve = new Map<string, Located>(table);
  if (sharedAlias) for (const a of SHARED_ALIASES) if (!table.has(a)) resolve.set(a, table.get(sharedAlias)!);
  // Tied head: HF ties lm_head to shared whenever tie_word_embeddings is set, even if lm_head.weight was saved.
  const lmHeadTied = config.tie_word_embeddings;
  if (lmHeadTied && sharedAlias) resolve.set("lm_head.weight", table.get(sharedAlias)!);

  const expected = expectedT5Tensors(config);
  if (lmHeadTied) expected.push({ name: "lm_head.weight", shape: [config.vocab_size, config.d_model], why: "vocab_size x d_model (tied to shared.weight)" });
  for (const e of expected) {
    const loc = resolve.get(e.name);
    if (!loc) {
      const extra = e.name === "lm_head.weight" ? " (config.json has tie_word_embeddings: false, so an untied LM head is required)" : "";
      throw new CheckpointError(`${where}: missing tensor '${e.name}' (shape [${e.shape}] = ${e.why})${extra}`);
    }
    const s = loc.info.shape;
    if (s.length !== e.shape.length || s.some((d, i) => d !== e.shape[i])) {
      throw new CheckpointError(`${loc.file.path}: tensor '${loc.name}' has shape [${s}], expected [${e.shape}] (${e.why} from config.json)`);
    }
    if (!isFloatDtype(loc.info.dtype)) {
      throw new CheckpointError(`${loc.file.path}: tensor '${loc.name}' has dtype ${loc.info.dtype}, expected F32, F16, BF16 or F64`);
    }
  }
  // More blocks in the weights than config.json declares means the config is wrong for them.
  for (const [name, loc] of table) {
    const m = /^(encoder|decoder)\.block\.(\d+)\./.exec(name);
    const key = m?.[1] === "encoder" ? "num_layers" : "num_decoder_layers";
    if (m && Number(m[2]) >= config[key]) {
      throw new CheckpointError(`${loc.file.path}: tensor '${name}' belongs to ${m[1]} block ${m[2]}, but config.json has ${key} = ${config[key]}`);
    }
  }
  const names = expected.map((e) => e.name);
  let hash: string | undefined;
  let closed = false;
  const get = (name: string): Located => {
    if (closed) throw new CheckpointError(`${dir}: checkpoint is closed`);
    const loc = resolve.get(name);
    if (!loc) throw new CheckpointError(`${where}: no tensor '${name}'`);
    return loc;
  };
  return {
    dir,
    config,
    lmHeadTied,
    files: files.map((f) => f.path),
    get contentHash() {
      return (hash ??= sampledHash(config, names, get));
    },
    tensors: () => [...names],
    has: (name) => resolve.has(name),
    info: (name) => {
      const l = get(name);
      return { dtype: l.info.dtype, shape: [...l.info.shape] };
    },
    read: (name) => {
      const l = get(name);
      try {
        return l.file.readFloat32(l.name);
      } catch (e) {
        throw e instanceof SafetensorsError || e instanceof TorchFormatError ? new CheckpointError(e.message) : e;
      }
    },
    readRaw: (name) => {
      const l = get(name);
      return l.file.readRaw(l.name);
    },
    location: (name) => {
      const l = get(name);
      return { file: l.file.path, offset: l.info.begin, length: l.info.end - l.info.begin };
    },
    close: () => {
      closed = true;
      for (const f of files) f.close();
    },
  };
}

const WHOLE = 64 * 1024;
const WINDOW = 16 * 1024;

function sampledHash(config: T5Config, names: string[], get: (n: string) => Located): string {
  const h = createHash("sha256");
  h.update("ptune-t5-checkpoint-v1\n");
  h.update(JSON.stringify(config));
  for (const n of names) {
    const { file, info, name } = get(n);
    h.update(`\n${n}:${info.dtype}:${info.shape.join("x")}\n`);
    const len = info.end - info.begin;
    if (len <= WHOLE) h.update(file.readRange(info.begin, len, name));
    else for (const at of [0, Math.floor((len - WINDOW) / 2), len - WINDOW]) h.update(file.readRange(info.begin + at, WINDOW, name));
  }
  return h.digest("hex");
}
