// WSC as T5 runs it (preprocessors.wsc_simple on TFDS super_glue/wsc.fixed): the pronoun (span2)
// is marked with asterisks and the model generates its referent (span1 text). Training keeps only
// records whose span1 IS the referent (correct_referent_only=True); evaluation keeps all and counts
// a prediction correct when "prediction names span1" equals the gold label
// (postprocessors.wsc_simple + metrics.accuracy).
import { z } from "zod";
import { goldLabels } from "./classification.ts";
import { hasKey, parseRecord, RecordError } from "./errors.ts";
import { BOOL_LABELS, rawId, rawLabel, resolveLabel } from "./labels.ts";
import { accuracy, checkLengths } from "./metrics.ts";
import type { TaskDef } from "./types.ts";

const spans = {
  span1_index: z.number().int().nonnegative(),
  span2_index: z.number().int().nonnegative(),
  span1_text: z.string().min(1),
  span2_text: z.string().min(1),
};
// Official SuperGLUE WSC.zip line: spans nested under "target".
const officialSchema = z.object({ idx: rawId, text: z.string(), label: rawLabel, target: z.object(spans) });
// Hugging Face super_glue/wsc(.fixed) row.
const hfSchema = z.object({ idx: rawId, text: z.string(), label: rawLabel, ...spans });

export interface WscSpans {
  text: string;
  span1_index: number;
  span2_index: number;
  span1_text: string;
  span2_text: string;
}

const isLower = (c: string) => c !== c.toUpperCase() && c === c.toLowerCase();

/** TFDS `_fix_wst` (wsc.fixed): repair span texts that are not substrings of the text.
 *  Idempotent, so Hugging Face `wsc.fixed` rows pass through unchanged. */
export function fixWsc(ex: WscSpans): WscSpans {
  const out = { ...ex };
  for (const k of ["span1", "span2"] as const) {
    let text = out[`${k}_text`];
    const index = out[`${k}_index`];
    if (out.text.includes(text)) continue;
    if (text === "Kamenev and Zinoviev" || text === "Kamenev, Zinoviev, and Stalin") continue;
    // TFDS discards the result of its `text.replace("theyscold", ...)`; only the index changes.
    if (text.includes("theyscold")) out.span2_index = 10;
    const firstWord = out.text.split(/\s+/).filter((w) => w.length > 0)[index];
    if (firstWord === undefined) throw new RecordError(`${k}_index`, `${index} is past the last word of the text`);
    text = (isLower(firstWord[0]!) ? text[0]!.toLowerCase() : text[0]!.toUpperCase()) + text.slice(1);
    text = text.replace(/\.+$/, "").replaceAll("\n", " ");
    out[`${k}_text`] = text;
  }
  return out;
}

// The two texts `_wsc_inputs` special-cases (their span2_index does not point at the pronoun).
const SPECIAL_INPUTS = new Map<string, string>([
  [
    'The boy continued to whip the pony , and eventually the pony threw him over. John laughed out quite loud. "Good for him," he said. ',
    'The boy continued to whip the pony , and eventually the pony threw him over. John laughed out quite loud. "Good for X ," he said.',
  ],
  [
    "When they had eventually calmed down a bit , and had gotten home, Mr. Farley put the magic pebble in an iron safe . Some day they might want to use it , but really for now, what more could they wish for?",
    "When they had eventually calmed down a bit , and had gotten home, Mr. Farley put the magic pebble in an iron safe . Some day they might want to use X , but really for now, what more could they wish for?",
  ],
]);

/** `_wsc_inputs` then wsc_simple's `" X "` -> `" *pronoun* "` (its "wsc:" prefix dropped). */
export function wscInput(r: WscSpans): string {
  let blanked = SPECIAL_INPUTS.get(r.text);
  if (blanked === undefined) {
    // T5 splits on single spaces and asserts 0 < span2_index < #words (and that the word equals
    // span2_text; we blank the indexed word even when it differs, rather than failing).
    const words = r.text.split(" ");
    const i = r.span2_index;
    if (!(i > 0 && i < words.length)) {
      throw new RecordError("span2_index", `${i} must be > 0 and < ${words.length} (the text's space-separated words)`);
    }
    blanked = [words.slice(0, i).join(" "), "X", words.slice(i + 1).join(" ")].join(" ");
  }
  return blanked.replaceAll(" X ", ` *${r.span2_text}* `);
}

const DETERMINERS = new Set([
  "a", "an", "few", "her", "his", "each", "every", "many", "much", "my", "our", "some", "that",
  "the", "their", "these", "this", "those", "which", "whose", "your",
]);

function clean(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .split(" ")
    .filter((w) => !DETERMINERS.has(w))
    .join(" ");
}

/**
 * postprocessors.wsc_simple (t5/data/postprocessors.py): 1 when the generated text names the
 * referent, 0 when it does not, and -1 when the prediction is empty once determiners are dropped
 * ("" or "the"), so that it matches neither label: T5 returns -1 there on purpose ("We don't want an
 * empty prediction to accidentally return 0 and spuriously match the label").
 */
export function wscSimple(prediction: string, referent: string): 1 | 0 | -1 {
  const p = clean(prediction);
  if (!p) return -1;
  const r = clean(referent);
  // "Bob" must not count as naming "Bob's hat".
  if (p.includes("'") !== r.includes("'")) return 0;
  const pw = new Set(p.split(" "));
  const rw = new Set(r.split(" "));
  const subset = (a: Set<string>, b: Set<string>) => [...a].every((w) => b.has(w));
  // "fuzzy bunny" names "fuzzy hungry bunny", and the reverse.
  return subset(pw, rw) || subset(rw, pw) ? 1 : 0;
}

/** wsc_simple's class ids as label strings; -1 (no referent named) matches no gold label. */
const WSC_CLASS = { 1: "True", 0: "False", [-1]: "<invalid>" } as const;

export const wsc: TaskDef = {
  name: "wsc",
  source: "superglue",
  // No `labels`: targets are free-text referents, not a closed set (Example.label holds True|False).
  metrics: ["accuracy"],
  primaryMetric: "accuracy",
  format(raw, opts) {
    let rec: WscSpans & { idx: string | number; label?: boolean | number | string | null };
    if (hasKey(raw, "target")) {
      const o = parseRecord(officialSchema, raw);
      rec = { idx: o.idx, text: o.text, label: o.label, ...o.target };
    } else {
      rec = parseRecord(hfSchema, raw);
    }
    const label = resolveLabel(rec.label, BOOL_LABELS);
    if (opts?.split === "train" && label !== "True") return [];
    const fixed = fixWsc(rec);
    return [{ id: String(rec.idx), input: wscInput(fixed), target: fixed.span1_text, ...(label !== undefined && { label }) }];
  },
  score(predictions, examples) {
    checkLengths(examples, predictions);
    const golds = goldLabels(examples);
    const predicted = examples.map((e, i) => WSC_CLASS[wscSimple(predictions[i]!, e.target)]);
    return { accuracy: accuracy(golds, predicted) };
  },
};
