// Adafactor exactly as transformers' `transformers.optimization.Adafactor.step` computes it
// (the optimizer the prompt-tuning paper uses, §3: lr 0.3, no parameter scaling, no relative step,
// decay_rate -0.8, weight decay 1e-5, clip_threshold 1.0, no momentum).
//
// Per parameter p with gradient g (torch source, in order):
//   step += 1;  beta2t = 1 - step^decay_rate                     (Python double)
//   u = g^2 + eps1
//   factored (ndim >= 2):  row = beta2t*row + (1-beta2t)*mean(u, -1);  col = beta2t*col + (1-beta2t)*mean(u, -2)
//                          u = rsqrt(row / mean(row, -1))[..., None] * rsqrt(col)[..., None, :] * g
//   otherwise:             sq = beta2t*sq + (1-beta2t)*u;  u = rsqrt(sq) * g
//   u /= max(1, rms(u) / clip_threshold);  u *= lr
//   p += p * (-weight_decay * lr)      (weight decay BEFORE the update is added)
//   p -= u
// With relative_step=False and scale_parameter=False the learning rate is the constant `lr`.
//
// Rounding: PyTorch computes every elementwise op in float32, casting Python scalars to float32;
// `add_(x, alpha=a)` is `self + a*x` evaluated as a fused multiply-add in its vectorised CPU kernel.
// We reproduce that with Math.fround after each op; fma(a,b,c) is emulated in double (a float32
// product is exact in double, so only the final rounding differs, and double-then-float rounding
// agrees with a single rounding except in vanishingly rare ties). Reductions (mean, norm) are summed
// in double and rounded once, which is at least as accurate as torch's float32 cascade sums; the
// golden step-1 parity test checks the agreement (tests/adafactor.test.ts).
import { z } from "zod";

const f = Math.fround;
const fma = (a: number, b: number, c: number) => f(a * b + c);

export const AdafactorOptionsSchema = z.object({
  lr: z.number().positive(),
  eps1: z.number().nonnegative().default(1e-30),
  eps2: z.number().nonnegative().default(1e-3), // only used with scale_parameter, kept for the record
  clipThreshold: z.number().positive().default(1.0),
  decayRate: z.number().default(-0.8),
  weightDecay: z.number().nonnegative().default(0),
});
export type AdafactorOptions = z.input<typeof AdafactorOptionsSchema>;

/** State of one parameter (plain data: serialisable). */
export interface AdafactorParamState {
  step: number;
  shape: number[];
  /** factored: exp_avg_sq_row [..., R] and exp_avg_sq_col [..., C]; else exp_avg_sq [numel] */
  expAvgSqRow?: Float32Array;
  expAvgSqCol?: Float32Array;
  expAvgSq?: Float32Array;
}
export interface AdafactorState {
  options: z.output<typeof AdafactorOptionsSchema>;
  params: Record<string, AdafactorParamState>;
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** rms(x) = ||x||_2 / sqrt(numel), as torch: float32 norm divided by float32(sqrt(n)). */
function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return f(f(Math.sqrt(s)) / f(Math.sqrt(x.length)));
}

const rsqrt = (x: number) => f(1 / f(Math.sqrt(x)));

export class Adafactor {
  readonly options: z.output<typeof AdafactorOptionsSchema>;
  private params = new Map<string, AdafactorParamState>();

  constructor(options: AdafactorOptions) {
    const parsed = AdafactorOptionsSchema.safeParse(options);
    if (!parsed.success) throw new Error(`Adafactor options: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    this.options = parsed.data;
  }

  /** The learning rate torch's `_get_lr` returns with relative_step=False, scale_parameter=False. */
  lr(): number {
    return this.options.lr;
  }

  /**
   * One Adafactor step for parameter `name` (updated IN PLACE). `shape` decides factoring
   * (`len(shape) >= 2`, torch's `_get_options`).
   */
  step(name: string, param: Float32Array, grad: Float32Array, shape: number[]): void {
    const n = numel(shape);
    if (param.length !== n || grad.length !== n) {
      throw new Error(`Adafactor.step(${name}): shape [${shape}] has ${n} elements but param has ${param.length} and grad ${grad.length}`);
    }
    const o = this.options;
    const factored = shape.length >= 2;
    let st = this.params.get(name);
    if (!st) {
      st = { step: 0, shape: [...shape] };
      if (factored) {
        const C = shape[shape.length - 1];
        const R = shape[shape.length - 2];
        const batch = n / (R * C);
        st.expAvgSqRow = new Float32Array(batch * R);
        st.expAvgSqCol = new Float32Array(batch * C);
      } else {
        st.expAvgSq = new Float32Array(n);
      }
      this.params.set(name, st);
    } else if (st.shape.join(",") !== shape.join(",")) {
      throw new Error(`Adafactor.step(${name}): shape [${shape}] differs from the state's [${st.shape}]`);
    }
    st.step += 1;
    const lr = f(this.lr());
    const beta2t = 1.0 - Math.pow(st.step, o.decayRate); // double, like Python's math.pow
    const b2 = f(beta2t);
    const oneMinus = f(1.0 - beta2t);
    const eps1 = f(o.eps1);

    const sq = new Float32Array(n); // u = grad**2 + eps1
    for (let i = 0; i < n; i++) sq[i] = f(f(grad[i] * grad[i]) + eps1);

    const update = new Float32Array(n);
    if (factored) {
      const C = shape[shape.length - 1];
      const R = shape[shape.length - 2];
      const batch = n / (R * C);
      const row = st.expAvgSqRow!;
      const col = st.expAvgSqCol!;
      for (let bi = 0; bi < batch; bi++) {
        const base = bi * R * C;
        for (let r = 0; r < R; r++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += sq[base + r * C + c];
          const mean = f(f(s) / C);
          const k = bi * R + r;
          row[k] = fma(oneMinus, mean, f(row[k] * b2));
        }
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let r = 0; r < R; r++) s += sq[base + r * C + c];
          const mean = f(f(s) / R);
          const k = bi * C + c;
          col[k] = fma(oneMinus, mean, f(col[k] * b2));
        }
        // _approx_sq_grad: rsqrt(row / mean(row)) outer rsqrt(col), then * grad
        let rs = 0;
        for (let r = 0; r < R; r++) rs += row[bi * R + r];
        const rowMean = f(f(rs) / R);
        const rFactor = new Float32Array(R);
        for (let r = 0; r < R; r++) rFactor[r] = rsqrt(f(row[bi * R + r] / rowMean));
        const cFactor = new Float32Array(C);
        for (let c = 0; c < C; c++) cFactor[c] = rsqrt(col[bi * C + c]);
        for (let r = 0; r < R; r++) {
          for (let c = 0; c < C; c++) {
            const i = base + r * C + c;
            update[i] = f(f(rFactor[r] * cFactor[c]) * grad[i]);
          }
        }
      }
    } else {
      const v = st.expAvgSq!;
      for (let i = 0; i < n; i++) {
        v[i] = fma(oneMinus, sq[i], f(v[i] * b2));
        update[i] = f(rsqrt(v[i]) * grad[i]);
      }
    }
    // update.div_((rms(update) / clip_threshold).clamp_(min=1.0)); update.mul_(lr)
    const denom = Math.max(f(rms(update) / f(o.clipThreshold)), 1.0);
    for (let i = 0; i < n; i++) update[i] = f(f(update[i] / denom) * lr);
    // p.add_(p, alpha=-weight_decay*lr) then p.add_(-update)
    if (o.weightDecay !== 0) {
      const alpha = f(-o.weightDecay * this.lr());
      for (let i = 0; i < n; i++) param[i] = fma(alpha, param[i], param[i]);
    }
    for (let i = 0; i < n; i++) param[i] = f(param[i] - update[i]);
  }

  /** Steps taken for `name` (0 before its first step). */
  stepCount(name: string): number {
    return this.params.get(name)?.step ?? 0;
  }

  /** Plain-data snapshot (copies). */
  state(): AdafactorState {
    const params: Record<string, AdafactorParamState> = {};
    for (const [k, v] of this.params) {
      params[k] = {
        step: v.step,
        shape: [...v.shape],
        ...(v.expAvgSqRow ? { expAvgSqRow: v.expAvgSqRow.slice() } : {}),
        ...(v.expAvgSqCol ? { expAvgSqCol: v.expAvgSqCol.slice() } : {}),
        ...(v.expAvgSq ? { expAvgSq: v.expAvgSq.slice() } : {}),
      };
    }
    return { options: { ...this.options }, params };
  }

  static fromState(state: AdafactorState): Adafactor {
    const opt = new Adafactor(state.options);
    for (const [k, v] of Object.entries(state.params)) {
      const n = numel(v.shape);
      const factored = v.shape.length >= 2;
      if (factored) {
        const C = v.shape[v.shape.length - 1];
        const R = v.shape[v.shape.length - 2];
        const batch = n / (R * C);
        if (v.expAvgSqRow?.length !== batch * R || v.expAvgSqCol?.length !== batch * C) {
          throw new Error(`Adafactor.fromState: parameter ${k} [${v.shape}] needs row ${batch * R} and col ${batch * C} values`);
        }
      } else if (v.expAvgSq?.length !== n) {
        throw new Error(`Adafactor.fromState: parameter ${k} [${v.shape}] needs exp_avg_sq of ${n} values`);
      }
      opt.params.set(k, {
        step: v.step,
        shape: [...v.shape],
        ...(v.expAvgSqRow ? { expAvgSqRow: v.expAvgSqRow.slice() } : {}),
        ...(v.expAvgSqCol ? { expAvgSqCol: v.expAvgSqCol.slice() } : {}),
        ...(v.expAvgSq ? { expAvgSq: v.expAvgSq.slice() } : {}),
      });
    }
    return opt;
  }
}
