// A small learnable text-to-text classification task for machines without real data or weights:
// "sentence: w1 ... wn" -> the label whose keyword group occurs most often in the sentence
// (strictly more than any other group). Closed vocabulary, seeded, bit-for-bit reproducible.
import { z } from "zod";
import { mulberry32 } from "@ptune/onnx/rng";
import { classificationTask } from "./classification.ts";
import { parseRecord } from "./errors.ts";
import type { Example, TaskDef } from "./types.ts";

/** Label word -> its keyword group. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  animal: ["cat", "dog", "horse", "bird"],
  color: ["red", "green", "blue", "yellow"],
  food: ["bread", "rice", "apple", "soup"],
};
export const SYNTHETIC_LABELS: readonly string[] = Object.keys(GROUPS);
const FILLERS = ["the", "a", "and", "of", "to", "with", "near", "under"] as const;
const PREFIX = "sentence:";

/** Every whitespace-separated token an input or target of the synthetic task can contain. */
export function syntheticVocabulary(): string[] {
  return [PREFIX, ...SYNTHETIC_LABELS, ...Object.values(GROUPS).flat(), ...FILLERS];
}

/** Independent stream per (seed, purpose): train and dev do not depend on each other's size. */
function streamSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

const recordSchema = z.object({
  idx: z.union([z.string(), z.number()]),
  words: z.array(z.string().regex(/^\S+$/, "a word without whitespace")).min(1),
  label: z.enum(SYNTHETIC_LABELS as [string, ...string[]]),
});
export type SyntheticRecord = z.output<typeof recordSchema>;

/** The rule that decides a sentence's label; undefined when no group strictly dominates. */
export function syntheticLabelOf(words: readonly string[]): string | undefined {
  const counts = SYNTHETIC_LABELS.map((l) => words.filter((w) => GROUPS[l]!.includes(w)).length);
  const best = Math.max(...counts);
  return counts.filter((c) => c === best).length === 1 ? SYNTHETIC_LABELS[counts.indexOf(best)] : undefined;
}

function generate(rand: () => number, idx: string): SyntheticRecord {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const label = pick(SYNTHETIC_LABELS);
  const length = 6 + Math.floor(rand() * 4); // 6..9 words
  const k = 2 + Math.floor(rand() * 2); // 2..3 keywords of the winning group
  const distractors = Math.floor(rand() * k); // 0..k-1 keywords of other groups in total
  const words: string[] = [];
  for (let i = 0; i < k; i++) words.push(pick(GROUPS[label]!));
  const others = SYNTHETIC_LABELS.filter((l) => l !== label);
  for (let i = 0; i < distractors; i++) words.push(pick(GROUPS[pick(others)]!));
  while (words.length < length) words.push(pick(FILLERS));
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [words[i], words[j]] = [words[j]!, words[i]!];
  }
  return { idx, words, label };
}

const base = classificationTask({
  name: "synthetic",
  source: "synthetic",
  labels: SYNTHETIC_LABELS,
  fields: ["sentence"],
  metrics: "accuracy",
});

/** Task "synthetic": raw records are `{ idx, words, label }`; input "sentence: <words>". */
export const synthetic: TaskDef = {
  ...base,
  format(raw) {
    const r = parseRecord(recordSchema, raw);
    return base.format({ idx: r.idx, sentence: r.words.join(" "), label: r.label });
  },
};

export interface SyntheticOptions {
  seed: number;
  train: number;
  dev: number;
}

/** Deterministic train/dev examples of the synthetic task. */
export function syntheticTask(opts: SyntheticOptions): { task: TaskDef; train: Example[]; dev: Example[] } {
  const make = (stream: number, n: number, prefix: string): Example[] => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`syntheticTask: ${prefix} must be a non-negative integer, got ${n}`);
    const rand = mulberry32(streamSeed(opts.seed, stream));
    return Array.from({ length: n }, (_, i) => synthetic.format(generate(rand, `${prefix}-${i}`))[0]!);
  };
  if (!Number.isInteger(opts.seed)) throw new Error(`syntheticTask: seed must be an integer, got ${opts.seed}`);
  return { task: synthetic, train: make(0, opts.train, "train"), dev: make(1, opts.dev, "dev") };
}
