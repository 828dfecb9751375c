// onnxruntime-node sessions: CPU execution provider by default, CUDA when asked, and host-array
// <-> ort.Tensor conversion (int32 ids become the int64 tensors the graphs take).
// onnxruntime-node 1.29 has no IO binding and ignores `preferredOutputLocation` (onnxruntime-common
// documents it for the web backends only): every output comes back to host memory. So on CUDA the
// weights must be initializers (copied to the GPU once, at session creation) and feeds / outputs
// small (ids, masks, the prompt and its gradient, losses).
import ort from "onnxruntime-node";
import type { DType } from "./dtype.ts";

export interface SessionOptions {
  device?: "cpu" | "cuda";
  /** CUDA device ordinal (default 0) */
  deviceId?: number;
  threads?: number;
  optimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** onnxruntime log severity: 0 verbose .. 4 fatal (default 2: warnings, e.g. nodes placed on the CPU EP) */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export class Session {
  constructor(
    readonly inner: ort.InferenceSession,
    readonly path: string,
  ) {}
  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }
  /** Runs the graph; every input must be fed, and a missing one is named in the error. */
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    for (const n of this.inner.inputNames) {
      if (!(n in feeds)) throw new Error(`${this.path}: missing input '${n}' (have ${Object.keys(feeds).join(", ")})`);
    }
    return this.inner.run(feeds);
  }
  async close(): Promise<void> {
    await this.inner.release();
  }
}

export async function createSession(modelPath: string, opts: SessionOptions = {}): Promise<Session> {
  // CUDA first; onnxruntime places nodes without a CUDA kernel on the CPU EP (and warns)
  const providers: ort.InferenceSession.ExecutionProviderConfig[] = opts.device === "cuda" ? [{ name: "cuda", deviceId: opts.deviceId ?? 0 }, "cpu"] : ["cpu"];
  try {
    const s = await ort.InferenceSession.create(modelPath, {
      executionProviders: providers,
      graphOptimizationLevel: opts.optimizationLevel ?? "all",
      logSeverityLevel: opts.logSeverityLevel ?? 2,
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    });
    return new Session(s, modelPath);
  } catch (e) {
    throw new Error(`onnxruntime could not load ${modelPath} on ${opts.device ?? "cpu"}: ${(e as Error).message}`);
  }
}

/** An ort.Tensor from host data; int32 arrays given for int64 inputs are widened. */
export function toOrt(dtype: DType, dims: readonly number[], data: ArrayLike<number> | Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`tensor of ${dtype}[${dims.join(", ")}] needs ${n} values, got ${data.length}`);
  switch (dtype) {
    case "float32":
      return new ort.Tensor("float32", data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), dims);
    case "float64":
      return new ort.Tensor("float64", data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>), dims);
    case "int64": {
      if (data instanceof BigInt64Array) return new ort.Tensor("int64", data, dims);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt((data as ArrayLike<number>)[i]);
      return new ort.Tensor("int64", out, dims);
    }
    case "int32":
      return new ort.Tensor("int32", data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>), dims);
    case "bool":
      return new ort.Tensor("bool", data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>), dims);
    default:
      throw new Error(`toOrt: dtype ${dtype} is not supported yet`);
  }
}

/** Host numbers from an output tensor (int64 narrowed to JS numbers). */
export function fromOrt(t: ort.Tensor): Float32Array | Float64Array | Int32Array | Uint8Array | number[] {
  const d = t.data;
  if (d instanceof BigInt64Array) return Array.from(d, Number);
  return d as Float32Array;
}

export { ort };
