// PyTorch checkpoint reader (`pytorch_model.bin`), safe and streamed. Two formats, both from
// torch/serialization.py:
// - zip (torch >= 1.6, `_save`): `<archive>/data.pkl` is the pickled state dict; each storage is a
//   STORED entry `<archive>/data/<key>` holding its raw little-endian bytes.
// - legacy (`_legacy_save`, `_use_new_zipfile_serialization=False`): five pickles in a row — magic
//   number, protocol version, sys_info, the state dict, the sorted list of storage keys — then, per
//   key in that order, an int64 element count followed by the storage's bytes.
// In both, a tensor is `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`
// and a storage is a persistent id `('storage', <torch.XStorage>, key, location, numel[, view])`.
// Only the pickles are read into memory; a tensor's bytes are located (storage start + offset ×
// element size) and read at that offset when asked for, so names that share one storage (tied
// embeddings) share bytes, and a 40 GB file costs a few MB of memory.
import { fstatSync, openSync, readSync } from "node:fs";
import { DTYPE_SIZE, type Dtype } from "./dtype.ts";
import { BufferSource, isGlobal, PickleError, unpickle, type ByteSource, type Global } from "./pickle.ts";
import { numel, PositionedTensorFile, readExact, SafetensorsError, type TensorInfo } from "./safetensors.ts";
import { entryDataOffset, isZip, readZipDirectory, ZipError } from "./zip.ts";

export class TorchFormatError extends Error {
  override name = "TorchFormatError";
}

/** torch storage classes -> element type (torch/storage.py `_dtype_to_storage_type_map`). */
const STORAGE_DTYPE: Record<string, Dtype> = {
  FloatStorage: "F32", HalfStorage: "F16", BFloat16Storage: "BF16", DoubleStorage: "F64",
  LongStorage: "I64", IntStorage: "I32", ShortStorage: "I16", CharStorage: "I8", ByteStorage: "U8", BoolStorage: "BOOL",
};
const REBUILD_TENSOR = new Set(["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"]);
const REBUILD_PARAMETER = new Set(["torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"]);
const ORDERED_DICT = "collections.OrderedDict";
/** Everything `torch.save(model.state_dict())` can name; nothing here runs code. */
export const TORCH_ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  ...REBUILD_TENSOR, ...REBUILD_PARAMETER, ORDERED_DICT, ...Object.keys(STORAGE_DTYPE).map((s) => `torch.${s}`),
]);
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

interface Storage { readonly storage: true; key: string; dtype: Dtype; numel: number }
interface Tensor { readonly tensor: true; storage: Storage; offset: number; shape: number[]; stride: number[] }

const isTensor = (x: unknown): x is Tensor => typeof x === "object" && x !== null && "tensor" in x;
const isIntTuple = (x: unknown): x is number[] => Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && d >= 0);

/** Reads a file sequentially through a 1 MiB window (legacy pickles sit at the start of the file). */
class FileSource implements ByteSource {
  pos = 0;
  private buf = new Uint8Array(0);
  private bufAt = 0;
  constructor(private readonly fd: number, private readonly size: number, private readonly where: string) {}
  private fill(n: number) {
    if (this.pos >= this.bufAt && this.pos + n <= this.bufAt + this.buf.length) return;
    const len = Math.max(n, 1 << 20);
    const avail = Math.min(len, this.size - this.pos);
    if (avail < n) throw new TorchFormatError(`${this.where}: file ends at byte ${this.size} inside a pickle (truncated — download it again)`);
    this.buf = new Uint8Array(avail);
    readSync(this.fd, this.buf, 0, avail, this.pos);
    this.bufAt = this.pos;
  }
  byte(): number {
    this.fill(1);
    return this.buf[this.pos++ - this.bufAt];
  }
  bytes(n: number): Uint8Array {
    this.fill(n);
    const s = this.pos - this.bufAt;
    this.pos += n;
    return this.buf.subarray(s, s + n);
  }
}

/** Parses the pickled state dict; `storage(key, dtype, numel)` records each storage it names. */
function readStateDict(src: ByteSource, where: string, storages: Map<string, Storage>): Map<string, Tensor> {
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) throw new TorchFormatError(`${where}: persistent id ${JSON.stringify(pid)} is not a torch storage`);
    const [, type, key, , n, view] = pid as [string, unknown, unknown, unknown, unknown, unknown];
    if (!isGlobal(type) || type.module !== "torch" || !(type.name in STORAGE_DTYPE)) throw new TorchFormatError(`${where}: storage of unknown type ${isGlobal(type) ? `${type.module}.${type.name}` : String(type)}`);
    if (typeof key !== "string" || !Number.isSafeInteger(n)) throw new TorchFormatError(`${where}: malformed storage id (key ${String(key)}, size ${String(n)})`);
    if (view != null) throw new TorchFormatError(`${where}: storage '${key}' is a view of another storage (torch < 1.0 checkpoint); re-save it with a current torch`);
    const s: Storage = { storage: true, key, dtype: STORAGE_DTYPE[type.name], numel: n as number };
    const prev = storages.get(key);
    if (prev && (prev.dtype !== s.dtype || prev.numel !== s.numel)) throw new TorchFormatError(`${where}: storage '${key}' is named twice with different types or sizes`);
    if (!prev) storages.set(key, s);
    return prev ?? s;
  };
  const reduce = (g: Global, args: unknown[]): unknown => {
    const full = `${g.module}.${g.name}`;
    if (full === ORDERED_DICT) {
      const d = new Map<unknown, unknown>();
      if (Array.isArray(args[0])) for (const kv of args[0] as unknown[]) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
      return d;
    }
    if (REBUILD_TENSOR.has(full)) {
      const [storage, offset, size, stride] = args as [Storage, unknown, unknown, unknown];
      if (!storage || typeof storage !== "object" || !("storage" in storage)) throw new TorchFormatError(`${where}: ${full} without a storage`);
      if (!Number.isSafeInteger(offset) || !isIntTuple(size) || !isIntTuple(stride) || size.length !== stride.length) throw new TorchFormatError(`${where}: ${full} with malformed offset/size/stride`);
      return { tensor: true, storage, offset: offset as number, shape: [...size], stride: [...stride] } satisfies Tensor;
    }
    if (REBUILD_PARAMETER.has(full)) {
      if (!isTensor(args[0])) throw new TorchFormatError(`${where}: ${full} without a tensor`);
      return args[0];
    }
    throw new TorchFormatError(`${where}: global '${full}' cannot be called`); // storages are only used as persistent-id types
  };
  let obj: unknown;
  try {
    obj = unpickle(src, { allowed: TORCH_ALLOWED_GLOBALS, persistentLoad, reduce, where });
  } catch (e) {
    throw e instanceof PickleError ? new TorchFormatError(e.message) : e;
  }
  if (!(obj instanceof Map)) throw new TorchFormatError(`${where}: the pickled object is not a state dict (expected a dict of tensors, e.g. torch.save(model.state_dict()))`);
  const out = new Map<string, Tensor>();
  for (const [k, v] of obj) {
    if (typeof k !== "string") throw new TorchFormatError(`${where}: state dict key ${String(k)} is not a string`);
    if (isTensor(v)) out.set(k, v);
    // Non-tensor entries (none in transformers' state dicts) are skipped, like safetensors metadata.
  }
  return out;
}

function contiguousStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** One open `pytorch_model.bin` (either format): the tensor table in memory, bytes read on demand. */
export class TorchFile extends PositionedTensorFile {
  readonly tensors = new Map<string, TensorInfo>();
  readonly format: "zip" | "legacy";

  constructor(path: string) {
    super(path, TorchFormatError);
    let fd: number;
    try {
      fd = this.fd = openSync(path, "r");
    } catch (e) {
      throw new TorchFormatError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const size = fstatSync(fd).size;
      const head = readExact(fd, 0, Math.min(size, 512), path);
      if (isZip(head)) this.format = "zip";
      else if (head[0] === 0x80) this.format = "legacy";
      else if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar") throw new TorchFormatError(`${path}: tar-format checkpoint (torch < 0.4); load and re-save it with a current torch`);
      else throw new TorchFormatError(`${path}: not a PyTorch checkpoint (neither a zip archive nor a pickle; ${size} bytes)`);
      const located = this.format === "zip" ? this.openZip(fd) : this.openLegacy(fd, size);
      for (const [name, t] of located.tensors) this.tensors.set(name, this.place(name, t, located.start));
    } catch (e) {
      this.close();
      if (e instanceof ZipError || e instanceof SafetensorsError) throw new TorchFormatError(e.message);
      throw e;
    }
  }

  private openZip(fd: number): { tensors: Map<string, Tensor>; start: Map<string, { at: number; bytes: number }> } {
    const entries = readZipDirectory(fd, this.path);
    const pkl = [...entries.keys()].find((n) => n === "data.pkl" || /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new TorchFormatError(`${this.path}: zip archive without data.pkl (not a torch.save checkpoint)`);
    const prefix = pkl.slice(0, -"data.pkl".length);
    const pe = entries.get(pkl)!;
    const pickle = readExact(fd, entryDataOffset(fd, this.path, pe), pe.size, this.path);
    const storages = new Map<string, Storage>();
    const tensors = readStateDict(new BufferSource(pickle, `${this.path}: ${pkl}`), `${this.path}: ${pkl}`, storages);
    const start = new Map<string, { at: number; bytes: number }>();
    for (const s of storages.values()) {
      const e = entries.get(`${prefix}data/${s.key}`);
      if (!e) throw new TorchFormatError(`${this.path}: storage '${s.key}' is missing from the archive (no entry '${prefix}data/${s.key}'; the file is damaged)`);
      start.set(s.key, { at: entryDataOffset(fd, this.path, e), bytes: e.size });
    }
    return { tensors, start };
  }

  private openLegacy(fd: number, size: number): { tensors: Map<string, Tensor>; start: Map<string, { at: number; bytes: number }> } {
    const src = new FileSource(fd, size, this.path);
    const plain = (what: string) => {
      try {
        return unpickle(src, { allowed: new Set(), persistentLoad: () => { throw new PickleError(`${this.path}: unexpected persistent id in the ${what}`); }, where: `${this.path}: ${what}` });
      } catch (e) {
        throw e instanceof PickleError ? new TorchFormatError(e.message) : e;
      }
    };
    const magic = plain("magic number");
    if (typeof magic !== "bigint" || magic !== LEGACY_MAGIC) throw new TorchFormatError(`${this.path}: a pickle file, but not a torch.save checkpoint (wrong magic number)`);
    const proto = plain("protocol version");
    if (proto !== LEGACY_PROTOCOL) throw new TorchFormatError(`${this.path}: legacy checkpoint protocol ${String(proto)}, expected ${LEGACY_PROTOCOL}`);
    const sys = plain("sys_info");
    if (sys instanceof Map && sys.get("little_endian") === false) throw new TorchFormatError(`${this.path}: saved on a big-endian machine; re-save it on a little-endian one`);
    const storages = new Map<string, Storage>();
    const tensors = readStateDict(src, `${this.path}: state dict`, storages);
    const keys = plain("storage keys");
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) throw new TorchFormatError(`${this.path}: malformed storage key list`);
    const start = new Map<string, { at: number; bytes: number }>();
    let pos = src.pos;
    for (const key of keys as string[]) {
      const s = storages.get(key);
      if (!s) throw new TorchFormatError(`${this.path}: storage key '${key}' is listed but no tensor uses it (damaged file)`);
      if (pos + 8 > size) throw new TorchFormatError(`${this.path}: file ends at byte ${size} before storage '${key}' (truncated — download it again)`);
      const n = Number(new DataView(readExact(fd, pos, 8, this.path).buffer).getBigInt64(0, true));
      if (n !== s.numel) throw new TorchFormatError(`${this.path}: storage '${key}' holds ${n} elements at byte ${pos}, expected ${s.numel} (damaged file)`);
      const bytes = n * DTYPE_SIZE[s.dtype];
      start.set(key, { at: pos + 8, bytes });
      pos += 8 + bytes;
    }
    for (const s of storages.values()) if (!start.has(s.key)) throw new TorchFormatError(`${this.path}: storage '${s.key}' is used by a tensor but missing from the file (damaged file)`);
    if (pos > size) throw new TorchFormatError(`${this.path}: storage data should end at byte ${pos} but the file has ${size} bytes (truncated — download it again)`);
    return { tensors, start };
  }

  private place(name: string, t: Tensor, start: Map<string, { at: number; bytes: number }>): TensorInfo {
    const s = start.get(t.storage.key)!;
    const el = DTYPE_SIZE[t.storage.dtype];
    if (s.bytes < t.storage.numel * el) throw new TorchFormatError(`${this.path}: storage '${t.storage.key}' has ${s.bytes} bytes, expected ${t.storage.numel * el} (${t.storage.numel} × ${t.storage.dtype}; damaged file)`);
    const want = contiguousStrides(t.shape);
    if (t.shape.some((d, i) => d > 1 && t.stride[i] !== want[i])) {
      throw new TorchFormatError(`${this.path}: tensor '${name}' is not contiguous (shape [${t.shape}], stride [${t.stride}]); save it with .contiguous() (transformers' save_pretrained does)`);
    }
    const n = numel(t.shape);
    if (t.offset + n > t.storage.numel) throw new TorchFormatError(`${this.path}: tensor '${name}' (offset ${t.offset}, ${n} elements) reaches past its storage '${t.storage.key}' of ${t.storage.numel} elements`);
    const begin = s.at + t.offset * el;
    return { dtype: t.storage.dtype, shape: t.shape, begin, end: begin + n * el };
  }
}
