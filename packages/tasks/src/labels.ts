// Label values as the sources store them -> the label string T5 trains on.
//   official SuperGLUE JSONL: booleans (BoolQ, WiC, WSC), 0/1 (COPA, MultiRC answers), strings (CB, RTE)
//   Hugging Face datasets: ClassLabel integers, -1 for unlabelled test rows
//   GLUE TSV: "0"/"1" (converted to integers by the TSV loader)
import { z } from "zod";
import { RecordError } from "./errors.ts";

export const BOOL_LABELS = ["False", "True"] as const;

/** Accepts any of the source encodings; `resolveLabel` checks the value against the task. */
export const rawLabel = z.union([z.boolean(), z.number().int(), z.string()]).nullish();

/** -> label string, or undefined for an unlabelled record (missing, null or -1). */
export function resolveLabel(
  value: boolean | number | string | null | undefined,
  labels: readonly string[],
  field = "label",
): string | undefined {
  if (value === undefined || value === null || value === -1) return undefined;
  if (typeof value === "boolean" && labels.length === 2) return labels[value ? 1 : 0];
  if (typeof value === "number" && value >= 0 && value < labels.length) return labels[value];
  if (typeof value === "string" && labels.includes(value)) return value;
  throw new RecordError(
    field,
    `expected one of ${labels.join("|")}, a class index 0..${labels.length - 1}` +
      `${labels.length === 2 ? ", a boolean" : ""} or -1/absent for unlabelled; got ${JSON.stringify(value)}`,
  );
}

/** T5 (preprocessors.glue) uses "<unk>" as the target of unlabelled records. */
export const UNLABELLED_TARGET = "<unk>";

/** A record id from an integer or string `idx`. */
export const rawId = z.union([z.number().int(), z.string()]);
