// ptune check-parity <model-dir> <golden.safetensors>: recompute the golden PyTorch tensors with
// the ONNX engine and compare (numpy.allclose semantics); exit 1 when any key is beyond tolerance.
import { existsSync } from "node:fs";
import { checkParity, isHubRef, resolveModelRef } from "@ptune/t5";
import { checkAdafactorParity } from "@ptune/trainer";
import { z } from "zod";
import { CliError, type Command } from "../command.ts";

const num = (flag: string) =>
  z
    .string()
    .transform(Number)
    .refine((v) => Number.isFinite(v) && v >= 0, `--${flag} must be a non-negative number`);

const fmt = (v: number) => (Number.isNaN(v) ? "-" : v.toExponential(2));

export const command: Command = {
  name: "check-parity",
  summary: "compare the ONNX T5 engine with golden PyTorch tensors (loss, logits, gradients, decoding)",
  usage: "ptune check-parity <model-dir|hf:org/name[@rev]> <golden.safetensors> [--atol 1e-4] [--rtol 1e-3] [--device cpu|cuda] [--cache-dir DIR] [--json]",
  example: "ptune check-parity ../shared/fixtures/t5-golden/t5-tiny-v1_1 ../shared/fixtures/t5-golden/golden-t5-tiny-v1_1.safetensors",
  options: {
    atol: { type: "string", description: "absolute tolerance (default: 1e-4)" },
    rtol: { type: "string", description: "relative tolerance (default: 1e-3)" },
    device: { type: "string", description: "cpu or cuda (default: cpu)" },
    "cache-dir": { type: "string", description: "where built graphs go (default: PTUNE_CACHE_DIR or ~/.cache/ptune)" },
  },
  async run({ positionals, values }, io) {
    const [modelDir, golden, ...extra] = positionals;
    if (!modelDir || !golden || extra.length) throw new CliError(`expected <model-dir> <golden.safetensors>\nusage: ${this.usage}`, 2);
    for (const p of [modelDir, golden]) if (!isHubRef(p) && !existsSync(p)) throw new CliError(`${p}: no such file or directory`);
    const parsed = z
      .object({ atol: num("atol"), rtol: num("rtol"), device: z.enum(["cpu", "cuda"], { message: "--device must be cpu or cuda" }) })
      .safeParse({ atol: values.atol ?? "1e-4", rtol: values.rtol ?? "1e-3", device: values.device ?? "cpu" });
    if (!parsed.success) throw new CliError(parsed.error.issues[0].message, 2);
    const { atol, rtol, device } = parsed.data;
    let rows;
    try {
      // the trainer checks the adafactor_* keys (three optimizer steps on the engine's gradients)
      rows = await checkParity(await resolveModelRef(modelDir, { log: (l) => io.err(l) }), golden, { atol, rtol, engine: { device, cacheDir: values["cache-dir"] as string | undefined }, checkers: [checkAdafactorParity] });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const failed = rows.filter((r) => !r.ok);
    if (io.json) {
      io.out(JSON.stringify({ ok: failed.length === 0, atol, rtol, rows }));
    } else {
      const w = Math.max(...rows.map((r) => r.key.length), 3);
      io.out(`${"key".padEnd(w)}  ${"max abs".padStart(9)}  ${"max rel".padStart(9)}  result`);
      for (const r of rows) io.out(`${r.key.padEnd(w)}  ${fmt(r.maxAbs).padStart(9)}  ${fmt(r.maxRel).padStart(9)}  ${r.skipped ? `skipped (${r.skipped})` : r.ok ? "ok" : "FAIL"}`);
      const checked = rows.filter((r) => !r.skipped).length;
      io.out(failed.length ? `${failed.length} of ${checked} checked keys beyond atol ${atol} / rtol ${rtol}` : `all ${checked} checked keys within atol ${atol} / rtol ${rtol}`);
    }
    return failed.length ? 1 : 0;
  },
};
