// A restricted unpickler for PyTorch state dicts. It never executes code: every global the pickle
// names is looked up in an allow-list of what `torch.save(state_dict)` emits (torch/_utils.py's
// tensor rebuild functions, torch storage classes, torch dtypes, collections.OrderedDict); any other
// global is refused with its name. Opcodes follow CPython's Lib/pickle.py (protocols 0-5; torch.save
// uses protocol 2). Persistent ids (torch's storages) are handed to the caller unchanged.

export class PickleError extends Error {
  override name = "PickleError";
}

/** A global the pickle named; `call` builds its value from REDUCE arguments. */
export interface Global {
  readonly module: string;
  readonly name: string;
}

/** What REDUCE of an allowed global produced. */
export interface Reduced {
  readonly global: Global;
  readonly args: unknown[];
  /** Set by BUILD (OrderedDict carries `_metadata` this way); ignored by torch's loader for tensors. */
  state?: unknown;
}

/** A dict whose keys are strings or numbers (all a state dict needs), insertion-ordered. */
export type PickleDict = Map<unknown, unknown>;

export interface UnpickleOptions {
  /** Globals allowed, as "module.name". */
  allowed: ReadonlySet<string>;
  /** Called for BINPERSID / PERSID with the pid object (torch: a tuple describing a storage). */
  persistentLoad: (pid: unknown) => unknown;
  /** Called for REDUCE of an allowed global; default: a `Reduced` record. */
  reduce?: (g: Global, args: unknown[]) => unknown;
  where: string;
}

/** Byte source: an in-memory pickle or a window over a file. */
export interface ByteSource {
  pos: number;
  byte(): number;
  bytes(n: number): Uint8Array;
}

export class BufferSource implements ByteSource {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly where: string) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new PickleError(`${this.where}: pickle ends early at byte ${this.pos} (truncated file?)`);
    return this.buf[this.pos++];
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new PickleError(`${this.where}: pickle ends early at byte ${this.pos} (needs ${n} more bytes; truncated file?)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const MARK = Symbol("mark");
const utf8 = new TextDecoder("utf-8", { fatal: false });
const latin1 = new TextDecoder("latin1");

/** Little-endian two's-complement integer of `b` as number (or bigint beyond 2^53). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
const i32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(0, true);
const u64 = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));

/** Runs the pickle at `src.pos` until STOP and returns its value. */
export function unpickle(src: ByteSource, opts: UnpickleOptions): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new PickleError(`${opts.where}: ${msg}`);
  };
  const pop = (): unknown => (stack.length > (marks.at(-1) ?? 0) ? stack.pop() : fail("pickle pops an empty stack or past a mark (malformed pickle)"));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) return fail("pickle closes a mark it never opened (malformed pickle)");
    return stack.splice(m);
  };
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail("pickle reads an empty stack (malformed pickle)"));
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    for (let i = 0; i + 1 < kv.length; i += 2) (d as PickleDict).set(kv[i], kv[i + 1]);
  };
  const appendItems = (l: unknown, xs: unknown[]) => {
    if (!Array.isArray(l)) fail("APPEND(S) on something that is not a list");
    (l as unknown[]).push(...xs);
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!opts.allowed.has(full)) {
      fail(`refuses global '${full}': a state dict needs only torch's tensor rebuild functions, storages and collections.OrderedDict (ptune never executes code from a checkpoint; convert it with a trusted tool if you trust its source)`);
    }
    return { module, name };
  };
  const reduce = (g: unknown, args: unknown): unknown => {
    if (!isGlobal(g)) return fail("REDUCE of something that is not an allowed global");
    if (!Array.isArray(args)) return fail(`REDUCE of ${g.module}.${g.name} with non-tuple arguments`);
    return opts.reduce ? opts.reduce(g, args) : ({ global: g, args } satisfies Reduced);
  };
  for (;;) {
    const at = src.pos;
    const op = src.byte();
    switch (op) {
      case 0x80: { // PROTO
        const v = src.byte();
        if (v > 5) fail(`pickle protocol ${v} is not supported (expected <= 5)`);
        break;
      }
      case 0x95: src.bytes(8); break; // FRAME: framing is transparent to a sequential reader
      case 0x2e: return stack.length === 1 && marks.length === 0 ? stack[0] : fail("pickle STOP with a malformed stack"); // STOP
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(src.byte()); break; // BININT1
      case 0x4d: { const b = src.bytes(2); stack.push(b[0] | (b[1] << 8)); break; } // BININT2
      case 0x4a: stack.push(i32(src.bytes(4))); break; // BININT
      case 0x8a: stack.push(decodeLong(src.bytes(src.byte()))); break; // LONG1
      case 0x8b: { const n = i32(src.bytes(4)); if (n < 0) fail("negative LONG4 length"); stack.push(decodeLong(src.bytes(n))); break; } // LONG4
      case 0x47: stack.push(new DataView(src.bytes(8).slice().buffer).getFloat64(0, false)); break; // BINFLOAT (big-endian)
      case 0x49: case 0x4c: { // INT, LONG (protocol 0 text)
        const line = readLine(src);
        if (op === 0x49 && line === "01") stack.push(true);
        else if (op === 0x49 && line === "00") stack.push(false);
        else {
          const t = line.replace(/L$/, "");
          if (!/^-?\d+$/.test(t)) fail(`bad integer literal '${line}'`);
          const b = BigInt(t);
          stack.push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        }
        break;
      }
      case 0x58: stack.push(utf8.decode(src.bytes(u32(src.bytes(4))))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(src.bytes(src.byte()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(src.bytes(u64(src.bytes(8))))); break; // BINUNICODE8
      case 0x54: stack.push(latin1.decode(src.bytes(u32(src.bytes(4))))); break; // BINSTRING
      case 0x55: stack.push(latin1.decode(src.bytes(src.byte()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(src.bytes(u32(src.bytes(4))).slice()); break; // BINBYTES
      case 0x43: stack.push(src.bytes(src.byte()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(src.bytes(u64(src.bytes(8))).slice()); break; // BINBYTES8
      case 0x56: stack.push(readLine(src)); break; // UNICODE (raw-unicode-escape; state-dict keys are ASCII)
      case 0x53: stack.push(readLine(src).replace(/^(['"])(.*)\1$/, "$2")); break; // STRING
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x64: { const kv = popMark(); const d = new Map(); setItems(d, kv); stack.push(d); break; } // DICT
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const xs = popMark(); appendItems(top(), xs); break; } // APPENDS
      case 0x90: { const xs = popMark(); const s = top(); if (!(s instanceof Set)) fail("ADDITEMS on a non-set"); for (const x of xs) (s as Set<unknown>).add(x); break; } // ADDITEMS
      case 0x71: memo.set(src.byte(), top()); break; // BINPUT
      case 0x72: memo.set(u32(src.bytes(4)), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number(readLine(src)), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? src.byte() : op === 0x6a ? u32(src.bytes(4)) : Number(readLine(src));
        if (!memo.has(k)) fail(`memo key ${k} is not defined (malformed pickle)`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { const module = readLine(src); const name = readLine(src); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings"); stack.push(global(module as string, name as string)); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const g = pop(); stack.push(reduce(g, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const g = pop(); stack.push(reduce(g, args)); break; } // NEWOBJ
      case 0x62: { // BUILD: only OrderedDict/dict state (torch's `_metadata`) or rebuilt objects
        const state = pop();
        const obj = top();
        if (obj instanceof Map) (obj as PickleDict & { state?: unknown }).state = state;
        else if (obj && typeof obj === "object" && "global" in obj) (obj as Reduced).state = state;
        else fail("BUILD on an object that is neither a dict nor an allowed reconstructed object");
        break;
      }
      case 0x51: stack.push(opts.persistentLoad(pop())); break; // BINPERSID
      case 0x50: stack.push(opts.persistentLoad(readLine(src))); break; // PERSID
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at} (not something torch.save writes for a state dict)`);
    }
  }
}

function readLine(src: ByteSource): string {
  const out: number[] = [];
  for (let b = src.byte(); b !== 0x0a; b = src.byte()) {
    out.push(b);
    if (out.length > 1 << 20) throw new PickleError("pickle text line longer than 1 MiB (malformed pickle)");
  }
  return latin1.decode(Uint8Array.from(out));
}

export function isGlobal(x: unknown): x is Global {
  return typeof x === "object" && x !== null && "module" in x && "name" in x && !Array.isArray(x);
}
