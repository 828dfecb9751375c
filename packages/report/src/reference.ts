// The paper's published numbers (Lester et al. 2021), kept in ../data/lester2021.json with the
// citation. Only numbers the paper prints are used; Figures 1 and 3 are plots without values, so the
// scale curve's reference points come from the text and Table 3 (see the file's notes).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export const referencePath = fileURLToPath(new URL("../data/lester2021.json", import.meta.url));

const point = z.object({
  label: z.string(),
  method: z.string(),
  model: z.string().optional(),
  params: z.number().positive(),
  score: z.number(),
  where: z.string(),
});

export const referenceSchema = z.object({
  citation: z.string().min(1),
  frozen_models: z.record(z.string(), z.union([z.string(), z.object({ params: z.number(), d_model: z.number() })])),
  figure1_reference_points: z.object({ note: z.string(), points: z.array(point) }),
  table3_prompt_ensemble_xxl: z.record(z.string(), z.array(z.union([z.string(), z.number()]))),
});

export type Reference = z.output<typeof referenceSchema>;
export type ReferencePoint = z.output<typeof point>;

export function loadReference(file = referencePath): Reference {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read reference numbers: ${(e as Error).message}`);
  }
  const r = referenceSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${file}: field '${issue.path.join(".")}': ${issue.message}`);
  }
  return r.data;
}

/** Table 3 (XXL prompt ensembles) rows for one of our task names, e.g. 'cb' -> CB_acc and CB_f1. */
export function table3ForTask(ref: Reference, task: string): { key: string; average: number; best: number; ensemble: number }[] {
  const t = task.toLowerCase();
  const out: { key: string; average: number; best: number; ensemble: number }[] = [];
  for (const [key, values] of Object.entries(ref.table3_prompt_ensemble_xxl)) {
    if (key === "columns") continue;
    const base = key.split("_")[0]!.toLowerCase();
    if (base !== t) continue;
    const [average, best, ensemble] = values as number[];
    out.push({ key, average: average!, best: best!, ensemble: ensemble! });
  }
  return out;
}
